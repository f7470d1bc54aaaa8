"""DNA-level studies returning frozen results: agreement over time, fuel × leak sweeps, report data.

These are the computations behind the report's "DNA implementation" section; the
renderer lives in the report stage.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..crn import CRN
from .concentrations import Concentrations
from .cost import DNACost, dna_cost
from .kinetics import build_kinetics, simulate_dna
from .system import DomainLengths
from .translate import translate
from .verify import ShapeCache, VerificationReport, verify_system

DEFAULT_FUELS = (2.0, 10.0, 100.0)
DEFAULT_LEAKS = (0.0, 1.0, 10.0)


@dataclass(frozen=True)
class AgreementRun:
    """One DNA-level ODE run over a batch, compared with the network's argmax.

    Attributes
    ----------
    fuel_excess, leak : float
        Fuel level (× largest signal) and leak rate constant (/M/s).
    times_h : tuple of float
    agreement : tuple of int
        Rows whose DNA-level argmax equals the network's, at each time.
    n_rows : int
    decision_h_median, decision_h_max : float
        Per row, the first sample time from which its argmax stays the network's
        (inf if it never settles on it); median and maximum over rows.
    max_error : float
        Largest |DNA output − network output| at the last time, CRN units.
    seconds : float
        Wall time of the simulation.
    """

    fuel_excess: float
    leak: float
    times_h: tuple[float, ...]
    agreement: tuple[int, ...]
    n_rows: int
    decision_h_median: float
    decision_h_max: float
    max_error: float
    seconds: float


def agreement_run(
    crn: CRN,
    network_outputs: np.ndarray,
    input_values: np.ndarray,
    *,
    scheme: str = "ssw2010",
    lengths: DomainLengths | None = None,
    concentrations: Concentrations | None = None,
    leak: float = 0.0,
    hours: float = 4.0,
    n_points: int = 25,
    cache: ShapeCache | None = None,
) -> AgreementRun:
    """Simulate the DSD implementation of `crn` and compare with `network_outputs` (n_batch, n_outputs)."""
    concentrations = Concentrations() if concentrations is None else concentrations
    system = translate(crn, scheme, lengths)
    kinetics = build_kinetics(system, input_values, concentrations, leak=leak, cache=cache)
    started = time.perf_counter()
    trajectory = simulate_dna(kinetics, input_values, t_end_s=hours * 3600.0, n_points=n_points)
    seconds = time.perf_counter() - started
    reference = np.asarray(network_outputs).argmax(axis=1)
    correct = trajectory.outputs.argmax(axis=2) == reference[:, None]  # (n_batch, n_times)
    # First index from which every later sample is correct.
    stays = np.flip(np.logical_and.accumulate(np.flip(correct, axis=1), axis=1), axis=1)
    first = np.where(stays.any(axis=1), stays.argmax(axis=1), -1)
    decision = np.where(first >= 0, trajectory.times_h[np.maximum(first, 0)], np.inf)
    return AgreementRun(
        concentrations.fuel_excess,
        float(leak),
        tuple(float(t) for t in trajectory.times_h),
        tuple(int(c) for c in correct.sum(axis=0)),
        int(correct.shape[0]),
        float(np.median(decision)),
        float(decision.max()),
        float(np.abs(trajectory.outputs[:, -1, :] - network_outputs).max()),
        seconds,
    )


def fuel_leak_sweep(
    crn: CRN,
    network_outputs: np.ndarray,
    input_values: np.ndarray,
    *,
    scheme: str = "ssw2010",
    fuel_excesses: Sequence[float] = DEFAULT_FUELS,
    leaks: Sequence[float] = DEFAULT_LEAKS,
    unit_nM: float = 10.0,
    hours: float = 4.0,
    n_points: int = 25,
    cache: ShapeCache | None = None,
) -> tuple[AgreementRun, ...]:
    """:func:`agreement_run` for every fuel excess × leak (the module shapes are enumerated once)."""
    cache = ShapeCache() if cache is None else cache
    return tuple(
        agreement_run(
            crn,
            network_outputs,
            input_values,
            scheme=scheme,
            concentrations=Concentrations(unit_nM, fuel),
            leak=leak,
            hours=hours,
            n_points=n_points,
            cache=cache,
        )
        for fuel in fuel_excesses
        for leak in leaks
    )


@dataclass(frozen=True)
class DNASectionData:
    """Everything the report's "DNA implementation" section shows for one model.

    Attributes
    ----------
    model : str
    costs : tuple of (str, str, DNACost)
        (CRN form "compiled"/"reduced", scheme, cost).
    verification : tuple of (str, str, VerificationReport)
    sweep : tuple of AgreementRun
        Compiled CRN, default scheme; empty when kinetics were skipped.
    """

    model: str
    costs: tuple[tuple[str, str, DNACost], ...]
    verification: tuple[tuple[str, str, VerificationReport], ...]
    sweep: tuple[AgreementRun, ...]


def dna_section_data(
    model: str,
    compiled: CRN,
    reduced: CRN,
    *,
    network_outputs: np.ndarray | None = None,
    input_values: np.ndarray | None = None,
    schemes: Sequence[str] = ("ssw2010", "qsw2011"),
    verify: Sequence[tuple[str, str]] = (("compiled", "ssw2010"),),
    pairs: bool = True,
    whole_limit: int = 50,
    fuel_excesses: Sequence[float] = DEFAULT_FUELS,
    leaks: Sequence[float] = DEFAULT_LEAKS,
    hours: float = 4.0,
) -> DNASectionData:
    """Cost tables, verification verdicts and (with inputs) the fuel × leak agreement sweep."""
    forms = {"compiled": compiled, "reduced": reduced}
    costs = tuple(
        (form, scheme, dna_cost(translate(crn, scheme))) for form, crn in forms.items() for scheme in schemes
    )
    caches = {scheme: ShapeCache() for scheme in schemes}
    verification = tuple(
        (
            form,
            scheme,
            verify_system(
                translate(forms[form], scheme),
                pairs=pairs,
                whole_limit=whole_limit,
                cache=caches.setdefault(scheme, ShapeCache()),
            ),
        )
        for form, scheme in verify
    )
    sweep: tuple[AgreementRun, ...] = ()
    if network_outputs is not None and input_values is not None:
        sweep = fuel_leak_sweep(
            compiled,
            network_outputs,
            input_values,
            fuel_excesses=fuel_excesses,
            leaks=leaks,
            hours=hours,
            cache=caches.get("ssw2010"),
        )
    return DNASectionData(model, costs, verification, sweep)
