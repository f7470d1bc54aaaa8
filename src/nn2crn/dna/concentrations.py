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

    Raises
    ------
    DNADesignError
        A concentration overflows to infinity, a positive amount underflows to 0 nM,
        or the fuels come to 0 or infinity (e.g. ``unit_nM=1e300`` with an amount of 10).
    """
    concentrations = Concentrations() if concentrations is None else concentrations
    crn = system.crn
    if input_values is None:
        state = (
            crn.initial_vector[None, :] if not crn.inputs else crn.initial_state(np.zeros((1, crn.n_inputs)))
        )
    else:
        state = crn.initial_state(input_values)
    state = np.asarray(state, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore"):
        signal_nM = state * concentrations.unit_nM
        largest = float(signal_nM.max(initial=0.0)) or concentrations.unit_nM
        fuel_nM = concentrations.fuel_excess * largest
    _check_representable(state, signal_nM, fuel_nM, concentrations)
    return LoadedConcentrations(signal_nM, fuel_nM)


def _check_representable(
    state: np.ndarray, signal_nM: np.ndarray, fuel_nM: float, concentrations: Concentrations
) -> None:
    """Refuse concentrations a float cannot hold: ``inf`` is no concentration, and an
    amount that underflows to 0 nM would silently drop its signal from the .pil."""
    where = f"unit_nM = {concentrations.unit_nM:g}, fuel_excess = {concentrations.fuel_excess:g}"
    overflow = ~np.isfinite(signal_nM)
    if overflow.any():
        row, column = (int(i) for i in np.argwhere(overflow)[0])
        raise DNADesignError(
            f"row {row}: an amount of {state[row, column]:g} at {where} is not a finite concentration; "
            f"use a smaller unit_nM"
        )
    lost = (signal_nM == 0) & (state > 0)
    if lost.any():
        row, column = (int(i) for i in np.argwhere(lost)[0])
        raise DNADesignError(
            f"row {row}: an amount of {state[row, column]:g} at {where} rounds to 0 nM; use a larger unit_nM"
        )
    if not (math.isfinite(fuel_nM) and fuel_nM > 0):
        raise DNADesignError(
            f"fuels at fuel_excess x the largest signal come to {fuel_nM:g} nM at {where}; "
            f"the fuel concentration must be finite and > 0"
        )
