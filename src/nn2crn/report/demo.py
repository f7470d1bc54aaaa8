"""The one-command demo: the shipped IRIS network, compiled, checked, evaluated, simulated, reported.

:func:`run_demo` loads the shipped ``iris-4-8-3-binary`` model (or trains one,
or takes a model file), compiles and reduces it, checks both CRNs, evaluates
all 150 examples exactly and compares them with the network, simulates
mass-action ODE kinetics of every example to t = 50 and a few stochastic (SSA)
runs, draws the CRNs, and writes everything into a folder with an HTML and a
Markdown report.
"""

from __future__ import annotations

import csv
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._errors import InputDataError
from .._writing import open_output, write_output
from ..nn import Network
from . import html as doc
from .experiment import (
    EPSILON,
    ExperimentResult,
    Log,
    can_plot,
    format_percent,
    format_time,
    median_p95,
    package_version,
    run_experiment,
)
from .reproduce import (
    EXPERIMENTS,
    crn_graph_blocks,
    experiment_blocks,
    experiment_network,
    how_made_section,
    load_experiment_data,
    result_record,
    write_sbml_file,
)

DEFAULT_OUTPUT = "nn2crn-demo"
SSA_VOLUME = 1000.0
SSA_RUNS = 5
SSA_EXAMPLES = 3


@dataclass(frozen=True, eq=False)
class SSAResult:
    """A few stochastic runs of the compiled CRN.

    Attributes
    ----------
    examples : tuple of int
        Example indices simulated.
    volume : float
    runs : int
        Runs per example.
    max_gap : float
        Largest ``|output(t_end) − stable|`` over runs and outputs (counts / V).
    agreement : tuple of (int, int)
        Runs whose argmax at ``t_end`` is the network's, and the number of runs.
    leader_times : ndarray of shape (n_runs_total,)
        When the argmax last changed identity, per run.
    events : int
        Reaction events simulated in total.
    seconds : float
    """

    examples: tuple[int, ...]
    volume: float
    runs: int
    max_gap: float
    agreement: tuple[int, int]
    leader_times: np.ndarray
    events: int
    seconds: float


@dataclass(frozen=True, eq=False)
class DemoResult:
    """What :func:`run_demo` returns."""

    experiment: ExperimentResult
    ssa: SSAResult | None
    folder: Path
    summary: tuple[tuple[str, str], ...]
    seconds: float


def demo_network(
    *,
    train: bool = False,
    model: str | os.PathLike[str] | None = None,
    log: Log | None = None,
    command: str = "nn2crn demo --train",
) -> tuple[Network, str]:
    """The demo's network and where it came from: a model file, a freshly trained one, or the shipped one."""
    experiment = EXPERIMENTS["iris"]
    if model is not None:
        from ..nn import load_network

        network = load_network(model)
        if network.n_inputs != 4 or network.n_outputs != 3:
            raise InputDataError(
                f"{model}: the demo runs on IRIS (4 features, 3 classes) but this model is "
                f"{'-'.join(map(str, network.widths))}; use `nn2crn reproduce` or `nn2crn verify` for other data"
            )
        return network, f"model file `{model}`"
    network, _, provenance = experiment_network(experiment, train=train, log=log, command=command)
    return network, provenance


def simulate_ssa_examples(result: ExperimentResult, *, seed: int = 0) -> tuple[SSAResult, object]:
    """SSA runs of the compiled CRN for the first plotted examples; returns the result and the trajectory."""
    from ..simulate.ssa import simulate_ssa

    examples = tuple(result.plot_rows[:SSA_EXAMPLES])
    x = result.network.transform(result.dataset.test.x[list(examples)])
    started = time.perf_counter()
    trajectory = simulate_ssa(
        result.crn,
        x,
        volume=SSA_VOLUME,
        t_end=result.ode.t_end,
        runs=SSA_RUNS,
        n_points=251,
        seed=seed,
        store="outputs",
    )
    seconds = time.perf_counter() - started
    stable = result.exact_test_outputs[list(examples)]
    final = trajectory.final_outputs
    nn_choice = np.argmax(result.nn_test_outputs[list(examples)], axis=1)[trajectory.input_rows]
    ssa = SSAResult(
        examples=examples,
        volume=SSA_VOLUME,
        runs=SSA_RUNS,
        max_gap=float(np.abs(final - stable[trajectory.input_rows]).max(initial=0.0)),
        agreement=(int((np.argmax(final, axis=1) == nn_choice).sum()), int(final.shape[0])),
        leader_times=np.asarray(trajectory.info["leader_time"], dtype=np.float64),
        events=int(np.sum(trajectory.info["events"])),
        seconds=seconds,
    )
    return ssa, trajectory


def write_outputs_csv(result: ExperimentResult, path: Path) -> None:
    """Every example: raw features, label, the network's outputs, the CRN's exact outputs and its ODE outputs."""
    network, split = result.network, result.dataset.test
    names = network.output_names
    with open_output(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            [
                "index",
                *network.input_names,
                "label",
                *(f"nn_{name}" for name in names),
                *(f"crn_exact_{name}" for name in names),
                *(f"crn_ode_t{result.ode.t_end:g}_{name}" for name in names),
            ]
        )
        for index in range(split.n_examples):
            ode = result.ode.final_outputs[index] if index < result.n_ode else [""] * len(names)
            writer.writerow(
                [
                    index,
                    *(repr(float(v)) for v in split.x[index]),
                    names[split.y[index]],
                    *(repr(float(v)) for v in result.nn_test_outputs[index]),
                    *(repr(float(v)) for v in result.exact_test_outputs[index]),
                    *(repr(float(v)) if v != "" else "" for v in ode),
                ]
            )


def write_inputs_csv(result: ExperimentResult, path: Path) -> None:
    """The test examples as an inputs CSV for ``--inputs`` with ``--model``: raw features and a label."""
    network, split = result.network, result.dataset.test
    with open_output(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([*network.input_names, "label"])
        for index in range(split.n_examples):
            writer.writerow([*(repr(float(v)) for v in split.x[index]), network.output_names[split.y[index]]])


def write_trajectories_csv(trajectory, path: Path) -> None:
    """Output trajectories of the plotted examples: ``example, time, outputs...``."""
    outputs = trajectory.outputs
    with open_output(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["example", "time", *trajectory.crn.output_names])
        for batch_row, example in enumerate(trajectory.input_rows.tolist()):
            for k, t in enumerate(trajectory.times.tolist()):
                writer.writerow([example, repr(t), *(f"{v:.9g}" for v in outputs[batch_row, k])])


def summary_rows(
    result: ExperimentResult, ssa: SSAResult | None, folder: Path
) -> tuple[tuple[str, str], ...]:
    """The short summary (label, value) shown on the terminal and at the top of the report."""
    eps, settle = median_p95(result.ode.epsilon_times), median_p95(result.ode.argmax_times)
    checks = result.checks["reduced"]
    ode_agree = result.ode_agreement()
    rows = [
        ("network", f"IRIS {result.architecture} {result.weights}: {result.provenance.replace('`', '')}"),
        ("NN accuracy (all 150)", format_percent(result.nn_correct["test"])),
        ("CRN accuracy, exact", format_percent(result.crn_exact_correct["test"])),
        (
            "CRN vs NN, exact",
            f"argmax {result.exact_agreement[0]}/{result.exact_agreement[1]}, "
            f"max |Δ| {result.exact_max_abs:.1e}",
        ),
        (
            "CRN size",
            f"compiled {result.crn.n_species} species / {result.crn.n_reactions} reactions; reduced "
            f"{result.reduced.n_species} / {result.reduced.n_reactions}",
        ),
        (
            "checks",
            f"feed-forward {'yes' if checks.feed_forward else 'NO'}, "
            f"non-competitive {'yes' if checks.non_competitive else 'NO'} (compiled and reduced)"
            if all(c.feed_forward and c.non_competitive for c in result.checks.values())
            else "FAILED: "
            + ", ".join(n for n, c in result.checks.items() if not (c.feed_forward and c.non_competitive)),
        ),
        (
            f"ODE at t = {result.ode.t_end:g}",
            f"accuracy {format_percent(result.ode_correct())}, argmax = NN "
            f"{ode_agree[0]}/{ode_agree[1]}, max |CRN − NN| {result.ode_max_abs():.2g}",
        ),
        (
            "settling times",
            f"stabilization median {format_time(settle[0])}, p95 {format_time(settle[1])}; "
            f"ε = {EPSILON} convergence median {format_time(eps[0])}, p95 {format_time(eps[1])}",
        ),
    ]
    if ssa is not None:
        rows.append(
            (
                f"SSA (V = {ssa.volume:g})",
                f"{ssa.agreement[1]} runs: argmax = NN {ssa.agreement[0]}/{ssa.agreement[1]}, "
                f"max |output − stable| {ssa.max_gap:.2g} at t = {result.ode.t_end:g}",
            )
        )
    rows.append(("report", str(folder / "report.html")))
    return tuple(rows)


def _ssa_blocks(result: ExperimentResult, ssa: SSAResult, trajectory, folder: Path) -> list[doc.Block]:
    blocks: list[doc.Block] = [
        doc.Paragraph(
            f"Gillespie's direct method on the compiled CRN at volume V = {ssa.volume:g} (an amount a is "
            f"round(a·V) molecules), {ssa.runs} runs each of examples {', '.join(map(str, ssa.examples))}, to "
            f"t = {result.ode.t_end:g}: {ssa.events} reaction events in {ssa.seconds:.2f} s. The argmax at t_end is "
            f"the network's in {ssa.agreement[0]} of {ssa.agreement[1]} runs; the largest |output − stable value| "
            f"is {ssa.max_gap:.3g} (molecule-count rounding, 1/V = {1 / ssa.volume:g}, plus the unfinished tail). "
            f"The leader (argmax) last changed at a median t = {np.median(ssa.leader_times):.3g}."
        ),
    ]
    if can_plot():
        from .plots import plot_trajectories

        stable = np.zeros((len(ssa.examples), result.network.n_outputs))
        stable[:] = result.exact_test_outputs[list(ssa.examples)]
        name = "iris-ssa.png"
        plot_trajectories(
            trajectory,
            folder / name,
            stable=stable,
            rows=[i * ssa.runs for i in range(len(ssa.examples))],
            log_time=True,
            title=f"SSA at V = {ssa.volume:g}: first run of each example (rows = examples "
            f"{', '.join(map(str, ssa.examples))})",
            output_labels=result.network.output_names,
        )
        blocks.append(
            doc.Figure(name, "Stochastic output trajectories (first run per example), stable values dashed.")
        )
    return blocks


def run_demo(
    output: str | os.PathLike[str] = DEFAULT_OUTPUT,
    *,
    force: bool = False,
    train: bool = False,
    model: str | os.PathLike[str] | None = None,
    ssa: bool = True,
    command: str = "nn2crn demo",
    log: Log | None = None,
) -> DemoResult:
    """Run the demo and write its folder.

    Parameters
    ----------
    output : path-like
        Folder to create; an existing one is refused unless `force`.
    force : bool
        Overwrite the report files in an existing folder.
    train : bool
        Train the IRIS network first (the shipped model's recorded settings) instead of loading it.
    model : path-like, optional
        Use this IRIS model file instead.
    ssa : bool
        Also run a few stochastic simulations.
    command : str
        The command line, shown in the report.
    log : callable, optional
        Receives progress messages.

    Returns
    -------
    DemoResult

    Raises
    ------
    InputDataError
        The folder exists (without `force`) or is a file; the model is not an IRIS model.
    ModelFileError
        The shipped model is missing (without `train`) or the model file is invalid.
    """
    from ._folder import check_output_folder, staged_folder

    started = time.perf_counter()
    check_output_folder(output, force=force)
    if train and model is not None:
        raise InputDataError("give either --train or --model, not both")
    network, provenance = demo_network(train=train, model=model, log=log, command=command)
    experiment = EXPERIMENTS["iris"]
    data = load_experiment_data(experiment, network)
    result = run_experiment(
        "iris",
        network,
        data,
        t_end=experiment.t_end,
        ode_examples=data.test.n_examples,
        provenance=provenance,
        log=log,
    )
    ssa_result = None
    ssa_trajectory = None
    if ssa and result.plot_rows:
        ssa_result, ssa_trajectory = simulate_ssa_examples(result)
        if log is not None:
            log(
                f"iris: SSA, {ssa_result.agreement[1]} runs at V = {ssa_result.volume:g} in {ssa_result.seconds:.1f} s"
            )
    folder_path = Path(output)
    summary = summary_rows(result, ssa_result, folder_path)
    with staged_folder(output, force=force) as folder:
        blocks, links = experiment_blocks(result, folder, graphs=False)
        write_sbml_skipped = write_sbml_file(
            result.reduced, folder / "iris-reduced.sbml.xml", "nn2crn_iris_reduced"
        )
        extra_links = [("iris-outputs.csv", "every example: features, label, NN, exact CRN and ODE outputs")]
        write_outputs_csv(result, folder / "iris-outputs.csv")
        write_inputs_csv(result, folder / "iris-inputs.csv")
        extra_links.append(("iris-inputs.csv", "the examples as --inputs for eval, simulate, ssa-study"))
        if result.ode.trajectory is not None:
            write_trajectories_csv(result.ode.trajectory, folder / "iris-trajectories.csv")
            extra_links.append(("iris-trajectories.csv", "ODE output trajectories of the plotted examples"))
        if write_sbml_skipped is None:
            extra_links.append(("iris-reduced.sbml.xml", "reduced CRN as SBML Level 3"))
        extra_links.append(("summary.json", "all the numbers of this report"))
        record = {"generated_by": f"nn2crn {package_version()}", "command": command, **result_record(result)}
        if ssa_result is not None:
            record["ssa"] = {
                "examples": list(ssa_result.examples),
                "volume": ssa_result.volume,
                "runs": ssa_result.runs,
                "max_abs_gap_at_t_end": ssa_result.max_gap,
                "argmax_agreement_with_nn": list(ssa_result.agreement),
                "events": ssa_result.events,
                "seconds": round(ssa_result.seconds, 3),
            }
        write_output((folder / "summary.json"), json.dumps(record, indent=1) + "\n")
        sections = [
            doc.Section(
                "What you are looking at",
                (
                    doc.Paragraph(
                        "A ReLU network with weights in {−1, +1}, trained on Fisher's IRIS flowers, compiled into a "
                        "chemical reaction network (CRN) whose stable state is the network's output, whatever the "
                        "reaction rates (Vasić, Chalk, Khurshid, Soloveichik, ICML 2020). Each value is a pair of "
                        "species (v = v⁺ − v⁻); a weight is a reaction that copies or swaps the pair; a ReLU is "
                        "Z⁺ → M + Y⁺, M + Z⁻ → Y⁻. The prediction is the output with the largest Y⁺ − Y⁻."
                    ),
                    doc.Table(("", "result"), summary[:-1], caption="Summary"),
                ),
            ),
            doc.Section("The CRN", tuple(crn_graph_blocks(result, folder))),
            doc.Section("Exact evaluation and kinetics", tuple(blocks)),
        ]
        if ssa_result is not None:
            sections.append(
                doc.Section(
                    "Stochastic kinetics", tuple(_ssa_blocks(result, ssa_result, ssa_trajectory, folder))
                )
            )
        sections.append(doc.Section("Files", (doc.Links(tuple(links + extra_links)),)))
        sections.append(
            doc.Section(
                "Next steps",
                (
                    doc.Code(
                        f"nn2crn check {Path(output) / 'iris.crn'}\n"
                        f"nn2crn eval {Path(output) / 'iris.crn'} --inputs {Path(output) / 'iris-inputs.csv'} "
                        f"--model {Path(output) / 'iris-model.json'}\n"
                        f"nn2crn simulate {Path(output) / 'iris-reduced.crn'} --inputs "
                        f"{Path(output) / 'iris-inputs.csv'} --model "
                        f"{Path(output) / 'iris-model.json'} --t-end 50 --plot traj.png\n"
                        "nn2crn reproduce all -o nn2crn-reproduce   # the paper's three experiments\n"
                        "nn2crn depth-study -o nn2crn-depth         # settling time versus depth and width"
                    ),
                ),
            )
        )
        sections.append(how_made_section(command, time.perf_counter() - started))
        report = doc.Report(
            "nn2crn demo: an IRIS classifier as a chemical reaction network",
            tuple(sections),
            subtitle=f"{result.architecture} {result.weights} network; {result.provenance}.",
            footer=f"Generated by nn2crn {package_version()}.",
        )
        doc.write_report(report, folder)
    return DemoResult(result, ssa_result, folder_path, summary, time.perf_counter() - started)
