"""Mass-action ODE kinetics of a CRN on a batch, compared with its exact stable outputs.

:func:`simulate_kinetics` simulates the batch in chunks and measures, per row,
convergence (every output within ε absolute of its stable value) and
stabilization (the eventual argmax stays on top) times; the experiments and
the demo build on its :class:`KineticsResult`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..crn import CRN
from ..simulate.base import Trajectory

EPSILON = 0.01
"""Absolute tolerance of the convergence time (the paper's smallest ε)."""
ODE_CHUNK_ROWS = 256
"""Rows simulated per ODE call (bounds the memory of the stored trajectories)."""


def kinetics_grid(
    t_end: float, *, n_linear: int = 501, n_log: int = 300, t_first: float = 1e-3
) -> np.ndarray:
    """Sample grid for kinetics: 0, log-spaced from `t_first` and linear up to `t_end`.

    The log part resolves fast early settling; the linear part contains
    ``t_end / 2`` exactly (for the 1/t check) and resolves the slow tail.

    Returns
    -------
    ndarray of shape (n_times,)
        Strictly increasing, starting at 0 and ending at `t_end`.
    """
    grid = np.concatenate([[0.0], np.geomspace(t_first, t_end, n_log), np.linspace(0.0, t_end, n_linear)])
    grid = np.unique(np.round(grid, 12))
    grid[-1] = t_end
    return grid


@dataclass(frozen=True, eq=False)
class KineticsResult:
    """Mass-action ODE kinetics of one CRN on a batch of examples.

    Attributes
    ----------
    label : str
        ``compiled`` or ``reduced``.
    t_end : float
    final_outputs : ndarray of shape (n_batch, n_outputs)
        Outputs at ``t_end``.
    half_time_gap : float
        Largest ``|y(t_end / 2) − y*|`` over the batch and outputs.
    epsilon_times, argmax_times : ndarray of shape (n_batch,)
        Settling times: every output within :data:`EPSILON` of its stable value,
        and the eventual argmax on top (``inf`` if not by ``t_end``).
    trajectory : Trajectory
        Outputs over time of the rows kept for plotting (``input_rows`` are
        indices into the batch).
    seconds : float
        Wall time of the simulations.
    steps : int
        Accepted solver steps, summed over chunks.
    """

    label: str
    t_end: float
    final_outputs: np.ndarray
    final_gap: np.ndarray
    half_time_gap: float
    epsilon_times: np.ndarray
    argmax_times: np.ndarray
    trajectory: Trajectory | None
    seconds: float
    steps: int

    @property
    def max_gap(self) -> float:
        """Largest ``|y(t_end) − y*|`` over the batch and outputs."""
        return float(self.final_gap.max(initial=0.0))

    @property
    def gap_ratio(self) -> float:
        """``half_time_gap / max_gap``: 2 for a gap closing like 1/t (``inf`` if the gap has closed)."""
        return self.half_time_gap / self.max_gap if self.max_gap > 0 else math.inf

    @property
    def epsilon_median_p95(self) -> tuple[float, float]:
        """Median and 95th percentile of the ε-convergence times (``inf``: not settled)."""
        return median_p95(self.epsilon_times)

    @property
    def argmax_median_p95(self) -> tuple[float, float]:
        """Median and 95th percentile of the stabilization times (``inf``: not settled)."""
        return median_p95(self.argmax_times)

    @property
    def epsilon_settled(self) -> float:
        """Fraction of the batch ε-converged by ``t_end``."""
        return float(np.isfinite(self.epsilon_times).mean())

    @property
    def argmax_settled(self) -> float:
        """Fraction of the batch whose argmax stabilized by ``t_end``."""
        return float(np.isfinite(self.argmax_times).mean())


def simulate_kinetics(
    crn: CRN,
    inputs: np.ndarray,
    stable: np.ndarray,
    *,
    t_end: float,
    label: str,
    keep_rows: Sequence[int] = (),
    keep_slowest: bool = False,
    epsilon: float = EPSILON,
) -> KineticsResult:
    """ODE kinetics of `crn` for every row of `inputs`, compared with the exact `stable` outputs.

    Parameters
    ----------
    crn : CRN
    inputs : ndarray of shape (n_batch, n_inputs)
        Values of the CRN's declared inputs.
    stable : ndarray of shape (n_batch, n_outputs)
        Exact stable outputs of those rows.
    t_end : float
    label : str
    keep_rows : sequence of int
        Rows whose output trajectories are kept (for plots).
    keep_slowest : bool
        Also keep the row that stabilizes last (simulated once more on its own).
    epsilon : float

    Returns
    -------
    KineticsResult
        ``trajectory.input_rows`` are the kept rows, in the order given (the slowest last).
    """
    from ..simulate.metrics import convergence_times
    from ..simulate.ode import simulate_ode

    grid = kinetics_grid(t_end)
    half = int(np.searchsorted(grid, t_end / 2))
    n_batch = inputs.shape[0]
    finals, gaps, half_gaps, eps_times, argmax_times = [], [], [], [], []
    keep = [int(row) for row in keep_rows]
    kept: dict[int, np.ndarray] = {}
    columns = None
    steps = 0
    started = time.perf_counter()
    for start in range(0, n_batch, ODE_CHUNK_ROWS):
        stop = min(start + ODE_CHUNK_ROWS, n_batch)
        trajectory = simulate_ode(crn, inputs[start:stop], t_end=t_end, times=grid, store="outputs")
        columns = trajectory.columns
        steps += int(trajectory.info["steps"])
        outputs = trajectory.outputs
        part_stable = stable[start:stop]
        finals.append(outputs[:, -1, :])
        gaps.append(np.abs(outputs[:, -1, :] - part_stable))
        half_gaps.append(np.abs(outputs[:, half, :] - part_stable).max(initial=0.0))
        times = convergence_times(trajectory, part_stable, epsilon=epsilon)
        eps_times.append(times.epsilon)
        argmax_times.append(times.argmax)
        for row in keep:
            if start <= row < stop:
                kept[row] = trajectory.states[row - start]
    all_argmax = np.concatenate(argmax_times) if argmax_times else np.zeros(0)
    if keep_slowest and all_argmax.size:
        slowest = int(np.argmax(all_argmax))
        if slowest not in keep:
            alone = simulate_ode(crn, inputs[slowest : slowest + 1], t_end=t_end, times=grid, store="outputs")
            kept[slowest] = alone.states[0]
            keep.append(slowest)
    seconds = time.perf_counter() - started
    kept_trajectory = None
    if keep and columns is not None:
        states = np.stack([kept[row] for row in keep])
        kept_trajectory = Trajectory(crn, grid, states, np.array(keep), "ode", columns=columns)
    n_out = stable.shape[1]
    return KineticsResult(
        label=label,
        t_end=float(t_end),
        final_outputs=np.concatenate(finals) if finals else np.zeros((0, n_out)),
        final_gap=np.concatenate(gaps) if gaps else np.zeros((0, n_out)),
        half_time_gap=float(max(half_gaps, default=0.0)),
        epsilon_times=np.concatenate(eps_times) if eps_times else np.zeros(0),
        argmax_times=all_argmax,
        trajectory=kept_trajectory,
        seconds=seconds,
        steps=steps,
    )


def median_p95(values: np.ndarray) -> tuple[float, float]:
    """Median and 95th percentile of settling times (``inf`` counts as not settled)."""
    from ..simulate.metrics import summarize

    summary = summarize(values)
    return summary["median"], summary["p95"]
