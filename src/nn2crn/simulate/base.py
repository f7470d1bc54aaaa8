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
    states : ndarray of shape (n_batch, n_times, n_species)
        Amounts at each sample time. For the stochastic method, batch rows are
        (input row, run) pairs; see `input_rows`.
    input_rows : ndarray of shape (n_batch,)
        Index of the input row each batch row came from.
    method : str
        "exact", "ode" or "ssa".
    info : dict
        Method-specific diagnostics (steps taken, events fired, ...).
    """

    crn: CRN
    times: np.ndarray
    states: np.ndarray
    input_rows: np.ndarray
    method: str
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        times = np.asarray(self.times, dtype=np.float64)
        states = np.asarray(self.states, dtype=np.float64)
        if states.ndim != 3 or states.shape[1] != times.shape[0] or states.shape[2] != self.crn.n_species:
            raise ValueError(
                f"states must have shape (n_batch, {times.shape[0]}, {self.crn.n_species}), got {states.shape}"
            )
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "states", states)
        object.__setattr__(self, "input_rows", np.asarray(self.input_rows, dtype=np.int64))

    @property
    def outputs(self) -> np.ndarray:
        """Declared output values over time, shape (n_batch, n_times, n_outputs)."""
        return self.crn.read_outputs(self.states)

    @property
    def final_states(self) -> np.ndarray:
        """Amounts at the last sample time, shape (n_batch, n_species)."""
        return self.states[:, -1, :]

    @property
    def final_outputs(self) -> np.ndarray:
        """Output values at the last sample time, shape (n_batch, n_outputs)."""
        return self.crn.read_outputs(self.final_states)
