"""Simulation: exact stable states, deterministic ODE kinetics and stochastic SSA."""

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
