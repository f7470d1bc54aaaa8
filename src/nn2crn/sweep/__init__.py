"""Sweeps: a TOML spec of a study over a parameter grid, run as tasks on Dask (the ``sweep`` extra).

``load_spec`` validates the spec, ``run_sweep`` runs or resumes it into a results
folder of Parquet parts, ``summarize_results`` makes the per-point summary. Dask and
pyarrow are imported only when a sweep runs.
"""

from .parts import read_record as read_record
from .parts import read_results as read_results
from .run import SweepOutcome as SweepOutcome
from .run import SweepTaskError as SweepTaskError
from .run import plan_tasks as plan_tasks
from .run import run_sweep as run_sweep
from .spec import SweepSpec as SweepSpec
from .spec import SweepSpecError as SweepSpecError
from .spec import load_spec as load_spec
from .summary import SweepSummary as SweepSummary
from .summary import summarize_results as summarize_results
from .tasks import STUDIES as STUDIES
