"""The paper's experiments: each registered run's network on its data, through :func:`run_experiment`.

For each experiment (IRIS, virus, MNIST) of :data:`nn2crn.nn.runs.EXPERIMENTS`
the shipped model (or one trained now with its recorded settings) is run
through :func:`~nn2crn.studies.experiment.run_experiment` to the paper's
``t_end``. :mod:`nn2crn.report.reproduce` renders the results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._errors import InputDataError, ModelFileError
from ..datasets.base import Dataset
from ..datasets.options import options_from_record
from ..nn import Network
from ..nn.runs import ALL_EXPERIMENTS, EXPERIMENTS, Run
from .experiment import DEFAULT_ODE_EXAMPLES, ExperimentResult, Log, run_experiment

if TYPE_CHECKING:
    from .dna import DNAPlan, DNASectionData


def resolve_keys(names: Sequence[str]) -> tuple[str, ...]:
    """Experiment keys for ``iris``, ``virus``, ``mnist``, ``cnn``, ``int3`` and ``all`` (in table order, no repeats).

    ``all`` is the paper's table (iris, virus, mnist); ``cnn`` and ``int3`` (the
    ternary CNN and the int:3 MLP of issue 11) run only when named.

    Raises
    ------
    InputDataError
        An unknown name.
    """
    keys: list[str] = []
    for name in names or ("all",):
        if name == "all":
            wanted = list(EXPERIMENTS)
        elif name in ALL_EXPERIMENTS:
            wanted = [name]
        else:
            raise InputDataError(
                f"unknown experiment {name!r}; choose from {', '.join(ALL_EXPERIMENTS)} or all"
            )
        keys.extend(key for key in wanted if key not in keys)
    return tuple(key for key in ALL_EXPERIMENTS if key in keys)


def dataset_options(run: Run, network: Network | None) -> dict[str, object]:
    """Loader options of `run`'s data: those `network` records if any, else the run's; never downloading."""
    options = run.loader_options
    if network is not None:
        recorded = network.training.get("dataset", {})
        if isinstance(recorded, Mapping) and isinstance(recorded.get("options"), Mapping):
            options = options_from_record(run.dataset, recorded["options"])
    if run.dataset == "mnist":
        options["download"] = False  # the experiments work offline: full files if present, else the sample
    return options


def load_run_data(run: Run, network: Network | None = None) -> Dataset:
    """The dataset of `run`, loaded with the options `network` was trained with."""
    from ..datasets import load_dataset

    return load_dataset(run.dataset, **dataset_options(run, network))


def shipped_network(run: Run) -> Network | None:
    """The shipped model of `run`, or None if it is not in this installation."""
    from ..nn import load_shipped_model, shipped_model_names

    if run.name not in shipped_model_names():
        return None
    return load_shipped_model(run.name)


def train_config(run: Run, recorded: Network | None):
    """The :class:`~nn2crn.nn.train.TrainConfig` of the shipped model's record, else the run's."""
    from ..nn.train import TrainConfig

    if recorded is None or not isinstance(recorded.training.get("hyperparameters"), Mapping):
        return run.config
    known = set(TrainConfig.__dataclass_fields__) - {"seed", "threads"}
    settings: dict[str, Any] = {
        key: value for key, value in recorded.training["hyperparameters"].items() if key in known
    }
    return TrainConfig(**settings, seed=int(recorded.training.get("seed", 0)))


def experiment_network(
    run: Run, *, train: bool = False, log: Log | None = None, command: str | None = None
) -> tuple[Network, Dataset, str]:
    """The network, its dataset and a provenance line for `run`.

    Without `train` the shipped model is used; with it a network is trained
    with the shipped model's recorded settings (or the run's, if there is no
    shipped model). `command` is recorded in a trained network's ``training`` record.

    Raises
    ------
    ModelFileError
        No shipped model and `train` is False.
    """
    shipped = shipped_network(run)
    key = run.experiment or run.name
    if not train:
        if shipped is None:
            from ..nn import shipped_model_names

            raise ModelFileError(
                f"{key}: the shipped model {run.name!r} is not installed (shipped: "
                f"{', '.join(shipped_model_names()) or 'none'}); pass train=True to train it first"
            )
        data = load_run_data(run, shipped)
        return shipped, data, f"shipped model `{run.name}`"
    from ..nn.train import train_network

    config = train_config(run, shipped)
    data = load_run_data(run, shipped)
    if log is not None:
        widths = "-".join(map(str, (data.n_features, *config.hidden, data.n_classes)))
        log(f"{key}: training {widths} {config.weights} for {config.epochs} epochs ...")
    record = {"command": command or f"nn2crn reproduce {key} --train"}
    result = train_network(data, config, extra_record=record)
    origin = "the shipped model's recorded settings" if shipped is not None else "the paper's settings"
    return result.network, data, f"trained now with {origin} (seed {config.seed}, {result.seconds:.0f} s)"


def run_paper_experiments(
    keys: Sequence[str],
    *,
    train: bool = False,
    ode_examples: int | None = None,
    command: str | None = None,
    log: Log | None = None,
) -> tuple[ExperimentResult, ...]:
    """Run the experiments `keys` (see :func:`resolve_keys`), each to its run's ``t_end``.

    Parameters
    ----------
    keys : sequence of str
        Experiment keys (``iris``, ``virus``, ``mnist``).
    train : bool
        Train each network first (with the shipped model's recorded settings).
    ode_examples : int, optional
        ODE-simulate the first ``min(ode_examples, n_test)`` test examples; by default
        each run's own number (:attr:`Run.ode_examples`, else 1,000).
    command : str, optional
        Recorded in trained networks.
    log : callable, optional
        Receives progress messages.

    Returns
    -------
    tuple of ExperimentResult

    Raises
    ------
    InputDataError
        `ode_examples` < 1.
    ModelFileError
        A shipped model is missing (without `train`).
    """
    if ode_examples is not None and ode_examples < 1:
        raise InputDataError(f"ode_examples must be >= 1, got {ode_examples}")
    results = []
    for key in keys:
        run = ALL_EXPERIMENTS[key]
        network, data, provenance = experiment_network(run, train=train, log=log, command=command)
        results.append(
            run_experiment(
                key,
                network,
                data,
                t_end=run.t_end,
                ode_examples=ode_examples or run.ode_examples or DEFAULT_ODE_EXAMPLES,
                provenance=provenance,
                log=log,
            )
        )
    return tuple(results)


DNA_EXPERIMENTS = ("iris", "virus", "mnist")
"""Experiments whose report gets a "DNA implementation" section (plans in :func:`dna_plan`)."""

MNIST_DNA_ROWS = 5
"""MNIST test digits simulated at the DNA level in the report."""


def dna_plan(key: str) -> DNAPlan:
    """What the DNA section of experiment `key` computes.

    IRIS and virus: the compiled CRN verified as it is (modules, pairs, and the whole
    system for IRIS's 40 reactions), the full fuel × leak sweep on 10 test examples.
    MNIST: its 648 compiled reactions have ~50 distinct fan-outs (each a module shape of
    ~10 s of peppercorn), so the verified and simulated CRN has fan-out ≤ 2 (exact; 8
    shapes; modules + pairs took 37 s inside reproduce, 89 s as `nn2crn dna verify`); kinetics of
    :data:`MNIST_DNA_ROWS` digits at 10× fuels (926 nM) without leak (12–18 s) and with 1 /M/s
    (28–51 s, stiffer), where every output is already swamped by leak, so 10 /M/s adds nothing
    (measured at load 5–7: the DNA section took 167 s of a 190 s ``reproduce mnist``).
    """
    from .dna import DNAPlan

    if key == "mnist":
        return DNAPlan(rows=MNIST_DNA_ROWS, max_fanout=2, fuel_excesses=(10.0,), leaks=(0.0, 1.0))
    return DNAPlan()


def paper_dna_data(
    results: Sequence[ExperimentResult], *, log: Log | None = None
) -> tuple[DNASectionData, ...]:
    """The DNA implementation data of the results of :data:`DNA_EXPERIMENTS`, in order.

    Needs the ``dna`` extra (peppercorn, crnverifier); see :func:`nn2crn.studies.dna.dna_available`.
    """
    from .dna import experiment_dna

    return tuple(
        experiment_dna(result, dna_plan(result.key), log=log)
        for result in results
        if result.key in DNA_EXPERIMENTS
    )
