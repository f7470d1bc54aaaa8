"""Simulation: exact stable states, deterministic ODE kinetics and stochastic SSA.

Each name is imported from its module on first use (PEP 562): `nn2crn eval` needs the
exact evaluator only, not the ODE and SSA modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

# public name -> defining module
_LAZY: dict[str, str] = {
    "OdeStats": "base",
    "SsaStats": "base",
    "Status": "base",
    "Trajectory": "base",
    "sample_grid": "base",
    "ExactPlan": "exact",
    "evaluate_exact": "exact",
    "plan_exact": "exact",
    "stable_outputs": "exact",
    "simulate_ode": "ode",
    "final_counts_nc": "ssa",
    "simulate_ssa": "ssa",
}

__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


if TYPE_CHECKING:
    from .base import OdeStats as OdeStats
    from .base import SsaStats as SsaStats
    from .base import Status as Status
    from .base import Trajectory as Trajectory
    from .base import sample_grid as sample_grid
    from .exact import ExactPlan as ExactPlan
    from .exact import evaluate_exact as evaluate_exact
    from .exact import plan_exact as plan_exact
    from .exact import stable_outputs as stable_outputs
    from .ode import simulate_ode as simulate_ode
    from .ssa import final_counts_nc as final_counts_nc
    from .ssa import simulate_ssa as simulate_ssa
