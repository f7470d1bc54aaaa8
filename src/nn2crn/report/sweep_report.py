"""The report of a finished sweep (``nn2crn sweep-report RESULTS/``), in the HTML/Markdown report style.

The numbers come from :mod:`nn2crn.sweep.summary`; this module only draws and lays
them out. Figures per study:

- ``ssa``: agreement with the network and accuracy against volume, mean over the
  ``seed`` replicates with error bars of one standard deviation across them;
- ``robustness``: the distribution of epsilon settling times against the rate-set
  spread (high / low), one box per spread, with the fraction that settled;
- ``ode``: the distribution of epsilon settling times per rate specification;
- ``dna-kinetics``: agreement with the network at the end of the DNA-level run
  against the fuel excess (log axis), one line per leak rate and other swept
  parameter (toehold, scheme);
- ``train``: test accuracy against circuit size (reactions of the compiled CRN), with
  the Pareto front of the smallest circuits for each accuracy.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..sweep.summary import SweepSummary, summarize_results
from . import html as doc
from .plots import can_plot
from .provenance import package_version

MAX_TABLE_ROWS = 200


def _format(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return "n/a" if math.isnan(value) else f"{float(value):.4g}"
    return str(value)


def summary_table(summary: SweepSummary, caption: str) -> doc.Table:
    """The summary as a report table (the first :data:`MAX_TABLE_ROWS` points)."""
    rows = tuple(tuple(_format(v) for v in row) for row in summary.rows[:MAX_TABLE_ROWS])
    if len(summary.rows) > MAX_TABLE_ROWS:
        caption += f"; first {MAX_TABLE_ROWS} of {len(summary.rows)} points, all in summary.csv"
    return doc.Table(summary.header, rows, caption)


def _series(
    summary: SweepSummary, x: str, replicate: str, varying: Sequence[str]
) -> dict[tuple, dict[float, list[int]]]:
    """Row indices grouped by the other varying parameters, then by `x` (replicates pooled)."""
    columns = {name: summary.column(name) for name in summary.header}
    others = [name for name in varying if name not in (x, replicate)]
    series: dict[tuple, dict[float, list[int]]] = {}
    for index in range(len(summary.rows)):
        key = tuple(columns[name][index] for name in others)
        series.setdefault(key, {}).setdefault(float(columns[x][index]), []).append(index)
    return series


def plot_volume(summary: SweepSummary, varying: Sequence[str], path: Path) -> Path:
    """Agreement and accuracy against V (log axis), mean ± one standard deviation over seeds."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.5, 4.2), layout="constrained")
    axis = figure.subplots()
    others = [name for name in varying if name not in ("volume", "seed")]
    columns = {name: summary.column(name).astype(float) for name in ("agreement", "accuracy")}
    for key, by_volume in _series(summary, "volume", "seed", varying).items():
        volumes = sorted(by_volume)
        suffix = ", ".join(f"{name}={value}" for name, value in zip(others, key, strict=True))
        for name, marker in (("agreement", "o-"), ("accuracy", "s--")):
            values = [columns[name][by_volume[v]] for v in volumes]
            if all(np.isnan(group).all() for group in values):
                continue
            means = [100 * float(np.mean(group)) for group in values]
            spreads = [100 * float(np.std(group)) if len(group) > 1 else 0.0 for group in values]
            label = "answer = network's" if name == "agreement" else "answer = label (accuracy)"
            axis.errorbar(
                volumes,
                means,
                yerr=spreads,
                fmt=marker,
                capsize=3,
                label=label + (f" ({suffix})" if suffix else ""),
            )
    axis.set_xscale("log")
    axis.set_xlabel("volume V (molecules per unit amount)")
    axis.set_ylabel("input rows (%)")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.savefig(path, dpi=120)
    return path


def plot_dna_agreement(summary: SweepSummary, varying: Sequence[str], path: Path) -> Path:
    """DNA-level agreement at the end against the fuel excess (log axis), one line per leak and other parameters."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.5, 4.2), layout="constrained")
    axis = figure.subplots()
    others = [name for name in varying if name != "fuel_excess"]
    agreement = summary.column("agreement").astype(float)
    for key, by_fuel in _series(summary, "fuel_excess", "", varying).items():
        fuels = sorted(by_fuel)
        label = ", ".join(f"{name}={value}" for name, value in zip(others, key, strict=True))
        means = [100 * float(np.mean(agreement[by_fuel[fuel]])) for fuel in fuels]
        axis.plot(fuels, means, "o-", label=label or "agreement")
    axis.set_xscale("log")
    axis.set_xlabel("fuel excess (× largest input signal)")
    axis.set_ylabel("input rows whose DNA-level answer is the network's (%)")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.savefig(path, dpi=120)
    return path


def plot_settling(results: Any, group: str, label: str, path: Path) -> Path:
    """Box plot of finite epsilon settling times per value of `group`, with the settled fraction."""
    from matplotlib.figure import Figure

    values = np.asarray(results.column(group).to_numpy(zero_copy_only=False))
    times = np.asarray(results.column("epsilon_time").to_numpy(), dtype=float)
    keys = sorted(set(values.tolist()))
    figure = Figure(figsize=(7.5, 4.2), layout="constrained")
    axis = figure.subplots()
    data = [times[(values == key) & np.isfinite(times)] for key in keys]
    positions = np.arange(1, len(keys) + 1)
    axis.boxplot([d if d.size else [np.nan] for d in data], positions=positions, showfliers=True)
    for position, key, d in zip(positions, keys, data, strict=True):
        total = int((values == key).sum())
        axis.annotate(
            f"{d.size}/{total} settled",
            (position, 1.0),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="bottom",
            fontsize=7,
        )
    axis.set_xticks(positions, [_format(key) for key in keys], rotation=30 if len(keys) > 6 else 0)
    if any((d > 0).any() for d in data):  # a log axis needs a positive time; settled at 0 draws linear
        axis.set_yscale("log")
    axis.set_xlabel(label)
    axis.set_ylabel("epsilon settling time")
    axis.grid(alpha=0.3, axis="y")
    figure.savefig(path, dpi=120)
    return path


def pareto_front(sizes: np.ndarray, accuracies: np.ndarray) -> np.ndarray:
    """Indices of the points no other point beats (smaller or equal size and higher accuracy), by size."""
    order = np.lexsort((-accuracies, sizes))
    front, best = [], -math.inf
    for index in order:
        if accuracies[index] > best:
            front.append(int(index))
            best = float(accuracies[index])
    return np.asarray(front, dtype=np.int64)


def plot_pareto(summary: SweepSummary, path: Path) -> Path:
    """Test accuracy against reactions of the compiled CRN; the Pareto front as a step line."""
    from matplotlib.figure import Figure

    sizes = summary.column("n_reactions").astype(float)
    accuracy = summary.column("accuracy_test").astype(float)
    front = pareto_front(sizes, accuracy)
    figure = Figure(figsize=(7.5, 4.2), layout="constrained")
    axis = figure.subplots()
    axis.scatter(sizes, 100 * accuracy, s=18, alpha=0.6, label="trained networks")
    axis.step(sizes[front], 100 * accuracy[front], "r-", where="post", label="Pareto front")
    axis.scatter(sizes[front], 100 * accuracy[front], s=30, color="r")
    axis.set_xscale("log")
    axis.set_xlabel("reactions of the compiled CRN")
    axis.set_ylabel("test accuracy (%)")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.savefig(path, dpi=120)
    return path


def build_sweep_report(results_folder: str | os.PathLike[str], staging: Path, *, command: str) -> doc.Report:
    """Draw the figures into `staging` and return the report of the sweep in `results_folder`.

    Raises
    ------
    InputDataError
        `results_folder` is not a finished sweep's folder.
    """
    from ..sweep import read_record, read_results

    started = time.perf_counter()
    folder = Path(results_folder)
    record = read_record(folder)
    results = read_results(folder)
    study = record["study"]
    summary = summarize_results(results, study, record["parameters"])
    varying = list(record["grid"])
    blocks: list[doc.Block] = []
    if not can_plot():
        blocks.append(doc.Note("matplotlib is not installed (the plot extra), so the report has no figures."))
    elif summary.rows:
        figure = _figure(study, summary, results, varying, staging)
        if figure is not None:
            blocks.append(figure)
    blocks.append(
        summary_table(summary, f"one line per parameter point; {results.num_rows} result rows in all")
    )
    if study == "train" and summary.rows:
        front = pareto_front(
            summary.column("n_reactions").astype(float), summary.column("accuracy_test").astype(float)
        )
        blocks.append(
            doc.Table(
                summary.header,
                tuple(tuple(_format(v) for v in summary.rows[i]) for i in front),
                "Pareto front: no smaller circuit is as accurate on the test split",
            )
        )
    sections = (
        doc.Section("Results", tuple(blocks)),
        doc.Section(
            "Spec",
            (
                doc.Paragraph(
                    f"Study `{study}`, spec seed {record['seed']}, swept: {', '.join(varying) or 'nothing'}."
                ),
                doc.Code(record.get("spec_text", "")),
            ),
        ),
        doc.Section(
            "How this report was made",
            (
                doc.Code(command),
                doc.Paragraph(f"Took {time.perf_counter() - started:.1f} s, nn2crn {package_version()}."),
            ),
        ),
    )
    return doc.Report(f"Sweep {record['name']}: {study} study", sections, subtitle=str(folder))


def _figure(
    study: str, summary: SweepSummary, results: Any, varying: list[str], staging: Path
) -> doc.Figure | None:
    if study == "ssa" and "volume" in varying:
        plot_volume(summary, varying, staging / "volume.png")
        replicates = (
            "mean ± one standard deviation over the seed replicates" if "seed" in varying else "one replicate"
        )
        return doc.Figure(
            "volume.png", f"Agreement with the network and accuracy against volume; {replicates}"
        )
    if study == "robustness":
        spread = np.asarray(results.column("spread").to_numpy(), dtype=float)
        if np.unique(spread).size > 1 or "rate_seed" in varying:
            plot_settling(results, "spread", "rate-set spread (high / low)", staging / "settling.png")
            return doc.Figure(
                "settling.png", "Epsilon settling times against the spread of the random rate sets"
            )
    if study == "ode":
        plot_settling(results, "rates", "rate specification", staging / "settling.png")
        return doc.Figure("settling.png", "Epsilon settling times per rate specification")
    if study == "dna-kinetics":
        plot_dna_agreement(summary, varying, staging / "dna-agreement.png")
        return doc.Figure(
            "dna-agreement.png",
            "DNA-level agreement with the network at the end against fuel excess and leak",
        )
    if study == "train":
        plot_pareto(summary, staging / "pareto.png")
        return doc.Figure("pareto.png", "Test accuracy against circuit size; red: the Pareto front")
    return None
