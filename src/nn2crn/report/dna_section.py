"""The report's "DNA implementation" section, rendered from :class:`nn2crn.studies.dna.DNASectionData`."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..dna.verify import VerificationReport
from ..studies.dna import AgreementRun, DNASectionData
from .html import Figure, Note, Paragraph, Section, Table


def _hours(value: float, times: tuple[float, ...] = ()) -> str:
    """A decision time; at or before the first sample after 0 it is only known to be ≤ that sample."""
    if value == float("inf"):
        return "never"
    if len(times) > 1 and value <= times[1]:
        return f"≤ {times[1]:.2f} h"
    return f"{value:.2f} h"


def _whole(report: VerificationReport, limit: int) -> str:
    """The whole-system check's verdict and size, or why it was not run."""
    whole = [c for c in report.checks if c.kind == "system"]
    if not whole:
        return f"not run ({report.count('module')} > {limit} reactions)"
    check = whole[0]
    verdict = "correct" if check.verdict.ok else "FAILED"
    return f"{verdict} ({check.n_complexes} complexes, {check.n_condensed} reactions, {check.seconds:.0f} s)"


def _figure_run(data: DNASectionData) -> AgreementRun | None:
    """The run the trajectory figure shows: the default design (10× fuels, no leak) if swept."""
    kept = [run for run in data.sweep if np.asarray(run.outputs).ndim == 3 and len(run.outputs)]
    preferred = [run for run in kept if run.fuel_excess == 10.0 and run.leak == 0.0]
    chosen = preferred or kept
    return chosen[0] if chosen else None


def dna_section(data: DNASectionData, folder: str | os.PathLike[str] | None = None) -> Section:
    """Cost table, verification verdicts and the fuel × leak agreement sweep as one section.

    With `folder` (and matplotlib installed), a figure of the DNA-level output
    trajectories in hours is written there and shown in the section.
    """
    blocks: list = [
        Paragraph(
            f"DNA strand-displacement implementation of `{data.model}`: cost of the compiled and reduced "
            "CRN under both schemes, peppercorn + crnverifier verdicts, and DNA-level ODE agreement with "
            "the network (one CRN unit = 10 nM)."
        ),
        Table(
            ("CRN", "scheme", "reactions", "complexes", "strands", "nt", "longest nt"),
            tuple(
                (
                    form,
                    scheme,
                    *(
                        str(v)
                        for v in (
                            c.total.n_reactions,
                            c.total.complexes,
                            c.total.strands,
                            c.total.nucleotides,
                            c.total.longest_nt,
                        )
                    ),
                )
                for form, scheme, c in data.costs
            ),
            caption="DNA cost (fuels and signals, each distinct strand once)",
        ),
        Table(
            ("CRN", "scheme", "modules", "pairs", "shapes", "whole system", "verdict", "seconds"),
            tuple(
                (
                    form,
                    scheme,
                    str(r.count("module")),
                    str(r.count("pair")),
                    str(r.n_shapes),
                    _whole(r, data.whole_limit),
                    "correct" if r.ok else "FAILED",
                    f"{r.seconds:.1f}",
                )
                for form, scheme, r in data.verification
            ),
            caption="Verification: every module (enumerated once per shape), every pair of modules sharing "
            f"a species, and the whole system enumerated at once for CRNs of at most {data.whole_limit} "
            "reactions",
        ),
    ]
    if data.max_fanout is not None:
        blocks.append(
            Note(
                f"Verified and simulated: the compiled CRN with every fan-out split into trees of at most "
                f"{data.max_fanout} products (exact; `nn2crn dna verify --max-fanout {data.max_fanout}`), "
                "which leaves a handful of module shapes; the unbounded CRN has one shape per distinct "
                "fan-out. The bound multiplies the gates, and every gate leaks in the leak rows."
            )
        )
    if data.sweep:
        times = data.sweep[0].times_h
        picks = [k for k, t in enumerate(times) if k in (1, len(times) // 4, len(times) // 2, len(times) - 1)]
        blocks.append(
            Table(
                (
                    "fuel ×",
                    "leak /M/s",
                    *(f"agree @ {times[k]:.2f} h" for k in picks),
                    "decision (median)",
                    "max |error|",
                    "wall s",
                ),
                tuple(
                    (
                        f"{r.fuel_excess:g}",
                        f"{r.leak:g}",
                        *(f"{r.agreement[k]}/{r.n_rows}" for k in picks),
                        _hours(r.decision_h_median, r.times_h),
                        f"{r.max_error:.3f}",
                        f"{r.seconds:.0f}",
                    )
                    for r in data.sweep
                ),
                caption=f"DNA-level argmax agreement with the network over time on the first "
                f"{data.sweep[0].n_rows} test examples ({data.sweep_form} CRN, ssw2010), by fuel excess and "
                "leak; wall s = the ODE's wall time",
            )
        )
        run = _figure_run(data)
        if folder is not None and run is not None:
            from .plots import can_plot, plot_dna_outputs

            if can_plot():
                name = f"{data.model}-dna-trajectories.png"
                plot_dna_outputs(
                    run,
                    Path(folder) / name,
                    output_names=data.output_names,
                    title=f"{data.model}: DNA-level outputs (fuels {run.fuel_excess:g}×, leak {run.leak:g} /M/s)",
                )
                blocks.append(
                    Figure(
                        name,
                        "DNA-level ODE outputs over hours at the default concentrations (one CRN unit = "
                        "10 nM), network values dashed.",
                    )
                )
            else:
                blocks.append(
                    Note("Figure skipped: matplotlib is not installed (pip install 'nn2crn[plot]').")
                )
    else:
        blocks.append(Note("DNA-level kinetics were not run for this model."))
    return Section("DNA implementation", tuple(blocks))
