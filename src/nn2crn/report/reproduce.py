"""Reproduce the paper's experiments: one table row per dataset, with a report.

For each dataset (IRIS, virus, MNIST) the shipped model (or one trained with its
recorded settings) is compiled (Algorithm 1) and reduced (Algorithm 2); every
test example is evaluated exactly and compared with the network; mass-action
ODE kinetics (all rate constants 1) are simulated to the paper's ``t_end`` for
the first `ode_examples` test examples, on both the compiled and the reduced
CRN; and convergence (every output within ε absolute of its stable value) and
stabilization (the eventual argmax stays on top) times are measured.

:func:`~nn2crn.report.experiment.run_experiment` does one dataset;
:func:`reproduce` runs several and writes the table (Markdown, CSV, JSON), the
CRN files, figures and an HTML/Markdown report into a folder.
"""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import InputDataError, ModelFileError
from .._writing import open_output, write_output
from ..crn import CRN
from ..datasets.base import Dataset
from ..nn import Network
from . import html as doc
from .experiment import (
    DEFAULT_ODE_EXAMPLES,
    EPSILON,
    ExperimentResult,
    KineticsResult,
    Log,
    can_plot,
    format_percent,
    format_time,
    median_p95,
    package_version,
    run_experiment,
)


@dataclass(frozen=True)
class Experiment:
    """One of the paper's experiments.

    Attributes
    ----------
    key : str
        ``iris``, ``virus`` or ``mnist``.
    model : str
        Name of the shipped model (``nn2crn/models/<model>.json``).
    dataset : str
        Dataset name for :func:`nn2crn.datasets.load_dataset`.
    dataset_options : dict
        Loader options used when the model records none.
    t_end : float
        End of the kinetics simulations (the paper's).
    hidden, weights, threshold, epochs, batch_size, lr_start, lr_end
        Training settings used by ``--train`` when the shipped model records none.
    paper_nn, paper_kinetics, paper_sizes : str
        What the paper (or the authors' artefacts) reports.
    """

    key: str
    model: str
    dataset: str
    dataset_options: dict[str, Any]
    t_end: float
    hidden: tuple[int, ...]
    weights: str
    threshold: float
    epochs: int
    batch_size: int
    lr_start: float
    lr_end: float
    paper_nn: str
    paper_kinetics: str = "not reported"
    paper_sizes: str = "not reported"


EXPERIMENTS: dict[str, Experiment] = {
    "iris": Experiment(
        "iris",
        "iris-4-8-3-binary",
        "iris",
        {"split": "all"},
        50.0,
        (8,),
        "binary",
        0.15,
        300,
        16,
        0.01,
        3e-4,
        paper_nn="141/150 = 94.0% (4-8-3 binary; train = test = all 150)",
        paper_sizes="40 reactions compiled; 16 reduced keeping the input reactions; 8 fully reduced",
    ),
    "virus": Experiment(
        "virus",
        "virus-10-8-4-ternary",
        "virus",
        {},
        50.0,
        (8,),
        "ternary",
        0.15,
        500,
        16,
        0.01,
        3e-5,
        paper_nn="98/100 test examples (10-8-4 ternary)",
        paper_kinetics="max |CRN − NN| = 0.011 at t = 50; argmax agrees on every example",
    ),
    "mnist": Experiment(
        "mnist",
        "mnist-196-64-10-ternary",
        "mnist",
        {"source": "auto"},
        200.0,
        (64,),
        "ternary",
        0.35,
        100,
        256,
        1e-3,
        3e-7,
        paper_nn="93/100 test examples (196-64-10 ternary, full MNIST)",
        paper_kinetics="max |CRN − NN| = 0.0022 at t = 200; argmax agrees on every example",
        paper_sizes="648 reactions compiled; 456 reduced keeping the input reactions; 64 fully reduced",
    ),
}


# ---------------------------------------------------------------------------
# Models and data


def _dataset_options(experiment: Experiment, network: Network | None) -> dict[str, Any]:
    """Loader options: the model's recorded ones if any, never downloading.

    A dataset records a description of its options (e.g. MNIST's ``image_size``),
    which is mapped back onto the loader's keyword arguments here; anything the
    loader does not take is dropped.
    """
    import inspect

    from ..datasets.registry import LOADERS

    options = dict(experiment.dataset_options)
    if network is not None:
        recorded = network.training.get("dataset", {})
        if isinstance(recorded, dict) and isinstance(recorded.get("options"), dict):
            options = dict(recorded["options"])
    if "image_size" in options:
        options["downscale_to_14"] = options.pop("image_size") == 14
    parameters = inspect.signature(LOADERS[experiment.dataset]).parameters
    options = {key: value for key, value in options.items() if key in parameters and key != "progress"}
    if experiment.dataset == "mnist":
        options["download"] = False  # reproduce works offline: full files if present, else the sample
    return options


def load_experiment_data(experiment: Experiment, network: Network | None = None) -> Dataset:
    """The dataset of `experiment`, loaded with the options `network` was trained with."""
    from ..datasets import load_dataset

    return load_dataset(experiment.dataset, **_dataset_options(experiment, network))


def shipped_network(experiment: Experiment) -> Network | None:
    """The shipped model of `experiment`, or None if it is not in this installation."""
    from ..nn import load_shipped_model, shipped_model_names

    if experiment.model not in shipped_model_names():
        return None
    return load_shipped_model(experiment.model)


def train_config(experiment: Experiment, recorded: Network | None):
    """The :class:`~nn2crn.nn.train.TrainConfig` of the shipped model's record, else the experiment's defaults."""
    from ..nn.train import TrainConfig

    settings: dict[str, Any] = {
        "hidden": experiment.hidden,
        "weights": experiment.weights,
        "threshold": experiment.threshold,
        "epochs": experiment.epochs,
        "batch_size": experiment.batch_size,
        "lr_start": experiment.lr_start,
        "lr_end": experiment.lr_end,
    }
    seed = 0
    if recorded is not None and isinstance(recorded.training.get("hyperparameters"), dict):
        known = set(TrainConfig.__dataclass_fields__) - {"seed", "threads"}
        settings = {key: value for key, value in recorded.training["hyperparameters"].items() if key in known}
        seed = int(recorded.training.get("seed", 0))
    return TrainConfig(**settings, seed=seed)


def experiment_network(
    experiment: Experiment, *, train: bool = False, log: Log | None = None, command: str | None = None
) -> tuple[Network, Dataset, str]:
    """The network, its dataset and a provenance line for `experiment`.

    Without `train` the shipped model is used; with it a network is trained
    with the shipped model's recorded settings (or the paper's, if there is no
    shipped model). `command` is recorded in a trained network's ``training`` record.

    Raises
    ------
    ModelFileError
        No shipped model and `train` is False.
    """
    shipped = shipped_network(experiment)
    if not train:
        if shipped is None:
            from ..nn import shipped_model_names

            raise ModelFileError(
                f"{experiment.key}: the shipped model {experiment.model!r} is not installed (shipped: "
                f"{', '.join(shipped_model_names()) or 'none'}); pass --train to train it first"
            )
        data = load_experiment_data(experiment, shipped)
        return shipped, data, f"shipped model `{experiment.model}`"
    from ..nn.train import train_network

    config = train_config(experiment, shipped)
    data = load_experiment_data(experiment, shipped)
    if log is not None:
        widths = "-".join(map(str, (data.n_features, *config.hidden, data.n_classes)))
        log(f"{experiment.key}: training {widths} {config.weights} for {config.epochs} epochs ...")
    record = {"command": command or f"nn2crn reproduce {experiment.key} --train"}
    result = train_network(data, config, extra_record=record)
    origin = "the shipped model's recorded settings" if shipped is not None else "the paper's settings"
    return result.network, data, f"trained now with {origin} (seed {config.seed}, {result.seconds:.0f} s)"


# ---------------------------------------------------------------------------
# The table


TABLE_HEADER = (
    "dataset",
    "network",
    "weights",
    "NN acc. train",
    "NN acc. test",
    "CRN acc. exact (test)",
    "CRN acc. ODE at t_end",
    "argmax agrees exact / ODE",
    "max |CRN − NN| exact",
    "max |CRN − NN| ODE",
    "species compiled / reduced",
    "reactions compiled / reduced",
    "ε-convergence median / p95",
    "stabilization median / p95",
)


def table_row(result: ExperimentResult) -> tuple[str, ...]:
    """The formatted cells of `result`'s row of the reproduction table (see :data:`TABLE_HEADER`)."""
    eps = median_p95(result.ode.epsilon_times)
    settle = median_p95(result.ode.argmax_times)
    exact_agree, ode_agree = result.exact_agreement, result.ode_agreement()
    return (
        result.key,
        result.architecture,
        result.weights,
        format_percent(result.nn_correct["train"]),
        format_percent(result.nn_correct["test"]),
        format_percent(result.crn_exact_correct["test"]),
        f"{format_percent(result.ode_correct())} at t = {result.ode.t_end:g}",
        f"{exact_agree[0]}/{exact_agree[1]} / {ode_agree[0]}/{ode_agree[1]}",
        f"{result.exact_max_abs:.1e}",
        f"{result.ode_max_abs():.2g}",
        f"{result.crn.n_species} / {result.reduced.n_species}",
        f"{result.crn.n_reactions} / {result.reduced.n_reactions}",
        f"{format_time(eps[0])} / {format_time(eps[1])}",
        f"{format_time(settle[0])} / {format_time(settle[1])}",
    )


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def result_record(result: ExperimentResult) -> dict[str, Any]:
    """Raw numbers of `result` for the JSON file (``None`` for times not reached by ``t_end``)."""

    def kinetics(k: KineticsResult) -> dict[str, Any]:
        eps, settle = median_p95(k.epsilon_times), median_p95(k.argmax_times)
        return {
            "crn": k.label,
            "t_end": k.t_end,
            "examples": int(k.final_outputs.shape[0]),
            "accuracy": list(result.ode_correct(k)),
            "argmax_agreement_with_nn": list(result.ode_agreement(k)),
            "max_abs_crn_minus_nn": result.ode_max_abs(k),
            "max_abs_crn_minus_nn_first_100": first_100(result, k),
            "max_abs_gap_at_half_t_end": k.half_time_gap,
            "max_abs_gap_at_t_end": k.max_gap,
            "epsilon": EPSILON,
            "epsilon_convergence": {
                "median": _finite_or_none(eps[0]),
                "p95": _finite_or_none(eps[1]),
                "converged": float(np.isfinite(k.epsilon_times).mean()),
            },
            "stabilization": {
                "median": _finite_or_none(settle[0]),
                "p95": _finite_or_none(settle[1]),
                "converged": float(np.isfinite(k.argmax_times).mean()),
            },
            "solver_steps": k.steps,
            "seconds": round(k.seconds, 3),
        }

    return {
        "dataset": result.key,
        "dataset_source": result.dataset.source,
        "dataset_options": result.dataset.options,
        "split_sizes": result.dataset.split_sizes,
        "network": result.architecture,
        "weights": result.weights,
        "model": result.provenance,
        "nn_accuracy": {name: list(value) for name, value in result.nn_correct.items()},
        "crn_exact_accuracy": {name: list(value) for name, value in result.crn_exact_correct.items()},
        "exact": {
            "test_examples": int(result.nn_test_outputs.shape[0]),
            "max_abs_crn_minus_nn": result.exact_max_abs,
            "max_relative_crn_minus_nn": result.exact_max_relative,
            "argmax_agreement": list(result.exact_agreement),
        },
        "sizes": {
            "compiled": {"species": result.crn.n_species, "reactions": result.crn.n_reactions},
            "reduced": {"species": result.reduced.n_species, "reactions": result.reduced.n_reactions},
            "fully_reduced_reactions": result.fully_reduced_reactions,
        },
        "checks": {
            name: {"feed_forward": report.feed_forward, "non_competitive": report.non_competitive}
            for name, report in result.checks.items()
        },
        "ode": kinetics(result.ode),
        "ode_reduced": kinetics(result.ode_reduced),
        "paper": {
            "nn": EXPERIMENTS[result.key].paper_nn if result.key in EXPERIMENTS else None,
            "kinetics": EXPERIMENTS[result.key].paper_kinetics if result.key in EXPERIMENTS else None,
        },
        "seconds": {name: round(value, 3) for name, value in result.seconds.items()},
    }


def write_table(results: Sequence[ExperimentResult], folder: Path, stem: str = "reproduction") -> list[str]:
    """Write ``{stem}.md``, ``{stem}.csv`` and ``{stem}.json``; returns the file names."""
    rows = [table_row(result) for result in results]
    write_output((folder / f"{stem}.md"), doc.markdown_table(TABLE_HEADER, rows) + "\n")
    with open_output(folder / f"{stem}.csv") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TABLE_HEADER)
        writer.writerows(rows)
    records = {
        "generated_by": f"nn2crn {package_version()}",
        "rows": [result_record(result) for result in results],
    }
    write_output((folder / f"{stem}.json"), json.dumps(records, indent=1) + "\n")
    return [f"{stem}.md", f"{stem}.csv", f"{stem}.json"]


def write_example_table(result: ExperimentResult, path: Path) -> None:
    """Per test example: label, predictions, exact and ODE differences, settling times (CSV)."""
    names = result.network.output_names
    labels = result.dataset.test.y
    nn_pred = np.argmax(result.nn_test_outputs, axis=1)
    exact_pred = np.argmax(result.exact_test_outputs, axis=1)
    exact_gap = np.abs(result.exact_test_outputs - result.nn_test_outputs).max(axis=1, initial=0.0)
    with open_output(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            [
                "test_index",
                "label",
                "nn_prediction",
                "crn_exact_prediction",
                "max_abs_exact_minus_nn",
                "crn_ode_prediction",
                "max_abs_ode_minus_nn",
                "epsilon_time",
                "stabilization_time",
            ]
        )
        for index in range(labels.shape[0]):
            row: list[object] = [
                index,
                names[labels[index]],
                names[nn_pred[index]],
                names[exact_pred[index]],
                f"{exact_gap[index]:.3g}",
            ]
            if index < result.n_ode:
                final = result.ode.final_outputs[index]
                row += [
                    names[int(np.argmax(final))],
                    f"{np.abs(final - result.nn_test_outputs[index]).max(initial=0.0):.4g}",
                    f"{result.ode.epsilon_times[index]:.4g}",
                    f"{result.ode.argmax_times[index]:.4g}",
                ]
            else:
                row += ["", "", "", ""]
            writer.writerow(row)


def write_sbml_file(crn: CRN, path: Path, model_id: str) -> str | None:
    """Write SBML; returns None on success or the reason it was skipped."""
    from ..crn.sbml import SBMLExportError, write_sbml

    try:
        write_sbml(crn, path, model_id=model_id)
    except SBMLExportError as error:
        return str(error)
    return None


def kinetics_table(result: ExperimentResult) -> doc.Table:
    """Compiled and reduced CRN kinetics side by side."""
    rows = []
    for kinetics in (result.ode, result.ode_reduced):
        eps, settle = median_p95(kinetics.epsilon_times), median_p95(kinetics.argmax_times)
        agree = result.ode_agreement(kinetics)
        rows.append(
            (
                f"{kinetics.label} ({(result.crn if kinetics is result.ode else result.reduced).n_reactions} reactions)",
                format_percent(result.ode_correct(kinetics)),
                f"{agree[0]}/{agree[1]}",
                f"{kinetics.half_time_gap:.3g}",
                f"{result.ode_max_abs(kinetics):.3g}",
                f"{format_time(eps[0])} / {format_time(eps[1])} ({np.isfinite(kinetics.epsilon_times).mean():.0%})",
                f"{format_time(settle[0])} / {format_time(settle[1])}",
                f"{kinetics.seconds:.2f} s",
            )
        )
    return doc.Table(
        (
            "CRN",
            "accuracy at t_end",
            "argmax = NN",
            f"max gap at t = {result.ode.t_end / 2:g}",
            f"max |CRN − NN| at t = {result.ode.t_end:g}",
            "ε-convergence median / p95 (settled)",
            "stabilization median / p95",
            "ODE time",
        ),
        tuple(rows),
        caption=f"Mass-action ODE kinetics, all rate constants 1, first {result.n_ode} test examples; "
        f"ε = {EPSILON} absolute; times are when the criterion holds from then on.",
    )


def gap_note(result: ExperimentResult) -> doc.Note:
    """The honest statement about outputs at ``t_end``, with the measured numbers."""
    k = result.ode
    ratio = k.half_time_gap / k.max_gap if k.max_gap > 0 else math.inf
    text = (
        f"Mass-action outputs at t_end are not exact. The ReLU annihilation M + Z⁻ slows down as both "
        f"reactants run out, so the last of the gap closes roughly like 1/t. Measured on the compiled CRN: "
        f"largest |output − stable value| {k.half_time_gap:.3g} at t = {k.t_end / 2:g} and {k.max_gap:.3g} at "
        f"t = {k.t_end:g} (ratio {ratio:.2g}; 1/t decay would give 2). The exact evaluator (firing every "
        f"reaction to completion) gives the stable outputs, equal to the network's to "
        f"{result.exact_max_abs:.1e}."
    )
    disagreements = result.ode_disagreements()
    if disagreements:
        listed = "; ".join(
            f"example {example}: the two largest stable outputs differ by {margin:.2g}, its remaining gap is {gap:.2g}"
            for example, margin, gap in disagreements[:5]
        )
        text += (
            f" At t = {k.t_end:g} the argmax differs from the network's on {len(disagreements)} of {result.n_ode} "
            f"simulated examples ({listed}{'; ...' if len(disagreements) > 5 else ''}): near-ties still settling, "
            f"which the exact stable state decides correctly."
        )
    return doc.Note(text)


def experiment_files(
    result: ExperimentResult, folder: Path, *, sbml: bool = True
) -> tuple[list[doc.Block], list[tuple[str, str]]]:
    """Write one experiment's files into `folder`; return report blocks and file links.

    Files: ``{key}.crn`` and ``{key}-reduced.crn`` (and ``{key}.sbml.xml``),
    ``{key}-model.json``, ``{key}-examples.csv``, ``{key}-trajectories.png`` and
    ``{key}-convergence.png`` (with matplotlib).
    """
    from ..crn import write_crn
    from ..nn import save_network

    key = result.key
    blocks: list[doc.Block] = []
    links: list[tuple[str, str]] = []
    save_network(result.network, folder / f"{key}-model.json")
    links.append((f"{key}-model.json", f"the network ({result.provenance})"))
    write_crn(
        result.crn,
        folder / f"{key}.crn",
        header=f"{key} {result.architecture} {result.weights}, compiled (Algorithm 1)",
    )
    links.append(
        (f"{key}.crn", f"compiled CRN, {result.crn.n_species} species, {result.crn.n_reactions} reactions")
    )
    write_crn(
        result.reduced,
        folder / f"{key}-reduced.crn",
        header=f"{key} {result.architecture}, reduced (Algorithm 2)",
    )
    links.append(
        (
            f"{key}-reduced.crn",
            f"reduced CRN, {result.reduced.n_species} species, {result.reduced.n_reactions} reactions",
        )
    )
    if sbml:
        skipped = write_sbml_file(result.crn, folder / f"{key}.sbml.xml", f"nn2crn_{key}")
        if skipped is None:
            links.append((f"{key}.sbml.xml", "compiled CRN as SBML Level 3 (mass action, all rates 1)"))
        else:
            blocks.append(doc.Note(f"SBML export skipped: {skipped}"))
    write_example_table(result, folder / f"{key}-examples.csv")
    links.append((f"{key}-examples.csv", "per test example: predictions, differences, settling times"))

    if not can_plot():
        blocks.append(doc.Note("Figures skipped: matplotlib is not installed (pip install 'nn2crn[plot]')."))
        return blocks, links
    from .plots import plot_convergence_times, plot_trajectories

    if result.ode.trajectory is not None:
        stable = np.zeros((result.n_ode, result.network.n_outputs))
        stable[: result.n_ode] = result.exact_test_outputs[: result.n_ode]
        name = f"{key}-trajectories.png"
        plot_trajectories(
            result.ode.trajectory,
            folder / name,
            stable=stable,
            rows=list(range(len(result.plot_rows))),
            log_time=True,
            title=f"{key}: compiled CRN outputs (mass action), stable values dashed",
            output_labels=result.network.output_names,
        )
        blocks.append(
            doc.Figure(
                name,
                f"Output trajectories of test examples {', '.join(map(str, result.plot_rows))} (the first of "
                f"each class and the slowest to stabilize), log time axis.",
            )
        )
    name = f"{key}-convergence.png"
    plot_convergence_times(
        {
            f"ε = {EPSILON} convergence": result.ode.epsilon_times,
            "stabilization (argmax)": result.ode.argmax_times,
        },
        folder / name,
        t_end=result.ode.t_end,
        title=f"{key}: settling times of {result.n_ode} test examples",
    )
    blocks.append(doc.Figure(name, "Distribution of settling times over the simulated test examples."))
    return blocks, links


def crn_graph_blocks(result: ExperimentResult, folder: Path) -> list[doc.Block]:
    """Draw the reduced and the compiled CRN (``{key}-reduced-graph.png``, ``{key}-graph.png``) if small enough."""
    from .crn_graph import MAX_SPECIES, plot_crn_graph

    if not can_plot():
        return [doc.Note("CRN pictures skipped: matplotlib is not installed (pip install 'nn2crn[plot]').")]
    blocks: list[doc.Block] = [
        doc.Paragraph(
            "Species are circles (inputs green, outputs orange, a black ring marks a non-zero initial amount: a "
            "bias); reactions are squares (blue unimolecular, red bimolecular), with arrows from reactants and to "
            "products. Columns follow the longest path from the inputs, so the network's layers read left to right."
        )
    ]
    drawn = 0
    for crn, name, what in (
        (result.reduced, f"{result.key}-reduced-graph.png", "reduced"),
        (result.crn, f"{result.key}-graph.png", "compiled"),
    ):
        if crn.n_species > MAX_SPECIES:
            blocks.append(
                doc.Note(
                    f"The {what} CRN has {crn.n_species} species, above the drawing limit of "
                    f"{MAX_SPECIES}; not drawn (see the .crn file)."
                )
            )
            continue
        plot_crn_graph(
            crn, folder / name, title=f"{what} CRN: {crn.n_species} species, {crn.n_reactions} reactions"
        )
        blocks.append(
            doc.Figure(name, f"The {what} CRN ({crn.n_species} species, {crn.n_reactions} reactions).")
        )
        drawn += 1
    return blocks if drawn else blocks[1:]


def experiment_blocks(
    result: ExperimentResult, folder: Path, *, sbml: bool = True, graphs: bool = True
) -> tuple[list[doc.Block], list[tuple[str, str]]]:
    """Write one experiment's files; return the report blocks describing it and the file links.

    With `graphs`, the blocks include pictures of the CRNs (:func:`crn_graph_blocks`).
    """
    experiment = EXPERIMENTS.get(result.key)
    figures, links = experiment_files(result, folder, sbml=sbml)
    check = result.checks["reduced"]
    sizes = doc.Table(
        ("CRN", "species", "reactions", "bimolecular", "feed-forward", "non-competitive"),
        tuple(
            (
                name,
                str(report.n_species),
                str(report.n_reactions),
                str(report.n_bimolecular),
                "yes" if report.feed_forward else "NO",
                "yes" if report.non_competitive else "NO",
            )
            for name, report in result.checks.items()
        ),
        caption=f"Sizes and structure. Fully reduced (input reactions eliminated too): "
        f"{result.fully_reduced_reactions} reactions."
        + (f" Paper / authors' artefacts: {experiment.paper_sizes}." if experiment else ""),
    )
    blocks: list[doc.Block] = [
        doc.Paragraph(
            f"Network {result.architecture} with {result.weights} weights: {result.provenance}. Data: "
            f"{result.dataset.source}; splits {result.dataset.split_sizes}."
        ),
        sizes,
        doc.Paragraph(
            f"Exact evaluation of all {result.exact_agreement[1]} test examples: the compiled and the reduced CRN "
            f"give the network's outputs to {result.exact_max_abs:.1e} (relative {result.exact_max_relative:.1e}); "
            f"argmax agrees on {result.exact_agreement[0]}/{result.exact_agreement[1]}. "
            + (
                "Both CRNs are feed-forward and non-competitive, so this stable state does not depend on the rates."
                if check.feed_forward and check.non_competitive
                else "The reduced CRN fails a structural check!"
            )
        ),
        kinetics_table(result),
        gap_note(result),
        *figures,
        *(crn_graph_blocks(result, folder) if graphs else ()),
    ]
    return blocks, links


def experiment_section(result: ExperimentResult, folder: Path, *, sbml: bool = True) -> doc.Section:
    """Write one experiment's files and return its report section (ending with the file links)."""
    blocks, links = experiment_blocks(result, folder, sbml=sbml)
    return doc.Section(
        f"{result.key}: {result.architecture} {result.weights}", (*blocks, doc.Links(tuple(links)))
    )


def first_100(result: ExperimentResult, kinetics: KineticsResult | None = None) -> float:
    """Largest ``|CRN(t_end) − NN|`` over the first 100 simulated examples (the paper's MNIST sample size)."""
    kinetics = kinetics or result.ode
    n = min(100, result.n_ode)
    difference = np.abs(kinetics.final_outputs[:n] - result.nn_test_outputs[:n])
    return float(difference.max(initial=0.0))


def comparison_table(results: Sequence[ExperimentResult]) -> doc.Table:
    rows = []
    for result in results:
        experiment = EXPERIMENTS.get(result.key)
        ode_agree = result.ode_agreement()
        rows.append(
            (
                result.key,
                experiment.paper_nn if experiment else "-",
                f"{format_percent(result.nn_correct['test'])} NN; CRN exact {format_percent(result.crn_exact_correct['test'])}",
                experiment.paper_kinetics if experiment else "-",
                f"max |CRN − NN| = {result.ode_max_abs():.2g} at t = {result.ode.t_end:g} over {result.n_ode} examples"
                + (f" ({first_100(result):.2g} over the first 100)" if result.n_ode > 100 else "")
                + f"; argmax agrees {ode_agree[0]}/{ode_agree[1]}",
            )
        )
    return doc.Table(
        ("dataset", "paper: accuracy", "here: accuracy (test)", "paper: kinetics", "here: kinetics"),
        tuple(rows),
        caption="Comparison with the paper.",
    )


def machine_line() -> str:
    return f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"


def versions_line() -> str:
    import importlib.metadata as metadata

    names = ("numpy", "scipy", "numba", "matplotlib", "torch", "python-libsbml")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return f"nn2crn {package_version()}; " + ", ".join(found)


# ---------------------------------------------------------------------------
# The command


@dataclass(frozen=True, eq=False)
class ReproduceResult:
    """What :func:`reproduce` returns: the results, the folder and the table."""

    results: tuple[ExperimentResult, ...]
    folder: Path
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    seconds: float


def resolve_keys(names: Sequence[str]) -> tuple[str, ...]:
    """Experiment keys for ``iris``, ``virus``, ``mnist`` and ``all`` (in table order, no repeats)."""
    keys: list[str] = []
    for name in names or ("all",):
        if name == "all":
            wanted = list(EXPERIMENTS)
        elif name in EXPERIMENTS:
            wanted = [name]
        else:
            raise InputDataError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)} or all")
        keys.extend(key for key in wanted if key not in keys)
    return tuple(key for key in EXPERIMENTS if key in keys)


def reproduce(
    names: Sequence[str],
    output: str | os.PathLike[str],
    *,
    force: bool = False,
    train: bool = False,
    ode_examples: int = DEFAULT_ODE_EXAMPLES,
    command: str = "",
    log: Log | None = None,
) -> ReproduceResult:
    """Run the experiments `names` and write the table and report into `output`.

    Parameters
    ----------
    names : sequence of str
        ``iris``, ``virus``, ``mnist`` or ``all``.
    output : path-like
        Folder to create; an existing one is refused unless `force`.
    force : bool
        Overwrite the report files in an existing folder.
    train : bool
        Train each network first (with the shipped model's recorded settings).
    ode_examples : int
        ODE-simulate the first ``min(ode_examples, n_test)`` test examples.
    command : str
        The command line that made this, shown in the report.
    log : callable, optional
        Receives progress messages.

    Returns
    -------
    ReproduceResult

    Raises
    ------
    InputDataError
        The folder exists (without `force`), or a bad name.
    ModelFileError
        A shipped model is missing (without `train`).
    """
    from ._folder import check_output_folder, staged_folder

    keys = resolve_keys(names)
    check_output_folder(output, force=force)
    if ode_examples < 1:
        raise InputDataError(f"--ode-examples must be >= 1, got {ode_examples}")
    started = time.perf_counter()
    results = []
    for key in keys:
        experiment = EXPERIMENTS[key]
        network, data, provenance = experiment_network(
            experiment, train=train, log=log, command=command or None
        )
        results.append(
            run_experiment(
                key,
                network,
                data,
                t_end=experiment.t_end,
                ode_examples=ode_examples,
                provenance=provenance,
                log=log,
            )
        )
    with staged_folder(output, force=force) as folder:
        table_files = write_table(results, folder)
        sections = [
            doc.Section(
                "Reproduction table",
                (
                    doc.Table(
                        TABLE_HEADER,
                        tuple(table_row(result) for result in results),
                        caption="One row per dataset. Accuracies on the test split (IRIS: all 150, the paper's "
                        "setting). ODE columns: compiled CRN, mass action, all rate constants 1, first "
                        f"{', '.join(f'{r.n_ode} ({r.key})' for r in results)} test examples. Times: "
                        f"ε = {EPSILON} absolute convergence and argmax stabilization.",
                    ),
                    comparison_table(results),
                    doc.Links(tuple((name, "the table") for name in table_files)),
                ),
            ),
            *(experiment_section(result, folder) for result in results),
            how_made_section(
                command or f"nn2crn reproduce {' '.join(names) or 'all'}", time.perf_counter() - started
            ),
        ]
        report = doc.Report(
            "nn2crn: reproduction of Deep Molecular Programming (ICML 2020)",
            tuple(sections),
            subtitle="Binary/ternary-weight ReLU networks compiled into rate-independent chemical reaction networks.",
            footer=f"Generated by nn2crn {package_version()}.",
        )
        doc.write_report(report, folder)
    seconds = time.perf_counter() - started
    return ReproduceResult(
        tuple(results), Path(output), TABLE_HEADER, tuple(table_row(result) for result in results), seconds
    )


def how_made_section(command: str, seconds: float) -> doc.Section:
    return doc.Section(
        "How this report was made",
        (
            doc.Code(command),
            doc.Paragraph(f"Took {seconds:.0f} s. {machine_line()}. {versions_line()}."),
        ),
    )
