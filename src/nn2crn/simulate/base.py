"""What every simulation method shares: the sample grid, kernel outcomes, statistics, results."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

import numpy as np

from .._errors import SimulationError
from ..crn import CRN

_END_TOLERANCE = 1e-12
"""A last sample time within this relative distance of t_end is taken to be t_end."""


class Status(enum.IntEnum):
    """Outcome of one kernel run (an ODE chunk or an SSA batch row); each member carries its message.

    The integer values are what the compiled kernels store and return: never renumber them
    (numba's on-disk cache of a kernel does not notice a change made in this file).
    """

    T_END = 0, "reached t_end"
    EXHAUSTED = 1, "no reaction can fire any more"
    STEP_COLLAPSE = (
        2,
        (
            "the step size collapsed to round-off level; the solution probably blows up in finite time "
            "(an autocatalytic reaction such as 2 A -> 3 A?) or becomes non-finite; check the CRN and its "
            "rate constants, or loosen rtol/atol"
        ),
    )
    MAX_STEPS = 3, "increase max_steps, loosen rtol/atol or shorten t_end"
    MAX_EVENTS = 4, "raise max_events, lower t_end, or use a smaller volume"
    OVERFLOW = 5, "the CRN grows without bound; lower t_end or the volume, or set max_events"

    message: str

    def __new__(cls, value: int, message: str = "") -> Status:  # the default only satisfies type checkers
        member = int.__new__(cls, value)
        member._value_ = value
        member.message = message
        return member

    @property
    def failed(self) -> bool:
        """True when the run stopped before t_end for a reason that raises."""
        return self not in (Status.T_END, Status.EXHAUSTED)


def sample_grid(
    t_end: float, times: object = None, n_points: object = 101, *, append_end: bool = False
) -> np.ndarray:
    """Validated sample times from 0 (or ``times[0]``) to `t_end`, shared by the ODE and the SSA.

    Parameters
    ----------
    t_end : float
        Final time, > 0 (already validated); ``math.inf`` gives ``[0, inf]`` without `times`.
    times : array-like of shape (n_times,), optional
        Explicit sample times: finite, >= 0, strictly increasing, at most `t_end`.
    n_points : int, default 101
        Number of equally spaced times from 0 to `t_end` (>= 2) when `times` is None.
    append_end : bool, default False
        Append `t_end` when `times` stops before it (the SSA); otherwise `times` must end at
        `t_end` (the ODE).

    Returns
    -------
    ndarray of shape (n_times,)
        float64, ending exactly at `t_end`.

    Raises
    ------
    SimulationError
        Malformed `times` or `n_points`, with the offending value.
    """
    if times is None:
        if math.isinf(t_end):
            return np.array([0.0, math.inf])
        if isinstance(n_points, bool) or not isinstance(n_points, (int, np.integer)) or n_points < 2:
            raise SimulationError(
                f"n_points must be an integer >= 2 (0 and t_end included), got {n_points!r}"
            )
        return np.linspace(0.0, t_end, int(n_points))
    try:
        grid = np.array(times, dtype=np.float64)
    except (TypeError, ValueError):
        raise SimulationError(f"times must be a 1D array of numbers, got {times!r}") from None
    if grid.ndim != 1 or grid.shape[0] < 1:
        raise SimulationError(f"times must be a non-empty 1D array, got shape {grid.shape}")
    if not np.isfinite(grid).all():
        bad = float(grid[~np.isfinite(grid)][0])
        raise SimulationError(f"times: {bad!r} is outside [0, t_end = {t_end:g}]; times must be finite")
    if grid[0] < 0:
        raise SimulationError(f"times must start at >= 0, got times[0] = {float(grid[0])!r}")
    steps = np.diff(grid)
    if (steps <= 0).any():
        k = int(np.argmax(steps <= 0))
        raise SimulationError(
            f"times must be strictly increasing, but times[{k}] = {float(grid[k])!r} >= times[{k + 1}] = {float(grid[k + 1])!r}"
        )
    if math.isfinite(t_end) and abs(grid[-1] - t_end) <= _END_TOLERANCE * t_end:
        grid[-1] = t_end
    elif grid[-1] > t_end:
        raise SimulationError(
            f"times: {float(grid[-1])!r} is outside [0, t_end = {t_end:g}]; sample times must lie in it"
        )
    elif append_end:
        grid = np.append(grid, t_end)
    else:
        raise SimulationError(f"times must end at t_end = {t_end!r}, got times[-1] = {float(grid[-1])!r}")
    return grid


def _frozen_array(values: object, dtype: type | None = None) -> np.ndarray:
    array = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class OdeStats:
    """Solver statistics of one :func:`~nn2crn.simulate.ode.simulate_ode` call.

    Attributes
    ----------
    solver : str
        "RODAS5P" or "RODAS4".
    backend : str
        "c" (the compiled extension), "numba" or "numpy".
    rate_law : str
    rtol, atol : float
    chunks : int
        Chunks of up to 64 batch rows integrated with one shared step size.
    n_threads : int
        Threads that integrated chunks.
    steps, rejected_steps, rhs_evaluations : int
        Summed over chunks.
    max_clipped : float
        Largest amount set from below 0 to 0 after a step (round-off sized for well-posed runs).
    n_integrated_species, n_closed_form_species, largest_block : int
        Structure of the integrated system (see :mod:`nn2crn.simulate._ode_plan`).
    seconds_setup, seconds_integrate : float
        Wall times of the model building and of the integration.
    n_stages : int
        Stages integrated one after the other (1: the whole system at once; see
        :mod:`nn2crn.simulate._ode_stages`); `steps` then sums over stages too.
    """

    solver: str
    backend: str
    rate_law: str
    rtol: float
    atol: float
    chunks: int
    n_threads: int
    steps: int
    rejected_steps: int
    rhs_evaluations: int
    max_clipped: float
    n_integrated_species: int
    n_closed_form_species: int
    largest_block: int
    seconds_setup: float
    seconds_integrate: float
    n_stages: int = 1

    def as_info(self) -> dict[str, Any]:
        """The statistics under the keys of the former ``Trajectory.info`` dict."""
        info = {field.name: getattr(self, field.name) for field in fields(self)}
        info["threads"] = info.pop("n_threads")
        return info


@dataclass(frozen=True, eq=False)
class SsaStats:
    """Statistics of one :func:`~nn2crn.simulate.ssa.simulate_ssa` call; per-row arrays are read-only.

    Attributes
    ----------
    status : int64 ndarray of shape (n_batch,)
        :class:`Status` of each batch row (``T_END`` or ``EXHAUSTED``; failures raise).
    events : int64 ndarray of shape (n_batch,)
        Reactions fired.
    t_last_event : ndarray of shape (n_batch,)
    leader_time : ndarray of shape (n_batch,)
        Time the unique argmax of the outputs last changed identity (a tie counts as no
        leader); exact, not on the sample grid. NaN for a CRN without outputs.
    run : int64 ndarray of shape (n_batch,)
        Run index of each batch row within its input row.
    final_counts : int64 ndarray of shape (n_batch, n_species)
    volume : float
    seed : int
        The entropy the per-row streams were derived from.
    rounding : str
    backend : str
        "numba" or "python".
    seconds : float
        Wall time in the kernel.
    method : str
        "direct" (exact) or "tau-leap" (approximate).
    epsilon : float
        The tau-leaping error-control parameter; NaN for "direct".
    """

    status: np.ndarray
    events: np.ndarray
    t_last_event: np.ndarray
    leader_time: np.ndarray
    run: np.ndarray
    final_counts: np.ndarray
    volume: float
    seed: int
    rounding: str
    backend: str
    seconds: float
    method: str = "direct"
    epsilon: float = math.nan

    def __post_init__(self) -> None:
        for name, dtype in (
            ("status", np.int64),
            ("events", np.int64),
            ("t_last_event", np.float64),
            ("leader_time", np.float64),
            ("run", np.int64),
            ("final_counts", np.int64),
        ):
            object.__setattr__(self, name, _frozen_array(getattr(self, name), dtype))

    @property
    def termination(self) -> np.ndarray:
        """Why each batch row stopped: "t_end" or "exhausted", shape (n_batch,)."""
        names = np.array([status.name.lower() for status in Status])
        return names[self.status] if self.status.size else np.array([], dtype=names.dtype)

    def as_info(self) -> dict[str, Any]:
        """The statistics under the keys of the former ``Trajectory.info`` dict."""
        return {
            "termination": self.termination,
            "events": self.events,
            "t_last_event": self.t_last_event,
            "leader_time": self.leader_time,
            "run": self.run,
            "final_counts": self.final_counts,
            "volume": self.volume,
            "seed": self.seed,
            "rounding": self.rounding,
            "backend": self.backend,
            "engine": self.backend,
            "elapsed": self.seconds,
        }


_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Species amounts over time for a batch of initial states.

    Attributes
    ----------
    crn : CRN
        The simulated network (with the rate constants actually used).
    times : ndarray of shape (n_times,)
        Increasing sample times, starting at 0.
    states : ndarray of shape (n_batch, n_times, n_species) or (n_batch, n_times, n_columns)
        Amounts at each sample time. For the stochastic method, batch rows are
        (input row, run) pairs; see `input_rows`. When `columns` is given, only
        those species are stored (in that order).
    input_rows : ndarray of shape (n_batch,)
        Index of the input row each batch row came from.
    method : str
        "exact", "ode" or "ssa".
    stats : OdeStats or SsaStats or None
        Method-specific statistics (steps taken, events fired, ...).
    columns : ndarray of shape (n_columns,) or None
        Species columns held in `states` (e.g. only the output species, to save
        memory on big batches); None means all species in CRN order. Must
        include every species that a declared output reads.
    """

    crn: CRN
    times: np.ndarray
    states: np.ndarray
    input_rows: np.ndarray
    method: str
    stats: OdeStats | SsaStats | None = None
    columns: np.ndarray | None = None

    def __post_init__(self) -> None:
        times = np.asarray(self.times, dtype=np.float64)
        states = np.asarray(self.states, dtype=np.float64)
        width = self.crn.n_species
        if self.columns is not None:
            columns = np.asarray(self.columns, dtype=np.int64)
            if columns.ndim != 1 or (columns < 0).any() or (columns >= width).any():
                raise ValueError(f"columns must be species indices in [0, {width}), got {self.columns!r}")
            read = np.flatnonzero(np.any(self.crn.output_matrix != 0, axis=0))
            if not np.isin(read, columns).all():
                raise ValueError("columns must include every species read by a declared output")
            object.__setattr__(self, "columns", columns)
            width = columns.shape[0]
        if states.ndim != 3 or states.shape[1] != times.shape[0] or states.shape[2] != width:
            raise ValueError(
                f"states must have shape (n_batch, {times.shape[0]}, {width}), got {states.shape}"
            )
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "states", states)
        object.__setattr__(self, "input_rows", np.asarray(self.input_rows, dtype=np.int64))

    @property
    def info(self) -> Mapping[str, Any]:
        """Read-only view of `stats` under the former dict keys (prefer `stats`)."""
        return _EMPTY if self.stats is None else MappingProxyType(self.stats.as_info())

    @property
    def species(self) -> tuple[str, ...]:
        """Names of the species in the last axis of `states`."""
        if self.columns is None:
            return self.crn.species
        return tuple(self.crn.species[i] for i in self.columns)

    @property
    def outputs(self) -> np.ndarray:
        """Declared output values over time, shape (n_batch, n_times, n_outputs)."""
        if self.columns is None:
            return self.crn.read_outputs(self.states)
        return self.states @ self.crn.output_matrix[:, self.columns].T

    @property
    def final_states(self) -> np.ndarray:
        """Amounts at the last sample time, shape (n_batch, n_species) (n_columns with `columns`)."""
        return self.states[:, -1, :]

    @property
    def final_outputs(self) -> np.ndarray:
        """Output values at the last sample time, shape (n_batch, n_outputs)."""
        return (
            self.outputs[:, -1, :] if self.columns is not None else self.crn.read_outputs(self.final_states)
        )


def check_trajectory_size(
    n_batch: int, n_times: int, n_columns: int, *, remedy: str = "use fewer n_points, runs or input rows"
) -> None:
    """Refuse a trajectory too large to hold, before anything is allocated.

    Parameters
    ----------
    n_batch, n_times, n_columns : int
        The trajectory's shape: batch rows (inputs x runs), sample times, stored columns.
    remedy : str
        What the message tells the user to change (the CLI names its flags).

    Raises
    ------
    SimulationError
        ``n_batch x n_times x n_columns`` is above :data:`nn2crn._limits.MAX_ARRAY_ELEMENTS`.
    """
    from .._errors import SimulationError
    from .._limits import MAX_ARRAY_ELEMENTS

    values = int(n_batch) * int(n_times) * max(1, int(n_columns))
    if values > MAX_ARRAY_ELEMENTS:
        raise SimulationError(
            f"the trajectories would hold {values:,} values ({n_batch} batch rows (inputs x runs) x {n_times} "
            f"times x {n_columns} species), above the limit of {MAX_ARRAY_ELEMENTS:,}; {remedy}"
        )
