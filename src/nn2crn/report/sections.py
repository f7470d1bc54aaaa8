"""Report sections: the blocks of HTML/Markdown reports, and the figures they show.

Each function takes a study's result and returns :mod:`~nn2crn.report.html`
blocks or sections; the ones that show figures or link files draw and write
them into the report's staging folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..nn.runs import EXPERIMENTS
from ..studies.demo import SSAResult
from ..studies.depth import PAPER_HEART, DepthStudyResult
from ..studies.experiment import ExperimentResult
from ..studies.kinetics import EPSILON
from . import html as doc
from .files import write_depth_files, write_example_table, write_sbml_file
from .plots import can_plot, plot_depth_study
from .provenance import machine_line, versions_line
from .tables import DEPTH_HEADER, depth_rows, format_percent, format_time, scaling_sentences


def kinetics_table(result: ExperimentResult) -> doc.Table:
    """Compiled and reduced CRN kinetics side by side."""
    rows = []
    for kinetics in (result.ode, result.ode_reduced):
        eps, settle = kinetics.epsilon_median_p95, kinetics.argmax_median_p95
        agree = result.ode_agreement(kinetics)
        rows.append(
            (
                f"{kinetics.label} ({(result.crn if kinetics is result.ode else result.reduced).n_reactions} reactions)",
                format_percent(result.ode_correct(kinetics)),
                f"{agree[0]}/{agree[1]}",
                f"{kinetics.half_time_gap:.3g}",
                f"{result.ode_max_abs(kinetics):.3g}",
                f"{format_time(eps[0])} / {format_time(eps[1])} ({kinetics.epsilon_settled:.0%})",
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
        f"ε = {EPSILON} absolute; times are when the criterion holds from then on."
        + (
            f" ODE time excludes loading the compiled ODE kernel, once per process "
            f"({result.seconds['ODE kernel load']:.2f} s)."
            if "ODE kernel load" in result.seconds
            else ""
        ),
    )


def gap_note(result: ExperimentResult) -> doc.Note:
    """The honest statement about outputs at ``t_end``, with the measured numbers."""
    k = result.ode
    text = (
        f"Mass-action outputs at t_end are not exact. The ReLU annihilation M + Z⁻ slows down as both "
        f"reactants run out, so the last of the gap closes roughly like 1/t. Measured on the compiled CRN: "
        f"largest |output − stable value| {k.half_time_gap:.3g} at t = {k.t_end / 2:g} and {k.max_gap:.3g} at "
        f"t = {k.t_end:g} (ratio {k.gap_ratio:.2g}; 1/t decay would give 2). The exact evaluator (firing every "
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
        stable = result.exact_test_outputs[: result.n_ode]
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
    run = EXPERIMENTS.get(result.key)
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
        + (f" Paper / authors' artefacts: {run.paper_sizes}." if run else ""),
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


def comparison_table(results: Sequence[ExperimentResult]) -> doc.Table:
    """The paper's numbers next to the measured ones, one row per experiment."""
    rows = []
    for result in results:
        run = EXPERIMENTS.get(result.key)
        ode_agree = result.ode_agreement()
        rows.append(
            (
                result.key,
                run.paper_nn if run else "-",
                f"{format_percent(result.nn_correct['test'])} NN; CRN exact {format_percent(result.crn_exact_correct['test'])}",
                run.paper_kinetics if run else "-",
                f"max |CRN − NN| = {result.ode_max_abs():.2g} at t = {result.ode.t_end:g} over {result.n_ode} examples"
                + (f" ({result.ode_max_abs_first(100):.2g} over the first 100)" if result.n_ode > 100 else "")
                + f"; argmax agrees {ode_agree[0]}/{ode_agree[1]}",
            )
        )
    return doc.Table(
        ("dataset", "paper: accuracy", "here: accuracy (test)", "paper: kinetics", "here: kinetics"),
        tuple(rows),
        caption="Comparison with the paper.",
    )


def how_made_section(command: str, seconds: float) -> doc.Section:
    """The command line, the time taken, the machine and the library versions."""
    return doc.Section(
        "How this report was made",
        (
            doc.Code(command),
            doc.Paragraph(f"Took {seconds:.0f} s. {machine_line()}. {versions_line()}."),
        ),
    )


def summary_rows(
    result: ExperimentResult, ssa: SSAResult | None, folder: Path
) -> tuple[tuple[str, str], ...]:
    """The short summary (label, value) shown on the terminal and at the top of the report."""
    eps, settle = result.ode.epsilon_median_p95, result.ode.argmax_median_p95
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


def ssa_blocks(result: ExperimentResult, ssa: SSAResult, folder: Path) -> list[doc.Block]:
    """The demo's stochastic runs: what was simulated and found, and a figure of the first run per example."""
    blocks: list[doc.Block] = [
        doc.Paragraph(
            f"Gillespie's direct method on the compiled CRN at volume V = {ssa.volume:g} (an amount a is "
            f"round(a·V) molecules), {ssa.runs} runs each of examples {', '.join(map(str, ssa.examples))}, to "
            f"t = {result.ode.t_end:g}: {ssa.events} reaction events in {ssa.seconds:.2f} s. The argmax at t_end is "
            f"the network's in {ssa.agreement[0]} of {ssa.agreement[1]} runs; the largest |output − stable value| "
            f"is {ssa.max_gap:.3g} (molecule-count rounding, 1/V = {1 / ssa.volume:g}, plus the unfinished tail). "
            f"The leader (argmax) last changed at a median t = {ssa.leader_time_median:.3g}."
        ),
    ]
    if can_plot():
        from .plots import plot_trajectories

        stable = result.exact_test_outputs[list(ssa.examples)]
        name = "iris-ssa.png"
        plot_trajectories(
            ssa.trajectory,
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


def depth_study_sections(result: DepthStudyResult, folder: Path, command: str) -> list[doc.Section]:
    """Write the study's files into `folder` and return the report sections."""
    write_depth_files(result, folder)
    blocks: list[doc.Block] = [
        doc.Paragraph(
            "Networks with 1–5 hidden layers are compiled (Algorithm 1) and simulated with mass-action kinetics, all "
            "rate constants 1. Stabilization is the time from which the eventual argmax stays strictly on top; "
            f"ε-convergence the time from which every output is within ε = {EPSILON} (absolute) of its stable value. "
            "Random networks: ternary weights, hidden biases N(0, 1), output biases 0 (so the outputs start tied), 2 "
            "inputs uniform in [−1, 1]², 2 outputs. Trained networks: width 8, ternary (threshold 0.05), trained on "
            "the 17×15-pixel heart pattern (best of a few seeds), simulated on all 255 pixels. Inputs whose stable "
            "outputs tie (no unique winner, column 'tied') are left out of the stabilization statistics."
        ),
        *(doc.Note(note) for note in result.notes),
        doc.Table(
            DEPTH_HEADER,
            depth_rows(result),
            caption="Settling times per depth and width (inf: not settled by "
            "t_end, shown as 'not settled'; means over settled inputs).",
        ),
        doc.Paragraph(
            "Measured scaling (least-squares fits against depth): " + " ".join(scaling_sentences(result))
        ),
        doc.Paragraph(
            "The paper (PNAS 2022, heart networks of width 8) reports the mean time until the eventual winner stays "
            "on top as "
            + ", ".join(f"{PAPER_HEART[d]} for {d} layer{'s' if d > 1 else ''}" for d in sorted(PAPER_HEART))
            + ", and the time to 90% production growing about 2.5–3 per layer: settling slows with depth. Compare "
            "the direction and rough size, not the digits: their networks, inputs and thresholds differ from these."
        ),
    ]
    if can_plot():
        plot_depth_study(result, folder / "depth-study.png")
        blocks.append(
            doc.Figure(
                "depth-study.png",
                "Settling time versus depth, one line per width (log scale); "
                "grey: the paper's heart networks.",
            )
        )
    else:
        blocks.append(doc.Note("Plot skipped: matplotlib is not installed (pip install 'nn2crn[plot]')."))
    blocks.append(
        doc.Links(
            (
                ("depth-study.csv", "one row per (family, depth, width)"),
                ("depth-study.json", "settings, cells and fits"),
            )
        )
    )
    return [
        doc.Section("Settling time versus depth and width", tuple(blocks)),
        how_made_section(command, result.seconds),
    ]
