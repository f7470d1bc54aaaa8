"""One experiment: a network on its dataset, compiled, reduced, evaluated exactly and simulated.

:func:`run_experiment` compiles a network (Algorithm 1) and reduces it
(Algorithm 2), checks both CRNs, evaluates every test example exactly and
compares with the network, and simulates mass-action ODE kinetics (all rate
constants 1) of the first test examples on both CRNs, measuring convergence
(every output within ε absolute of its stable value) and stabilization (the
eventual argmax stays on top) times. The demo, the reproduction table and the
report all build on its :class:`ExperimentResult`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .._errors import InputDataError
from ..crn import CRN, CheckReport
from ..datasets.base import Dataset
from ..nn import Network
from ..simulate.base import Trajectory

EPSILON = 0.01
"""Absolute tolerance of the convergence time (the paper's smallest ε)."""
ODE_CHUNK_ROWS = 256
"""Rows simulated per ODE call (bounds the memory of the stored trajectories)."""
DEFAULT_ODE_EXAMPLES = 1000
"""Test examples simulated by ODE: all of IRIS (150), virus (104) and the MNIST sample (1,000)."""

Log = Callable[[str], None]


def weight_kind(network: Network) -> str:
    """``binary`` (all weights ±1) or ``ternary`` (some zero weights), or as recorded in training."""
    recorded = network.training.get("hyperparameters", {})
    if isinstance(recorded, Mapping) and recorded.get("weights") in ("binary", "ternary"):
        return str(recorded["weights"])
    has_zero = any((layer.weight == 0).any() for layer in network.layers)
    return "ternary" if has_zero else "binary"


# ---------------------------------------------------------------------------
# Kinetics


def sample_times(t_end: float, *, n_linear: int = 501, n_log: int = 300, t_first: float = 1e-3) -> np.ndarray:
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

    grid = sample_times(t_end)
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
    trajectory = None
    if keep and columns is not None:
        states = np.stack([kept[row] for row in keep])
        trajectory = Trajectory(crn, grid, states, np.array(keep), "ode", columns=columns)
    n_out = stable.shape[1]
    return KineticsResult(
        label=label,
        t_end=float(t_end),
        final_outputs=np.concatenate(finals) if finals else np.zeros((0, n_out)),
        final_gap=np.concatenate(gaps) if gaps else np.zeros((0, n_out)),
        half_time_gap=float(max(half_gaps, default=0.0)),
        epsilon_times=np.concatenate(eps_times) if eps_times else np.zeros(0),
        argmax_times=all_argmax,
        trajectory=trajectory,
        seconds=seconds,
        steps=steps,
    )


# ---------------------------------------------------------------------------
# One experiment


@dataclass(frozen=True, eq=False)
class ExperimentResult:
    """Everything measured for one dataset.

    Array shapes: ``n_test`` test examples, ``n_ode`` simulated ones (the first
    ``n_ode`` test examples), ``n_outputs`` classes.
    """

    key: str
    network: Network
    dataset: Dataset
    provenance: str
    weights: str
    crn: CRN
    reduced: CRN
    fully_reduced_reactions: int
    checks: dict[str, CheckReport]
    nn_correct: dict[str, tuple[int, int]]
    crn_exact_correct: dict[str, tuple[int, int]]
    nn_test_outputs: np.ndarray
    exact_test_outputs: np.ndarray
    exact_max_abs: float
    exact_max_relative: float
    exact_agreement: tuple[int, int]
    ode: KineticsResult
    ode_reduced: KineticsResult
    plot_rows: tuple[int, ...]
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def architecture(self) -> str:
        return "-".join(map(str, self.network.widths))

    @property
    def n_ode(self) -> int:
        return int(self.ode.final_outputs.shape[0])

    def ode_correct(self, kinetics: KineticsResult | None = None) -> tuple[int, int]:
        kinetics = kinetics or self.ode
        labels = self.dataset.test.y[: self.n_ode]
        return int((np.argmax(kinetics.final_outputs, axis=1) == labels).sum()), self.n_ode

    def ode_agreement(self, kinetics: KineticsResult | None = None) -> tuple[int, int]:
        kinetics = kinetics or self.ode
        nn = np.argmax(self.nn_test_outputs[: self.n_ode], axis=1)
        return int((np.argmax(kinetics.final_outputs, axis=1) == nn).sum()), self.n_ode

    def ode_disagreements(self, kinetics: KineticsResult | None = None) -> list[tuple[int, float, float]]:
        """Simulated examples whose argmax at ``t_end`` is not the network's.

        Returns
        -------
        list of (example, margin, gap)
            `margin`: the difference between the two largest stable outputs; `gap`:
            the example's largest ``|output(t_end) − stable|``. A disagreement with
            ``margin < 2 gap`` is an example still settling, not a wrong answer.
        """
        kinetics = kinetics or self.ode
        nn = np.argmax(self.nn_test_outputs[: self.n_ode], axis=1)
        wrong = np.flatnonzero(np.argmax(kinetics.final_outputs, axis=1) != nn)
        ordered = np.sort(self.exact_test_outputs[: self.n_ode], axis=1)
        margins = ordered[:, -1] - ordered[:, -2] if ordered.shape[1] > 1 else np.full(self.n_ode, np.inf)
        gaps = kinetics.final_gap.max(axis=1, initial=0.0)
        return [(int(i), float(margins[i]), float(gaps[i])) for i in wrong]

    def ode_max_abs(self, kinetics: KineticsResult | None = None) -> float:
        """Largest ``|CRN(t_end) − NN|`` over the simulated examples and outputs."""
        kinetics = kinetics or self.ode
        difference = np.abs(kinetics.final_outputs - self.nn_test_outputs[: self.n_ode])
        return float(difference.max(initial=0.0))


def _correct(outputs: np.ndarray, labels: np.ndarray) -> tuple[int, int]:
    return int((np.argmax(outputs, axis=1) == labels).sum()), int(labels.shape[0])


def class_examples(labels: np.ndarray, n_classes: int, limit: int = 3) -> tuple[int, ...]:
    """The first example of each of the first `limit` classes present in `labels`."""
    rows: list[int] = []
    for label in range(n_classes):
        found = np.flatnonzero(labels == label)
        if found.size and len(rows) < limit:
            rows.append(int(found[0]))
    return tuple(rows)


def run_experiment(
    key: str,
    network: Network,
    dataset: Dataset,
    *,
    t_end: float,
    ode_examples: int = DEFAULT_ODE_EXAMPLES,
    provenance: str = "",
    log: Log | None = None,
) -> ExperimentResult:
    """Compile, reduce, check, evaluate exactly and simulate one network on its dataset.

    Parameters
    ----------
    key : str
        Name of the row (e.g. ``iris``).
    network : Network
        Weights in {-1, 0, +1}; its input transform is applied to the raw features.
    dataset : Dataset
    t_end : float
        End of the ODE simulations.
    ode_examples : int
        Simulate the first ``min(ode_examples, n_test)`` test examples.
    provenance : str
        Where the network came from (for the report).
    log : callable, optional
        Receives progress messages.

    Returns
    -------
    ExperimentResult
    """
    from ..compile import compile_network, reduce_crn
    from ..crn import check_crn
    from ..simulate import stable_outputs

    if network.n_inputs != dataset.n_features or network.n_outputs != dataset.n_classes:
        raise InputDataError(
            f"{key}: the network is {'-'.join(map(str, network.widths))} but the dataset has "
            f"{dataset.n_features} features and {dataset.n_classes} classes"
        )
    if ode_examples < 1:
        raise InputDataError(f"ode_examples must be >= 1, got {ode_examples}")
    say = log or (lambda message: None)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    crn = compile_network(network)
    reduced = reduce_crn(crn)
    fully_reduced = reduce_crn(crn, keep_inputs=False)
    checks = {"compiled": check_crn(crn), "reduced": check_crn(reduced)}
    seconds["compile and reduce"] = time.perf_counter() - started
    say(
        f"{key}: compiled {crn.n_species} species / {crn.n_reactions} reactions, reduced "
        f"{reduced.n_species} / {reduced.n_reactions}"
    )

    started = time.perf_counter()
    nn_correct = {}
    crn_correct = {}
    for name in ("train", "test"):
        split = getattr(dataset, name)
        x = network.transform(split.x)
        nn_correct[name] = _correct(network.forward(x), split.y)
        crn_correct[name] = _correct(stable_outputs(crn, x), split.y)
    x_test = network.transform(dataset.test.x)
    nn_test = network.forward(x_test)
    exact_test = stable_outputs(crn, x_test)
    exact_reduced = stable_outputs(reduced, x_test)
    difference = np.maximum(np.abs(exact_test - nn_test), np.abs(exact_reduced - nn_test))
    relative = difference / np.maximum(1.0, network.forward_magnitude(x_test))
    agreement = (
        int(
            (
                (np.argmax(exact_test, axis=1) == np.argmax(nn_test, axis=1))
                & (np.argmax(exact_reduced, axis=1) == np.argmax(nn_test, axis=1))
            ).sum()
        ),
        int(x_test.shape[0]),
    )
    seconds["exact evaluation"] = time.perf_counter() - started
    say(f"{key}: exact evaluation of {x_test.shape[0]} test examples, max |CRN - NN| {difference.max():.2g}")

    n_ode = min(int(ode_examples), x_test.shape[0])
    started = time.perf_counter()
    first_rows = class_examples(dataset.test.y[:n_ode], dataset.n_classes)
    ode = simulate_kinetics(
        crn,
        x_test[:n_ode],
        exact_test[:n_ode],
        t_end=t_end,
        label="compiled",
        keep_rows=first_rows,
        keep_slowest=True,
    )
    plot_rows = tuple(int(row) for row in ode.trajectory.input_rows) if ode.trajectory is not None else ()
    ode_reduced = simulate_kinetics(
        reduced, x_test[:n_ode], exact_reduced[:n_ode], t_end=t_end, label="reduced", keep_rows=plot_rows
    )
    seconds["ODE kinetics"] = time.perf_counter() - started
    say(f"{key}: ODE kinetics of {n_ode} examples to t = {t_end:g} in {seconds['ODE kinetics']:.1f} s")
    return ExperimentResult(
        key=key,
        network=network,
        dataset=dataset,
        provenance=provenance,
        weights=weight_kind(network),
        crn=crn,
        reduced=reduced,
        fully_reduced_reactions=fully_reduced.n_reactions,
        checks=checks,
        nn_correct=nn_correct,
        crn_exact_correct=crn_correct,
        nn_test_outputs=nn_test,
        exact_test_outputs=exact_test,
        exact_max_abs=float(difference.max(initial=0.0)),
        exact_max_relative=float(relative.max(initial=0.0)),
        exact_agreement=agreement,
        ode=ode,
        ode_reduced=ode_reduced,
        plot_rows=plot_rows,
        seconds=seconds,
    )


# ---------------------------------------------------------------------------
# Formatting and environment


def format_percent(correct: tuple[int, int]) -> str:
    hits, total = correct
    return f"{hits / total:.1%} ({hits}/{total})" if total else "-"


def format_time(value: float) -> str:
    """A settling time: 3 significant digits; ``inf`` as ``not settled``."""
    return f"{value:.3g}" if math.isfinite(value) else "not settled"


def median_p95(values: np.ndarray) -> tuple[float, float]:
    from ..simulate.metrics import summarize

    summary = summarize(values)
    return summary["median"], summary["p95"]


def package_version() -> str:
    from .. import __version__

    return __version__


def can_plot() -> bool:
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None
