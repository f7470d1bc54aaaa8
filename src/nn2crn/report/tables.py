"""Text tables of the studies: plain text for terminals, Markdown, rich, and table rows.

Each function takes a study's frozen result and returns text (or a rich table);
none computes anything the study did not.
"""

from __future__ import annotations

import math

from ..studies.depth import DepthStudyResult, Fit
from ..studies.experiment import ExperimentResult
from ..studies.robustness import RobustnessResult, SpeedupResult
from ..studies.ssa_volume import SsaStudy


def robustness_text(result: RobustnessResult) -> str:
    """A plain-text table, one line per rate set."""
    lines = [
        f"rate robustness: {result.n_rows} input rows, t_end = {result.t_end:g}, rate law {result.rate_law}",
        f"{'rates':<28} {'min k':>9} {'max k':>9} {'max |dy|':>10} {'mean |dy|':>10} {'argmax agree':>13}",
    ]
    for row in result.rate_sets:
        agree = f"{result.n_rows - row.n_disagree}/{result.n_rows}"
        lines.append(
            f"{row.spec:<28} {row.min_rate:>9.3g} {row.max_rate:>9.3g} {row.max_deviation:>10.3g} "
            f"{row.mean_deviation:>10.3g} {agree:>13}"
        )
    return "\n".join(lines)


def speedup_text(result: SpeedupResult) -> str:
    """Plain-text table: factor → median and 95th-percentile settling times and speed-up."""
    lines = [
        f"ReLU-rate speed-up (epsilon = {result.epsilon:g}, t_end = {result.t_end:g}; inf = not converged)",
        f"{'factor':>8} {'median t_eps':>13} {'p95 t_eps':>10} {'converged':>10} {'median t_argmax':>16} {'speed-up':>9}",
    ]
    for row, speedup in zip(result.rows, result.speedups, strict=True):
        median = row.epsilon["median"]
        lines.append(
            f"{row.factor:>8g} {median:>13.4g} {row.epsilon['p95']:>10.4g} {row.epsilon['converged']:>10.1%} "
            f"{row.argmax['median']:>16.4g} {speedup:>8.3g}x"
        )
    return "\n".join(lines)


def ssa_study_text(study: SsaStudy) -> str:
    """A plain-text table, one line per volume."""
    header = (
        f"{'V':>8} {'agree':>7} {'mean |dy|':>10} {'max |dy|':>9} {'t_lead med':>10} {'t_lead p95':>10} "
        f"{'exhausted':>9} {'rounding: agree':>15} {'max |dy|':>9}"
    )
    lines = [header]
    for r in study.results:
        lines.append(
            f"{r.volume:>8g} {r.agreement:>7.1%} {r.mean_error:>10.3g} {r.max_error:>9.3g} "
            f"{r.leader_time_median:>10.3g} {r.leader_time_p95:>10.3g} {r.exhausted:>9.0%} "
            f"{r.rounding_agreement:>15.1%} {r.rounding_max_error:>9.3g}"
        )
    return "\n".join(lines)


def ssa_study_markdown(study: SsaStudy) -> str:
    """A GitHub-flavoured Markdown table, one line per volume (for READMEs and reports)."""
    labelled = any(not math.isnan(r.accuracy) for r in study.results)
    header = (
        "| V | argmax agrees | mean err | max err | t_lead median | t_lead p95 | exhausted "
        "| rounding only: agrees | rounding only: max err |" + (" accuracy |" if labelled else "")
    )
    lines = [header, "|" + "---:|" * (header.count("|") - 1)]
    for r in study.results:
        cells = [
            f"{r.volume:g}",
            f"{r.agreement:.1%}",
            f"{r.mean_error:.3g}",
            f"{r.max_error:.3g}",
            f"{r.leader_time_median:.3g}",
            f"{r.leader_time_p95:.3g}",
            f"{r.exhausted:.0%}",
            _percent(r.rounding_agreement),
            f"{r.rounding_max_error:.3g}",
        ]
        if labelled:
            cells.append(_percent(r.accuracy))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ssa_study_rich_table(study: SsaStudy, title: str = "") -> object:
    """The table as a :class:`rich.table.Table` (rich is imported here)."""
    from rich.table import Table

    labelled = any(not math.isnan(r.accuracy) for r in study.results)
    table = Table(title=title or None)
    for name in (
        "V",
        "agrees",
        "mean err",
        "max err",
        "t_lead med",
        "t_lead p95",
        "exhausted",
        "events/run",
        "rounding: agrees",
        "rounding: max err",
    ):
        table.add_column(name, justify="right")
    if labelled:
        table.add_column("accuracy", justify="right")
    for r in study.results:
        cells = [
            f"{r.volume:g}",
            f"{r.agreement:.1%}",
            f"{r.mean_error:.3g}",
            f"{r.max_error:.3g}",
            f"{r.leader_time_median:.3g}",
            f"{r.leader_time_p95:.3g}",
            f"{r.exhausted:.0%}",
            f"{r.events_mean:.3g}",
            _percent(r.rounding_agreement),
            f"{r.rounding_max_error:.3g}",
        ]
        if labelled:
            cells.append(_percent(r.accuracy))
        table.add_row(*cells)
    return table


def ssa_study_caption(study: SsaStudy) -> str:
    """What the columns mean, in one paragraph."""
    first = study.results[0] if study.results else None
    text = (
        f"{first.inputs if first else 0} inputs x {first.runs if first else 0} runs per volume, t_end = "
        f"{study.t_end:g}, seed {study.seed}. agrees: unique argmax at t_end = the network's; err: "
        f"max_k |y_k - y*_k| at t_end against the exact stable outputs y*; t_lead: time the final argmax "
        f"took the lead for good; rounding: the exact final state at this V (unlimited time)"
    )
    if not math.isnan(study.network_accuracy):
        text += f"; network accuracy on the labels {study.network_accuracy:.1%}"
    return text


def _percent(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1%}"


def format_percent(correct: tuple[int, int]) -> str:
    """``"94.0% (141/150)"``; ``"-"`` for no examples."""
    hits, total = correct
    return f"{hits / total:.1%} ({hits}/{total})" if total else "-"


def format_time(value: float) -> str:
    """A settling time: 3 significant digits; ``inf`` as ``not settled``."""
    return f"{value:.3g}" if math.isfinite(value) else "not settled"


# ---------------------------------------------------------------------------
# The reproduction table


REPRODUCTION_HEADER = (
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


def reproduction_row(result: ExperimentResult) -> tuple[str, ...]:
    """The formatted cells of `result`'s row of the reproduction table (see :data:`REPRODUCTION_HEADER`)."""
    eps = result.ode.epsilon_median_p95
    settle = result.ode.argmax_median_p95
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


# ---------------------------------------------------------------------------
# The depth study


DEPTH_HEADER = (
    "family",
    "width",
    "depth",
    "networks × inputs",
    "tied",
    "stabilization mean",
    "median",
    "p95",
    "ε-convergence median",
    "p95",
    "ε settled",
    "accuracy",
)


def depth_rows(result: DepthStudyResult) -> tuple[tuple[str, ...], ...]:
    """One row of :data:`DEPTH_HEADER` per cell of `result`."""
    rows = []
    for c in result.cells:
        rows.append(
            (
                c.family,
                str(c.width),
                str(c.depth),
                f"{c.networks} × {c.rows // c.networks}",
                str(c.tied),
                format_time(c.stabilization_mean),
                format_time(c.stabilization_median),
                format_time(c.stabilization_p95),
                format_time(c.epsilon_median),
                format_time(c.epsilon_p95),
                f"{c.epsilon_settled:.0%}",
                f"{c.accuracy:.1%}" if c.accuracy is not None else "",
            )
        )
    return tuple(rows)


def describe_fit(fit: Fit) -> str:
    """``"× 1.50 per layer"`` for a log fit (a growth factor), ``"+2 per layer"`` for a linear one."""
    if fit.quantity == "log median ε-convergence":
        return f"× {fit.growth_factor:.2f} per layer"
    return f"{fit.slope:+.3g} per layer"


def scaling_sentences(result: DepthStudyResult) -> list[str]:
    """Plain statements of the fitted scaling, one per family and width."""
    lines = []
    keys = sorted({(c.family, c.width) for c in result.cells}, key=lambda k: (k[0] != "random", k[1]))
    for family, width in keys:
        parts = [
            f"{f.quantity} {describe_fit(f)}" for f in result.fits if f.family == family and f.width == width
        ]
        if not parts:
            parts = ["too few depths with settled inputs to fit"]
        lines.append(f"{family} networks, width {width}: " + "; ".join(parts) + ".")
    return lines
