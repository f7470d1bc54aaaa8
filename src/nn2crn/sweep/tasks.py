"""The studies a sweep can run, and their task functions (one parameter point x one input chunk).

Each study is one entry of :data:`STUDIES`: its parameters (validated by the spec
reader) and a task function ``function(context, point, rows, streams)`` returning
columns (equal-length 1D arrays, one entry per result row). The task functions
call the library's public API only; when ``nn2crn.studies`` lands they can point
at its study functions without changing anything else in the sweep.

Randomness: a task never seeds from a counter. :class:`Streams` derives every seed
from ``numpy.random.SeedSequence(spec seed, spawn_key=(*point key, row))``, where
the point key is a digest of the point's parameter values. So a result row depends
only on the spec seed, its parameter values and its input row: not on the number
of workers, the chunk size, the grid's other values or the order of completion.
(The ODE studies' rows agree across chunk sizes to the solver tolerance only: the
batch ODE solver shares one step size per block of rows.)

Every task runs single-threaded (one task per core is the sweep's parallelism).
Heavy imports (torch, scipy solvers) happen inside the functions.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

if TYPE_CHECKING:
    from .context import SweepContext

Fail = Callable[[str, str], NoReturn]
Columns = dict[str, np.ndarray]


# ---------------------------------------------------------------------------
# parameters


@dataclass(frozen=True)
class Parameter:
    """One parameter of a study.

    Attributes
    ----------
    name : str
        Key in ``[grid]`` or ``[fixed]`` and column name in the results.
    kind : str
        ``"positive"`` (float > 0), ``"count"`` (int >= 1), ``"index"`` (int >= 0),
        ``"fraction"`` (float in [0, 1)), ``"nonnegative"`` (float >= 0), ``"toehold"``
        (a gate toehold length in nt that the DNA layer accepts), ``"rates"`` (a rate specification or "as given"),
        ``"widths"`` (hidden layer widths: an int or a list of ints >= 1) or ``"choice"``.
    help : str
    default : object
        Used when the spec gives no value; ``None`` makes the parameter required.
    choices : tuple of str
        For ``"choice"``.
    """

    name: str
    kind: str
    help: str
    default: object = None
    choices: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return self.default is None

    def check(self, value: object, key: str, fail: Fail) -> object:
        """`value` normalized (float, int, str or tuple of int); `fail(key, message)` if invalid."""
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if self.kind == "positive":
            if not (number and math.isfinite(value) and value > 0):  # type: ignore[operator, arg-type]
                fail(key, f"{self.name} must be a finite number > 0, got {value!r}")
            return float(value)  # type: ignore[arg-type]
        if self.kind in ("count", "index"):
            minimum = 1 if self.kind == "count" else 0
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= minimum):
                fail(key, f"{self.name} must be an integer >= {minimum}, got {value!r}")
            return int(value)  # type: ignore[arg-type]
        if self.kind == "fraction":
            if not (number and 0 <= value < 1):  # type: ignore[operator]
                fail(key, f"{self.name} must be a number in [0, 1), got {value!r}")
            return float(value)  # type: ignore[arg-type]
        if self.kind == "nonnegative":
            if not (number and math.isfinite(value) and value >= 0):  # type: ignore[operator, arg-type]
                fail(key, f"{self.name} must be a finite number >= 0, got {value!r}")
            return float(value)  # type: ignore[arg-type]
        if self.kind == "toehold":
            from .._errors import DNADesignError
            from ..dna.system import DomainLengths

            if not (isinstance(value, int) and not isinstance(value, bool)):
                fail(key, f"{self.name} must be a toehold length in nt (an integer), got {value!r}")
            try:
                DomainLengths(toehold=value, gate_toehold=value)  # type: ignore[arg-type]
            except DNADesignError as error:
                fail(key, str(error))
            return int(value)  # type: ignore[arg-type]
        if self.kind == "choice":
            if value not in self.choices:
                fail(key, f"{self.name} must be one of {', '.join(self.choices)}, got {value!r}")
            return value
        if self.kind == "rates":
            from .._errors import SimulationError
            from ..simulate.rates import parse_rate_spec

            if not isinstance(value, str):
                fail(
                    key,
                    f'{self.name} must be a rate specification string, e.g. "random:0:0.1:10", got {value!r}',
                )
            if value != "as given":
                try:
                    parse_rate_spec(value)  # type: ignore[arg-type]
                except SimulationError as error:
                    fail(key, str(error))
            return value
        if self.kind == "widths":
            widths = [value] if isinstance(value, int) and not isinstance(value, bool) else value
            if not (
                isinstance(widths, list)
                and widths
                and all(isinstance(w, int) and not isinstance(w, bool) and w >= 1 for w in widths)
            ):
                fail(
                    key,
                    f"{self.name} must be a width >= 1 or a list of widths, e.g. 8 or [16, 8], got {value!r}",
                )
            return tuple(widths)  # type: ignore[arg-type]
        raise ValueError(f"unknown parameter kind {self.kind!r}")


def column_value(value: object) -> object:
    """A parameter value as a results-table cell: hidden widths ``(16, 8)`` become ``"16-8"``."""
    if isinstance(value, tuple):
        return "-".join(str(v) for v in value)
    return value


# ---------------------------------------------------------------------------
# random streams


def point_key(study: str, point: tuple[tuple[str, object], ...]) -> tuple[int, ...]:
    """Four 32-bit words of a SHA-256 digest of the study and its parameter values (a spawn key)."""
    text = json.dumps([study, [[name, column_value(value)] for name, value in point]], sort_keys=False)
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


@dataclass(frozen=True)
class Streams:
    """Seeds of one task: ``SeedSequence(spec_seed, spawn_key=(*point, ...))``."""

    spec_seed: int
    point: tuple[int, ...]

    def seed(self, *key: int) -> int:
        """A 64-bit integer seed for the sub-stream `key` (e.g. an input row)."""
        state = np.random.SeedSequence(self.spec_seed, spawn_key=(*self.point, *key)).generate_state(
            2, np.uint32
        )
        return int(state[0]) | (int(state[1]) << 32)

    def small_seed(self, *key: int) -> int:
        """A 31-bit seed (for APIs such as ``nn2crn train --seed`` that take small integers)."""
        return self.seed(*key) & 0x7FFF_FFFF


# ---------------------------------------------------------------------------
# studies


@dataclass(frozen=True)
class Study:
    """A study a sweep can run.

    Attributes
    ----------
    name : str
    function : callable
        ``function(context, point, rows, streams) -> columns``; `point` maps parameter
        names to values, `rows` are the global input-row indices of the chunk.
    parameters : tuple of Parameter
    input_kind : {"crn", "dataset"}
        ``"crn"``: the spec names a model or CRN and input rows, split into chunks;
        ``"dataset"``: one task per point on the whole dataset (training).
    description : str
    """

    name: str
    function: Callable[..., Columns]
    parameters: tuple[Parameter, ...]
    input_kind: str
    description: str


def _crn_for(context: SweepContext, rates: str) -> Any:
    from ..simulate.rates import apply_rates

    return context.crn if rates == "as given" else apply_rates(context.crn, rates)


def _labels_and_answer(
    context: SweepContext, rows: np.ndarray, answer: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(label, correct) per result row; label -1 and correct False without labels."""
    if context.labels is None:
        return np.full(rows.size, -1, dtype=np.int64), np.zeros(rows.size, dtype=bool)
    labels = context.labels[rows]
    return labels, answer == labels


def _unique_argmax(values: np.ndarray) -> np.ndarray:
    from ..simulate.metrics import unique_argmax

    return unique_argmax(values)


def _winners(stable: np.ndarray) -> np.ndarray:
    from ..simulate.metrics import winners

    return winners(stable)


def ssa_task(context: SweepContext, point: Mapping[str, Any], rows: np.ndarray, streams: Streams) -> Columns:
    """Exact SSA of each input row ``runs`` times at one volume; one result row per (input row, run).

    Columns: ``answer`` (unique argmax of the outputs at ``t_end`` from the molecule
    counts, -1 for a tie), ``agrees`` (answer is a stable winner: the network's answer),
    ``correct`` (answer = label), ``max_error`` (max_k |y_k - y*_k|), ``leader_time``
    (when the final answer took the lead for good; inf for a tie), ``events``, ``exhausted``.
    """
    from ..simulate.metrics import max_deviation
    from ..simulate.ssa import simulate_ssa

    crn = _crn_for(context, point["rates"])
    integer_outputs = np.rint(crn.output_matrix).astype(np.int64)
    runs = int(point["runs"])
    parts: dict[str, list[np.ndarray]] = {name: [] for name in SSA_COLUMNS}
    for row in rows:
        trajectory = simulate_ssa(
            crn,
            context.inputs[row : row + 1],
            volume=point["volume"],
            t_end=point["t_end"],
            runs=runs,
            seed=streams.seed(int(row)),
            store="final",
            n_threads=1,
        )
        stable = context.stable[row : row + 1]
        answer = _unique_argmax(trajectory.info["final_counts"] @ integer_outputs.T)
        winners = _winners(stable)[0]
        parts["row"].append(np.full(runs, row, dtype=np.int64))
        parts["run"].append(np.arange(runs, dtype=np.int64))
        parts["answer"].append(answer)
        parts["agrees"].append((answer >= 0) & winners[np.maximum(answer, 0)])
        parts["max_error"].append(max_deviation(trajectory, stable))
        parts["leader_time"].append(np.where(answer >= 0, trajectory.info["leader_time"], np.inf))
        parts["events"].append(trajectory.info["events"].astype(np.int64))
        parts["exhausted"].append(trajectory.info["termination"] == "exhausted")
    columns = {name: np.concatenate(values) for name, values in parts.items() if values}
    if not columns:
        columns = {name: np.empty(0) for name in SSA_COLUMNS}
    columns["label"], columns["correct"] = _labels_and_answer(context, columns["row"], columns["answer"])
    return columns


SSA_COLUMNS = ("row", "run", "answer", "agrees", "max_error", "leader_time", "events", "exhausted")


def _ode_columns(context: SweepContext, crn: Any, point: Mapping[str, Any], rows: np.ndarray) -> Columns:
    from ..simulate.metrics import convergence_times, max_deviation
    from ..simulate.ode import simulate_ode
    from ..studies.robustness import sample_times

    x = context.inputs[rows]
    stable = context.stable[rows]
    trajectory = simulate_ode(
        crn,
        x,
        t_end=point["t_end"],
        times=sample_times(point["t_end"], int(point["n_points"])),
        rate_law=point["rate_law"],
        rtol=point["rtol"],
        atol=point["atol"],
        store="outputs",
        n_threads=1,
    )
    settled = convergence_times(trajectory, stable, epsilon=point["epsilon"])
    answer = _unique_argmax(trajectory.final_outputs)
    winners = _winners(stable)
    columns: Columns = {
        "row": rows.astype(np.int64),
        "answer": answer,
        "agrees": (answer >= 0) & winners[np.arange(rows.size), np.maximum(answer, 0)],
        "max_error": max_deviation(trajectory, stable),
        "epsilon_time": settled.epsilon,
        "argmax_time": settled.argmax,
    }
    columns["label"], columns["correct"] = _labels_and_answer(context, columns["row"], answer)
    return columns


def ode_task(context: SweepContext, point: Mapping[str, Any], rows: np.ndarray, streams: Streams) -> Columns:
    """Mass-action (or saturating) ODE kinetics under one rate specification; one row per input row.

    Columns: ``answer``, ``agrees``, ``correct``, ``max_error`` (at ``t_end``), and the
    ``epsilon_time`` and ``argmax_time`` settling times (:mod:`nn2crn.simulate.metrics`,
    on a log-spaced grid of ``n_points`` samples; inf = not settled by ``t_end``).
    """
    return _ode_columns(context, _crn_for(context, point["rates"]), point, rows)


def robustness_task(
    context: SweepContext, point: Mapping[str, Any], rows: np.ndarray, streams: Streams
) -> Columns:
    """ODE kinetics under one random rate set, log-uniform in [low, high]; one row per input row.

    The rate set's seed comes from the point's stream (the same for every chunk of the
    point); the ``rates`` column spells it as ``random:SEED:LOW:HIGH`` so that
    ``nn2crn simulate --rates`` reproduces it. ``spread`` is high / low.
    """
    from ..simulate.rates import RateSpec, apply_rates

    spec = RateSpec("random", seed=streams.small_seed(), low=point["low"], high=point["high"])
    columns = _ode_columns(context, apply_rates(context.crn, spec), point, rows)
    columns["spread"] = np.full(rows.size, point["high"] / point["low"])
    columns["rates"] = np.full(rows.size, str(spec), dtype=object)
    return columns


def train_task(
    context: SweepContext, point: Mapping[str, Any], rows: np.ndarray, streams: Streams
) -> Columns:
    """Train one network (BinaryConnect) and compile it; one result row.

    Columns: ``train_seed`` (the seed given to the trainer: ``nn2crn train --seed``
    reproduces the network), ``accuracy_train/val/test``, ``best_epoch``, ``nonzero_weights``,
    ``n_species`` and ``n_reactions`` of the compiled CRN, and ``model_json`` (the model file).
    """
    from ..compile import compile_network
    from ..nn import network_to_dict
    from ..nn.network import Conv2d, Layer
    from ..nn.train import TrainConfig, train_network

    seed = streams.small_seed()
    config = TrainConfig(
        hidden=point["hidden"],
        weights=point["weights"],
        threshold=point["threshold"],
        epochs=point["epochs"],
        batch_size=point["batch_size"],
        lr_start=point["lr_start"],
        lr_end=point["lr_end"],
        loss=point["loss"],
        dropout_input=point["dropout_input"],
        dropout_hidden=point["dropout_hidden"],
        seed=seed,
        threads=1,
    )
    result = train_network(context.dataset, config)
    network = result.network
    crn = compile_network(network)
    data = network_to_dict(network)  # JSON-ready: the training record thawed
    data.get("training", {}).pop("versions", None)  # library versions are not part of the result
    return {
        "train_seed": np.array([seed], dtype=np.int64),
        "accuracy_train": np.array([result.accuracies["train"]]),
        "accuracy_val": np.array([result.accuracies["val"]]),
        "accuracy_test": np.array([result.accuracies["test"]]),
        "best_epoch": np.array([result.best_epoch + 1], dtype=np.int64),
        "nonzero_weights": np.array(
            [
                sum(
                    int(np.count_nonzero(layer.weight))
                    for layer in network.layers
                    if isinstance(layer, (Layer, Conv2d))
                )
            ]
        ),
        "n_species": np.array([crn.n_species], dtype=np.int64),
        "n_reactions": np.array([crn.n_reactions], dtype=np.int64),
        "model_json": np.array([json.dumps(data, sort_keys=True)], dtype=object),
    }


def dna_kinetics_task(
    context: SweepContext, point: Mapping[str, Any], rows: np.ndarray, streams: Streams
) -> Columns:
    """The CRN's DNA strand-displacement implementation under ODE kinetics; one row per input row.

    The DSD system (:func:`nn2crn.dna.translate`, gate-side toehold ``toehold`` nt)
    runs with fuels at ``fuel_excess`` × the largest input signal and a leak rate
    constant ``leak`` (/M/s), simulated by :func:`nn2crn.studies.dna.simulate_dna`
    for ``hours`` hours. Columns: ``answer`` (argmax of the DNA-level outputs at the
    end; -1 for a tie), ``agrees`` (answer is a stable winner of the network),
    ``agrees_quarter`` and ``agrees_half`` (the same at the samples nearest to a
    quarter and half of ``hours``), ``decision_h`` (first sample time from which the
    DNA-level argmax stays a winner; inf if never), ``max_error`` (max_k |y_k - y*_k|
    at the end, formal units), ``label`` and ``correct``. Deterministic: no seeds.
    """
    from ..dna.concentrations import Concentrations
    from ..dna.kinetics import build_kinetics
    from ..dna.system import DomainLengths
    from ..dna.translate import translate
    from ..studies.dna import simulate_dna

    toehold = int(point["toehold"])
    # QSW uses one universal toehold, so its gate toehold is the toehold itself.
    lengths = (
        DomainLengths(gate_toehold=toehold)
        if point["scheme"] == "ssw2010"
        else DomainLengths(toehold=toehold, gate_toehold=toehold)
    )
    x = context.inputs[rows]
    stable = context.stable[rows]
    system = translate(context.crn, point["scheme"], lengths)
    kinetics = build_kinetics(
        system, x, Concentrations(point["unit_nM"], point["fuel_excess"]), leak=point["leak"]
    )
    trajectory = simulate_dna(kinetics, x, t_end_s=point["hours"] * 3600.0, n_points=int(point["n_points"]))
    times_h = trajectory.times_s / 3600.0
    winners = _winners(stable)
    index = np.arange(rows.size)
    # (n_batch, n_times): the DNA-level unique argmax is one of the network's winners.
    answers = np.stack([_unique_argmax(trajectory.outputs[:, t, :]) for t in range(times_h.size)], axis=1)
    agrees = (answers >= 0) & winners[index[:, None], np.maximum(answers, 0)]
    stays = np.flip(np.logical_and.accumulate(np.flip(agrees, axis=1), axis=1), axis=1)
    decision = np.where(stays.any(axis=1), times_h[stays.argmax(axis=1)], np.inf)
    quarter = int(np.argmin(np.abs(times_h - point["hours"] / 4)))
    half = int(np.argmin(np.abs(times_h - point["hours"] / 2)))
    columns: Columns = {
        "row": rows.astype(np.int64),
        "answer": answers[:, -1],
        "agrees": agrees[:, -1],
        "agrees_quarter": agrees[:, quarter],
        "agrees_half": agrees[:, half],
        "decision_h": decision,
        "max_error": np.abs(trajectory.outputs[:, -1, :] - stable).max(axis=1),
    }
    columns["label"], columns["correct"] = _labels_and_answer(context, columns["row"], answers[:, -1])
    return columns


_RATES = Parameter("rates", "rates", 'rate specification, e.g. "random:0:0.1:10", or "as given"', "as given")
_REPLICATE = Parameter("seed", "index", "replicate number: each value gives independent random streams", 0)
_ODE = (
    Parameter("t_end", "positive", "end time of the simulation", 200.0),
    Parameter("epsilon", "positive", "absolute tolerance of the epsilon settling time", 0.01),
    Parameter("rate_law", "choice", "kinetics", "mass-action", ("mass-action", "saturating")),
    Parameter("rtol", "positive", "ODE relative tolerance", 1e-6),
    Parameter("atol", "positive", "ODE absolute tolerance", 1e-9),
    Parameter("n_points", "count", "log-spaced sample times for the settling times", 201),
)

# study name -> Study. A new study is one entry here (and nothing else in the sweep).
STUDIES: dict[str, Study] = {
    "ssa": Study(
        "ssa",
        ssa_task,
        (
            Parameter("volume", "positive", "molecules per unit amount, V"),
            _REPLICATE,
            Parameter("runs", "count", "SSA runs per input row in one task", 1),
            Parameter(
                "t_end", "positive", "compare the outputs with the exact stable outputs at this time", 50.0
            ),
            _RATES,
        ),
        "crn",
        "exact SSA at finite volume: answers and errors at t_end",
    ),
    "ode": Study("ode", ode_task, (_RATES, *_ODE), "crn", "ODE kinetics: settling times and errors"),
    "robustness": Study(
        "robustness",
        robustness_task,
        (
            Parameter("rate_seed", "index", "number of the random rate set"),
            Parameter("low", "positive", "smallest random rate constant", 0.1),
            Parameter("high", "positive", "largest random rate constant", 10.0),
            *_ODE,
        ),
        "crn",
        "ODE kinetics under random rate sets (log-uniform in [low, high])",
    ),
    "train": Study(
        "train",
        train_task,
        (
            _REPLICATE,
            Parameter("hidden", "widths", "hidden layer widths, e.g. 8 or [16, 8]", (8,)),
            Parameter("weights", "choice", "weight levels", "binary", ("binary", "ternary")),
            Parameter("threshold", "fraction", "ternarization threshold", 0.15),
            Parameter("epochs", "count", "training epochs", 200),
            Parameter("batch_size", "count", "minibatch size", 16),
            Parameter("lr_start", "positive", "first learning rate", 0.01),
            Parameter("lr_end", "positive", "last learning rate", 3e-5),
            Parameter("loss", "choice", "loss", "hinge", ("hinge", "xent")),
            Parameter("dropout_input", "fraction", "input dropout", 0.0),
            Parameter("dropout_hidden", "fraction", "hidden dropout", 0.0),
        ),
        "dataset",
        "train networks (BinaryConnect) and compile them: accuracy versus circuit size",
    ),
    "dna-kinetics": Study(
        "dna-kinetics",
        dna_kinetics_task,
        (
            Parameter("fuel_excess", "positive", "fuel complexes at this many times the largest input", 10.0),
            Parameter("leak", "nonnegative", "leak rate constant of every fuel pair, /M/s", 0.0),
            Parameter("toehold", "toehold", "gate-side toehold length, nt", 6),
            Parameter("scheme", "choice", "DSD translation scheme", "ssw2010", ("ssw2010", "qsw2011")),
            Parameter("unit_nM", "positive", "concentration of one formal unit, nM", 10.0),
            Parameter("hours", "positive", "simulated time, hours", 4.0),
            Parameter("n_points", "count", "sample times (linear from 0 to hours)", 25),
        ),
        "crn",
        "DNA strand-displacement kinetics: agreement with the network and decision time versus fuel and leak",
    ),
}


def study_names() -> tuple[str, ...]:
    return tuple(STUDIES)
