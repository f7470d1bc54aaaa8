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

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .._errors import InputDataError
from .._frozen import FrozenMapping
from ..crn import CRN, CheckReport
from ..datasets.base import Dataset
from ..nn import Network
from ..nn.network import Conv2d, Layer
from .kinetics import KineticsResult, simulate_kinetics

DEFAULT_ODE_EXAMPLES = 1000
"""Test examples simulated by ODE: all of IRIS (150), virus (104) and the MNIST sample (1,000)."""

Log = Callable[[str], None]


def weight_kind(network: Network) -> str:
    """The weight kind recorded in training (``binary``, ``ternary``, ``int:K``), else read off the
    weights: ``binary`` (all ±1), ``ternary`` (some zero), ``integer`` or ``rational``."""
    recorded = network.training.get("hyperparameters", {})
    if isinstance(recorded, Mapping) and isinstance(recorded.get("weights"), str):
        return str(recorded["weights"])
    weights = [layer.weight for layer in network.layers if isinstance(layer, (Layer, Conv2d))]
    if any((weight != np.round(weight)).any() for weight in weights):
        return "rational"
    if any((np.abs(weight) > 1).any() for weight in weights):
        return "integer"
    return "ternary" if any((weight == 0).any() for weight in weights) else "binary"


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
    checks: Mapping[str, CheckReport]
    nn_correct: Mapping[str, tuple[int, int]]
    crn_exact_correct: Mapping[str, tuple[int, int]]
    nn_test_outputs: np.ndarray
    exact_test_outputs: np.ndarray
    exact_max_abs: float
    exact_max_relative: float
    exact_agreement: tuple[int, int]
    ode: KineticsResult
    ode_reduced: KineticsResult
    plot_rows: tuple[int, ...]
    seconds: Mapping[str, float] = FrozenMapping({})

    @property
    def architecture(self) -> str:
        """Layer widths, e.g. ``4-8-3``."""
        return "-".join(map(str, self.network.widths))

    @property
    def n_ode(self) -> int:
        """Number of test examples simulated by ODE (the first ones)."""
        return int(self.ode.final_outputs.shape[0])

    def ode_correct(self, kinetics: KineticsResult | None = None) -> tuple[int, int]:
        """Simulated examples whose argmax at ``t_end`` is the label, and their number."""
        kinetics = kinetics or self.ode
        labels = self.dataset.test.y[: self.n_ode]
        return int((np.argmax(kinetics.final_outputs, axis=1) == labels).sum()), self.n_ode

    def ode_agreement(self, kinetics: KineticsResult | None = None) -> tuple[int, int]:
        """Simulated examples whose argmax at ``t_end`` is one of the network's winners, and their number."""
        return int(self._ode_agrees(kinetics).sum()), self.n_ode

    def _ode_agrees(self, kinetics: KineticsResult | None) -> np.ndarray:
        from ..simulate.metrics import argmax_agrees_with

        kinetics = kinetics or self.ode
        return argmax_agrees_with(kinetics.final_outputs, self.nn_test_outputs[: self.n_ode])

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
        wrong = np.flatnonzero(~self._ode_agrees(kinetics))
        ordered = np.sort(self.exact_test_outputs[: self.n_ode], axis=1)
        margins = ordered[:, -1] - ordered[:, -2] if ordered.shape[1] > 1 else np.full(self.n_ode, np.inf)
        gaps = kinetics.final_gap.max(axis=1, initial=0.0)
        return [(int(i), float(margins[i]), float(gaps[i])) for i in wrong]

    def ode_max_abs(self, kinetics: KineticsResult | None = None) -> float:
        """Largest ``|CRN(t_end) − NN|`` over the simulated examples and outputs."""
        kinetics = kinetics or self.ode
        difference = np.abs(kinetics.final_outputs - self.nn_test_outputs[: self.n_ode])
        return float(difference.max(initial=0.0))

    @property
    def nn_test_predictions(self) -> np.ndarray:
        """The network's class per test example, shape (n_test,)."""
        return np.argmax(self.nn_test_outputs, axis=1)

    @property
    def exact_test_predictions(self) -> np.ndarray:
        """The compiled CRN's exact class per test example, shape (n_test,)."""
        return np.argmax(self.exact_test_outputs, axis=1)

    @property
    def exact_test_gaps(self) -> np.ndarray:
        """Per test example, the largest ``|CRN exact − NN|`` over the outputs, shape (n_test,)."""
        return np.abs(self.exact_test_outputs - self.nn_test_outputs).max(axis=1, initial=0.0)

    def ode_predictions(self, kinetics: KineticsResult | None = None) -> np.ndarray:
        """The class at ``t_end`` per simulated example, shape (n_ode,)."""
        return np.argmax((kinetics or self.ode).final_outputs, axis=1)

    def ode_gaps(self, kinetics: KineticsResult | None = None) -> np.ndarray:
        """Per simulated example, the largest ``|CRN(t_end) − NN|`` over the outputs, shape (n_ode,)."""
        kinetics = kinetics or self.ode
        return np.abs(kinetics.final_outputs - self.nn_test_outputs[: self.n_ode]).max(axis=1, initial=0.0)

    def ode_max_abs_first(self, n: int = 100, kinetics: KineticsResult | None = None) -> float:
        """Largest ``|CRN(t_end) − NN|`` over the first `n` simulated examples (100: the paper's MNIST sample)."""
        kinetics = kinetics or self.ode
        rows = min(n, self.n_ode)
        difference = np.abs(kinetics.final_outputs[:rows] - self.nn_test_outputs[:rows])
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
    from ..compile import reduce_crn
    from ..compile.verify import verify_network
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
    # Verification compiles (and reduces) the network and evaluates the test split exactly.
    compiled = verify_network(network, dataset.test.x)
    verified_reduced = verify_network(network, dataset.test.x, reduce=True)
    crn, reduced = compiled.crn, verified_reduced.crn
    fully_reduced = reduce_crn(crn, keep_inputs=False)
    checks = {"compiled": compiled.check, "reduced": verified_reduced.check}
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
    nn_test, exact_test, exact_reduced = compiled.expected, compiled.actual, verified_reduced.actual
    difference = np.maximum(compiled.absolute_errors, verified_reduced.absolute_errors)
    relative = np.maximum(compiled.relative_errors, verified_reduced.relative_errors)
    agreement = (
        int((compiled.argmax_agrees & verified_reduced.argmax_agrees).sum()),
        int(x_test.shape[0]),
    )
    seconds["exact evaluation"] = time.perf_counter() - started
    say(
        f"{key}: exact evaluation of {x_test.shape[0]} test examples, "
        f"max |CRN - NN| {difference.max(initial=0.0):.2g}"
    )

    n_ode = min(int(ode_examples), x_test.shape[0])
    from ..simulate.warmup import load_ode_kernel

    # Once per process, and reported on its own: the ODE times then compare integrating the
    # compiled and the reduced CRN, not which of them loaded numba's kernel first.
    seconds["ODE kernel load"] = load_ode_kernel()
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
        checks=FrozenMapping(checks),
        nn_correct=FrozenMapping(nn_correct),
        crn_exact_correct=FrozenMapping(crn_correct),
        nn_test_outputs=nn_test,
        exact_test_outputs=exact_test,
        exact_max_abs=float(difference.max(initial=0.0)),
        exact_max_relative=float(relative.max(initial=0.0)),
        exact_agreement=agreement,
        ode=ode,
        ode_reduced=ode_reduced,
        plot_rows=plot_rows,
        seconds=FrozenMapping(seconds),
    )
