"""Simulation: exact stable states, deterministic ODE kinetics and stochastic SSA."""

from .base import Trajectory as Trajectory
from .exact import ExactPlan as ExactPlan
from .exact import evaluate_exact as evaluate_exact
from .exact import plan_exact as plan_exact
from .exact import stable_outputs as stable_outputs
from .ode import simulate_ode as simulate_ode
from .ssa import final_counts_nc as final_counts_nc
from .ssa import simulate_ssa as simulate_ssa
