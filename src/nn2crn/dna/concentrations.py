"""Concentrations: one formal CRN unit is `unit_nM` nM; fuels at `fuel_excess` × the largest signal."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from .._errors import DNADesignError
from .system import DSDSystem

DEFAULT_UNIT_NM = 10.0
DEFAULT_FUEL_EXCESS = 10.0


@dataclass(frozen=True)
class Concentrations:
    """How formal amounts become concentrations.

    Attributes
    ----------
    unit_nM : float
        Concentration of one formal unit, nM (default 10).
    fuel_excess : float
        Every fuel complex starts at this many times the largest initial signal
        concentration (default 10). Fuels are finite and deplete in simulations.
    """

    unit_nM: float = DEFAULT_UNIT_NM
    fuel_excess: float = DEFAULT_FUEL_EXCESS

    def __post_init__(self) -> None:
        for name in ("unit_nM", "fuel_excess"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not (math.isfinite(value) and value > 0)
            ):
                raise DNADesignError(f"{name} must be a finite number > 0, got {value!r}")
        object.__setattr__(self, "unit_nM", float(self.unit_nM))
        object.__setattr__(self, "fuel_excess", float(self.fuel_excess))


@dataclass(frozen=True)
class LoadedConcentrations:
    """Initial concentrations (nM) of the input signals for a batch, and the fuel level.

    Attributes
    ----------
    signal_nM : ndarray of shape (n_batch, n_species)
        Formal initial state times the unit, in the formal CRN's species order.
    fuel_nM : float
        Concentration of every fuel complex (the same for every row).
    """

    signal_nM: np.ndarray
    fuel_nM: float

    def row(self, system: DSDSystem, index: int = 0) -> Mapping[str, float]:
        """Input-signal complex name → nM for one batch row."""
        amounts = {}
        for column, species in enumerate(system.crn.species):
            value = float(self.signal_nM[index, column])
            if value > 0:
                amounts[system.input_signal(species)] = value
        return MappingProxyType(amounts)


def load_concentrations(
    system: DSDSystem, input_values: object = None, concentrations: Concentrations | None = None
) -> LoadedConcentrations:
    """Concentrations for input rows, as :meth:`nn2crn.crn.CRN.initial_state` loads them.

    Parameters
    ----------
    system : DSDSystem
    input_values : array-like of shape (n_batch, n_inputs), or None
        Declared-input values (None: only the fixed initial amounts, inputs at 0).
    concentrations : Concentrations, optional

    Returns
    -------
    LoadedConcentrations
        The fuel level is `fuel_excess` × the largest signal over all rows (one
        unit when every signal is 0), so every row sees the same fuels.
    """
    concentrations = Concentrations() if concentrations is None else concentrations
    crn = system.crn
    if input_values is None:
        state = (
            crn.initial_vector[None, :] if not crn.inputs else crn.initial_state(np.zeros((1, crn.n_inputs)))
        )
    else:
        state = crn.initial_state(input_values)
    signal_nM = np.asarray(state, dtype=np.float64) * concentrations.unit_nM
    largest = float(signal_nM.max(initial=0.0)) or concentrations.unit_nM
    return LoadedConcentrations(signal_nM, concentrations.fuel_excess * largest)
