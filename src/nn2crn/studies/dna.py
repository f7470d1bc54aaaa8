"""DNA-level studies returning frozen results: simulating the condensed DSD CRN, agreement
over time, fuel × leak sweeps and the data of the report's "DNA implementation" section.

The DSD system and its condensed CRN come from :mod:`nn2crn.dna`; simulating them is a
study, since it needs the simulate stage. The renderer lives in the report stage.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .._errors import DNADesignError
from ..crn import CRN
from ..dna.concentrations import Concentrations
from ..dna.cost import DNACost, dna_cost
from ..dna.fanout import bound_fanout
from ..dna.kinetics import DNAKinetics, build_kinetics
from ..dna.system import DomainLengths
from ..dna.translate import translate
from ..dna.verify import ShapeCache, VerificationReport, verify_system

if TYPE_CHECKING:
    from .experiment import ExperimentResult, Log

DEFAULT_FUELS = (2.0, 10.0, 100.0)
DEFAULT_LEAKS = (0.0, 1.0, 10.0)


@dataclass(frozen=True)
class DNATrajectory:
    """Formal outputs read from a DNA-level simulation.

    Attributes
    ----------
    times_s : ndarray of shape (n_times,)
    outputs : ndarray of shape (n_batch, n_times, n_outputs)
        Dual-rail differences (sum over history variants) divided by the unit, i.e.
        in formal units comparable with the network's outputs.
    method : str
        ``ode`` or ``ssa``.
    """

    times_s: np.ndarray
    outputs: np.ndarray
    method: str

    @property
    def times_h(self) -> np.ndarray:
        return self.times_s / 3600.0


def simulate_dna(
    kinetics: DNAKinetics,
    input_values: object,
    *,
    t_end_s: float,
    n_points: int = 61,
    method: str = "ode",
    volume_fl: float = 1.0,
    runs: int = 1,
    seed: int = 0,
    progress=None,
) -> DNATrajectory:
    """Simulate the condensed DSD CRN for a batch of formal input rows.

    Parameters
    ----------
    kinetics : DNAKinetics
    input_values : array-like of shape (n_batch, n_inputs)
        Formal input values (multiplied by the unit here).
    t_end_s : float
        Final time in seconds.
    n_points : int
    method : {"ode", "ssa"}
        The batched ODE solver, or exact SSA at molecule counts for `volume_fl`
        femtolitres (1 nM in 1 fL is 0.602 molecules).
    volume_fl, runs, seed
        SSA only.

    Returns
    -------
    DNATrajectory
    """
    values = np.asarray(input_values, dtype=np.float64) * kinetics.unit_nM
    if method == "ode":
        from ..simulate.ode import simulate_ode

        trajectory = simulate_ode(
            kinetics.crn,
            values,
            t_end=t_end_s,
            n_points=n_points,
            rtol=1e-5,
            atol=1e-4,
            store="outputs",
            progress=progress,
            max_steps=1_000_000,
        )
    elif method == "ssa":
        from ..simulate.ssa import simulate_ssa

        # volume in the CRN's units: molecules per nM in volume_fl femtolitres.
        molecules_per_nM = 6.02214076e23 * 1e-9 * volume_fl * 1e-15
        trajectory = simulate_ssa(
            kinetics.crn,
            values,
            t_end=t_end_s,
            volume=molecules_per_nM,
            runs=runs,
            n_points=n_points,
            seed=seed,
            store="outputs",
            progress=progress,
        )
    else:
        raise DNADesignError(f"unknown simulation method {method!r}; choose ode or ssa")
    outputs = kinetics.crn.read_outputs(_full_states(kinetics.crn, trajectory)) / kinetics.unit_nM
    return DNATrajectory(np.asarray(trajectory.times), outputs, method)


def _full_states(crn: CRN, trajectory) -> np.ndarray:
    states = np.asarray(trajectory.states)
    if trajectory.columns is None:
        return states
    full = np.zeros((*states.shape[:-1], crn.n_species))
    full[..., np.asarray(trajectory.columns)] = states
    return full


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
    outputs : ndarray of shape (n_rows, n_times, n_outputs)
        DNA-level outputs (sum of the history variants, dual-rail difference) in CRN
        units at `times_h`, for the report's trajectory figure.
    network_outputs : ndarray of shape (n_rows, n_outputs)
        The network's values the run is compared with.
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
    outputs: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)), compare=False, repr=False)
    network_outputs: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), compare=False, repr=False)


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
        np.asarray(trajectory.outputs),
        np.asarray(network_outputs, dtype=np.float64),
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
        Compiled CRN (fan-out bounded with `max_fanout`), default scheme; empty when
        kinetics were skipped.
    output_names : tuple of str
        The CRN's declared outputs, in the order of the runs' output columns.
    max_fanout : int or None
        The fan-out bound (:func:`nn2crn.dna.fanout.bound_fanout`) of the verified and
        simulated CRNs; None when they are the CRNs as compiled and reduced.
    whole_limit : int
        Whole-system enumeration was done for CRNs of at most this many reactions.
    sweep_form : str
        The CRN form the sweep simulated (``compiled`` or ``compiled, fan-out ≤ K``).
    """

    model: str
    costs: tuple[tuple[str, str, DNACost], ...]
    verification: tuple[tuple[str, str, VerificationReport], ...]
    sweep: tuple[AgreementRun, ...]
    output_names: tuple[str, ...] = ()
    max_fanout: int | None = None
    whole_limit: int = 50
    sweep_form: str = "compiled"


def fanout_form(form: str, max_fanout: int | None) -> str:
    """The label of CRN form `form` after :func:`nn2crn.dna.fanout.bound_fanout` (unchanged for None)."""
    return form if max_fanout is None else f"{form}, fan-out ≤ {max_fanout}"


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
    max_fanout: int | None = None,
) -> DNASectionData:
    """Cost tables, verification verdicts and (with inputs) the fuel × leak agreement sweep.

    Parameters
    ----------
    verify : sequence of (form, scheme)
        Form ``compiled`` or ``reduced``.
    max_fanout : int, optional
        Verify and simulate the CRNs with every reaction's products split into trees
        of at most this many (:func:`nn2crn.dna.fanout.bound_fanout`; exact, and it
        leaves a handful of module shapes, which is what makes MNIST verify in
        minutes). The cost table then has the bounded compiled CRN's rows too.
    """
    forms = {"compiled": compiled, "reduced": reduced}
    unknown = sorted({form for form, _ in verify} - set(forms))
    if unknown:
        raise DNADesignError(f"unknown CRN form {unknown[0]!r} to verify; choose compiled or reduced")
    bounded: dict[str, CRN] = {}

    def chosen(form: str) -> CRN:
        if max_fanout is None:
            return forms[form]
        if form not in bounded:
            bounded[form] = bound_fanout(forms[form], max_fanout)
        return bounded[form]

    cost_forms = [(form, crn) for form, crn in forms.items()]
    if max_fanout is not None:
        cost_forms.append((fanout_form("compiled", max_fanout), chosen("compiled")))
    costs = tuple(
        (form, scheme, dna_cost(translate(crn, scheme))) for form, crn in cost_forms for scheme in schemes
    )
    caches = {scheme: ShapeCache() for scheme in schemes}
    verification = tuple(
        (
            fanout_form(form, max_fanout),
            scheme,
            verify_system(
                translate(chosen(form), scheme),
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
            chosen("compiled"),
            network_outputs,
            input_values,
            fuel_excesses=fuel_excesses,
            leaks=leaks,
            hours=hours,
            cache=caches.get("ssw2010"),
        )
    return DNASectionData(
        model,
        costs,
        verification,
        sweep,
        tuple(compiled.output_names),
        max_fanout,
        whole_limit,
        fanout_form("compiled", max_fanout),
    )


DNA_ROWS = 10
"""Test examples of an experiment that the report's DNA agreement sweep simulates."""


@dataclass(frozen=True)
class DNAPlan:
    """What the report's DNA section computes for one experiment.

    Attributes
    ----------
    rows : int
        Test examples simulated at the DNA level (0: no kinetics).
    max_fanout : int or None
        See :func:`dna_section_data`.
    verify : tuple of (form, scheme)
    fuel_excesses, leaks : tuple of float
        The agreement sweep's grid.
    """

    rows: int = DNA_ROWS
    max_fanout: int | None = None
    verify: tuple[tuple[str, str], ...] = (("compiled", "ssw2010"),)
    fuel_excesses: tuple[float, ...] = DEFAULT_FUELS
    leaks: tuple[float, ...] = DEFAULT_LEAKS


def dna_available() -> bool:
    """Whether the ``dna`` extra (peppercorn, crnverifier) is importable, without importing it."""
    from importlib.util import find_spec

    return find_spec("peppercornenumerator") is not None and find_spec("crnverifier") is not None


def experiment_dna(
    result: ExperimentResult, plan: DNAPlan | None = None, *, log: Log | None = None
) -> DNASectionData:
    """:func:`dna_section_data` of an experiment: the report's "DNA implementation" data.

    Costs of the compiled and reduced CRN under both schemes, the plan's CRNs
    verified (modules + interacting pairs; whole system only up to 50 reactions),
    and the fuel × leak agreement sweep on the first `plan.rows` test examples.

    Parameters
    ----------
    result : ExperimentResult
    plan : DNAPlan, optional
        Default: :data:`DNA_ROWS` rows, the compiled CRN verified under ssw2010, the
        full fuel × leak grid, no fan-out bound.
    log : callable, optional
        Receives one progress message.

    Returns
    -------
    DNASectionData
    """
    plan = DNAPlan() if plan is None else plan
    rows = slice(0, plan.rows)
    started = time.perf_counter()
    data = dna_section_data(
        result.key,
        result.crn,
        result.reduced,
        network_outputs=np.asarray(result.nn_test_outputs)[rows] if plan.rows else None,
        input_values=result.network.transform(result.dataset.test.x[rows]) if plan.rows else None,
        verify=plan.verify,
        fuel_excesses=plan.fuel_excesses,
        leaks=plan.leaks,
        max_fanout=plan.max_fanout,
    )
    if log is not None:
        log(
            f"{result.key}: DNA implementation (cost, verification, fuel x leak) in {time.perf_counter() - started:.0f} s"
        )
    return data
