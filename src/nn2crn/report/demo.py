"""The one-command demo: the shipped IRIS network, compiled, checked, evaluated, simulated, reported.

:func:`run_demo` refuses an existing folder before any work, runs the demo's
study (:func:`nn2crn.studies.demo.run_demo_study`: the shipped
``iris-4-8-3-binary`` model, or one trained now, or a model file, through its
experiment on all 150 examples and a few SSA runs), and writes everything into
a folder with an HTML and a Markdown report.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..studies.demo import SSAResult, run_demo_study
from ..studies.experiment import ExperimentResult, Log
from . import html as doc
from .dna_section import dna_section
from .files import (
    write_demo_summary,
    write_inputs_csv,
    write_outputs_csv,
    write_sbml_file,
    write_trajectories_csv,
)
from .provenance import package_version
from .sections import crn_graph_blocks, experiment_blocks, how_made_section, ssa_blocks, summary_rows

DEFAULT_OUTPUT = "nn2crn-demo"


@dataclass(frozen=True, eq=False)
class DemoResult:
    """What :func:`run_demo` returns."""

    experiment: ExperimentResult
    ssa: SSAResult | None
    folder: Path
    summary: tuple[tuple[str, str], ...]
    seconds: float


def run_demo(
    output: str | os.PathLike[str] = DEFAULT_OUTPUT,
    *,
    force: bool = False,
    train: bool = False,
    model: str | os.PathLike[str] | None = None,
    ssa: bool = True,
    dna: bool = False,
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
    dna : bool
        Add the "DNA implementation" section (needs the ``dna`` extra; ~100 s CPU).
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
    study = run_demo_study(train=train, model=model, ssa=ssa, dna=dna, command=command, log=log)
    result, ssa_result = study.experiment, study.ssa
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
        write_demo_summary(result, ssa_result, command, folder / "summary.json")
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
            sections.append(doc.Section("Stochastic kinetics", tuple(ssa_blocks(result, ssa_result, folder))))
        if study.dna is not None:
            sections.append(dna_section(study.dna, folder))
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
