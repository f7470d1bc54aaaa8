"""Results shared by every simulation method."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..crn import CRN


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
    info : dict
        Method-specific diagnostics (steps taken, events fired, ...).
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
    info: dict[str, Any] = field(default_factory=dict)
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


def check_trajectory_size(n_batch: int, n_times: int, n_columns: int) -> None:
    """Refuse a trajectory too large to hold, before anything is allocated.

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
            f"times x {n_columns} species), above the limit of {MAX_ARRAY_ELEMENTS:,}; use fewer --points, "
            f"--runs or input rows"
        )
