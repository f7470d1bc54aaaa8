"""Studies: computations over compiled CRNs, each returning a frozen result value.

Nothing here renders or writes files: :mod:`nn2crn.report` does that.
"""

from .depth import DepthStudyResult as DepthStudyResult
from .depth import run_depth_study as run_depth_study
from .experiment import ExperimentResult as ExperimentResult
from .experiment import run_experiment as run_experiment
from .kinetics import KineticsResult as KineticsResult
from .kinetics import simulate_kinetics as simulate_kinetics
from .robustness import RobustnessResult as RobustnessResult
from .robustness import SpeedupResult as SpeedupResult
from .robustness import rate_robustness as rate_robustness
from .robustness import relu_speedup as relu_speedup
from .ssa_volume import SsaStudy as SsaStudy
from .ssa_volume import ssa_volume_study as ssa_volume_study
