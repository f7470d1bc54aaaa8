"""Figures of simulated kinetics (matplotlib, imported lazily).

Figures are built with :class:`matplotlib.figure.Figure` directly, never through
pyplot, so no global backend is switched and no window opens; the file format
follows the path's suffix (``.png``, ``.svg`` or ``.pdf``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import InputDataError
from ..studies.depth import PAPER_HEART_MIDPOINTS, TRAINED_WIDTH, DepthStudyResult
from ..studies.dna import AgreementRun
from ..studies.kinetics import EPSILON
from ..studies.ssa_volume import SsaStudy

PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def check_plot_path(path: str | os.PathLike[str]) -> Path:
    """Validate a figure path: a known suffix and an existing parent folder.

    Raises
    ------
    InputDataError
        Unknown suffix or missing folder.
    """
    path = Path(path)
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise InputDataError(
            f"plot file {str(path)!r}: unknown format {path.suffix or '(no suffix)'!r}; "
            f"end the name in {', '.join(PLOT_SUFFIXES)}"
        )
    if not path.parent.is_dir():
        raise InputDataError(f"plot file {str(path)!r}: folder {str(path.parent)!r} does not exist")
    return path


def _figure(
    n_panels: int, *, width: float = 6.0, height: float = 3.2, columns: int = 2
) -> tuple[Any, list[Any]]:
    from matplotlib.figure import Figure

    columns = max(1, min(columns, n_panels))
    rows = -(-n_panels // columns)
    figure = Figure(figsize=(width * columns, height * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel().tolist()
    for extra in axes[n_panels:]:
        extra.set_visible(False)
    return figure, axes[:n_panels]


def _save(figure: Any, path: Path) -> Path:
    from .._writing import open_output

    with open_output(path, binary=True) as handle:
        figure.savefig(handle, format=Path(path).suffix.lower().lstrip("."), dpi=120)
    return path


def plot_trajectories(
    trajectory: Any,
    path: str | os.PathLike[str],
    *,
    stable: object | None = None,
    rows: Sequence[int] | None = None,
    max_rows: int = 4,
    log_time: bool = False,
    title: str | None = None,
    output_labels: Sequence[str] | None = None,
) -> Path:
    """Plot the outputs ``Y+ − Y−`` over time for chosen batch rows, stable values dashed.

    Parameters
    ----------
    trajectory : Trajectory
        Outputs of shape (n_batch, n_times, n_outputs).
    path : path-like
        Figure file; ``.png``, ``.svg`` or ``.pdf``.
    stable : array-like of shape (n_rows, n_outputs), optional
        Exact stable outputs per input row; drawn as dashed lines in each output's colour.
    rows : sequence of int, optional
        Batch rows to draw, one panel each. Default: the first `max_rows`.
    max_rows : int
        Panels drawn when `rows` is not given.
    log_time : bool
        Logarithmic time axis (the first sample, t = 0, is then not drawn).
    title : str, optional
    output_labels : sequence of str, optional
        Meaning of each output (e.g. the network's class labels), shown in the legend.

    Returns
    -------
    Path
        The written file.
    """
    path = check_plot_path(path)
    outputs = trajectory.outputs
    n_batch = outputs.shape[0]
    rows = list(range(min(max_rows, n_batch))) if rows is None else [int(r) for r in rows]
    bad = [r for r in rows if not 0 <= r < n_batch]
    if not rows or bad:
        raise InputDataError(f"plot rows {bad or rows}: the trajectory has batch rows 0..{n_batch - 1}")
    if stable is not None:
        stable = np.asarray(stable, dtype=np.float64)
        stable = stable[None, :] if stable.ndim == 1 else stable
    names = trajectory.crn.output_names
    if output_labels is not None and len(output_labels) == len(names):
        names = tuple(f"{name} ({label})" for name, label in zip(names, output_labels, strict=True))
    times = trajectory.times
    shown = slice(1, None) if log_time and times[0] <= 0 else slice(None)
    figure, axes = _figure(len(rows))
    palette = _colors(len(names))
    runs = _run_numbers(trajectory.input_rows)
    for axis, row in zip(axes, rows, strict=True):
        input_row = int(trajectory.input_rows[row])
        for k, name in enumerate(names):
            axis.plot(times[shown], outputs[row, shown, k], color=palette[k], lw=1.6, label=name)
            if stable is not None:
                axis.axhline(stable[input_row, k], color=palette[k], ls="--", lw=1.0, alpha=0.9)
        label = f"input row {input_row}"
        if trajectory.method == "ssa":
            label += f", run {runs[row]}"
        axis.set_title(label, fontsize=10)
        axis.set_xlabel("time")
        axis.set_ylabel("output  Y+ − Y−")
        if log_time:
            _log_axis(axis)
        axis.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    if stable is not None:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color="grey", ls="--", lw=1.0))
        labels.append("stable value")
    figure.legend(handles, labels, loc="outside right upper", fontsize=9)
    figure.suptitle(title or f"{trajectory.method.upper()} output trajectories")
    return _save(figure, path)


def _log_axis(axis: Any) -> None:
    """Logarithmic x axis with labels on decades only (minor labels overlap on short ranges)."""
    from matplotlib.ticker import NullFormatter

    axis.set_xscale("log")
    axis.xaxis.set_minor_formatter(NullFormatter())


def _colors(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _run_numbers(input_rows: np.ndarray) -> np.ndarray:
    """0-based run index of each batch row within its input row."""
    runs = np.zeros(input_rows.shape[0], dtype=np.int64)
    seen: dict[int, int] = {}
    for index, row in enumerate(input_rows.tolist()):
        runs[index] = seen.get(row, 0)
        seen[row] = runs[index] + 1
    return runs


def plot_convergence_times(
    times: Mapping[str, object],
    path: str | os.PathLike[str],
    *,
    t_end: float | None = None,
    title: str | None = None,
) -> Path:
    """Histogram and empirical CDF of settling times, one series per entry of `times`.

    Parameters
    ----------
    times : mapping of label -> array-like of shape (n_batch,)
        Settling times, e.g. ``ConvergenceTimes.as_dict()``; ``inf`` marks rows that did
        not converge. They are counted in the legend and keep the ECDF below 1.
    path : path-like
        Figure file; ``.png``, ``.svg`` or ``.pdf``.
    t_end : float, optional
        Simulation end, drawn as a dotted line.
    title : str, optional

    Returns
    -------
    Path
        The written file.
    """
    path = check_plot_path(path)
    if not times:
        raise InputDataError("plot_convergence_times needs at least one series of times")
    series = {label: np.asarray(values, dtype=np.float64).ravel() for label, values in times.items()}
    finite_all = np.concatenate([values[np.isfinite(values)] for values in series.values()])
    positive = finite_all[finite_all > 0]
    log_scale = positive.size > 0 and positive.max() / positive.min() > 100
    if log_scale:
        low = (
            positive.min() / 2
        )  # rows settled at t = 0 are drawn in the first bin, below every positive time
        high = max(positive.max(), low * 1.01)
        bins = np.geomspace(low, high, 30)
    else:
        high = finite_all.max() if finite_all.size else 1.0
        bins = np.linspace(0.0, max(high, 1e-12) * 1.02, 30)
    figure, (hist_axis, cdf_axis) = _figure(2, width=5.5, height=3.6)
    palette = _colors(len(series))
    for (label, values), color in zip(series.items(), palette, strict=True):
        finite = np.sort(values[np.isfinite(values)])
        missing = values.size - finite.size
        legend = f"{label} (median {np.quantile(values, 0.5, method='inverted_cdf'):.3g}"
        at_zero = int((finite <= 0).sum())
        if log_scale and at_zero:
            legend += f", {at_zero} at t = 0 (left edge)"
        legend += f", {missing} not converged)" if missing else ")"
        if finite.size:
            shown = np.clip(finite, bins[0], bins[-1])
            hist_axis.hist(shown, bins=bins, color=color, alpha=0.3, histtype="stepfilled", label=legend)
            hist_axis.hist(shown, bins=bins, color=color, histtype="step", lw=1.4)
            fractions = np.arange(1, finite.size + 1) / values.size
            cdf_axis.step(
                np.concatenate([[0.0 if not log_scale else bins[0]], finite]),
                np.concatenate([[0.0], fractions]),
                where="post",
                color=color,
                lw=1.6,
                label=legend,
            )
        else:
            cdf_axis.plot([], [], color=color, label=legend)
    for axis in (hist_axis, cdf_axis):
        if log_scale:
            _log_axis(axis)
        if t_end is not None:
            axis.axvline(t_end, color="black", ls=":", lw=1.0)
        axis.set_xlabel("settling time")
        axis.grid(alpha=0.3)
    hist_axis.set_ylabel("inputs")
    hist_axis.set_title("histogram", fontsize=10)
    cdf_axis.set_ylabel("fraction of inputs settled")
    cdf_axis.set_ylim(0.0, 1.02)
    cdf_axis.set_title("empirical CDF (never settled: stays below 1)", fontsize=10)
    cdf_axis.legend(fontsize=8, loc="lower right")
    figure.suptitle(title or "Convergence-time distributions")
    return _save(figure, path)


def plot_rate_robustness(
    deviations: Mapping[str, float],
    path: str | os.PathLike[str],
    *,
    speedup: Mapping[str, object] | None = None,
    t_end: float | None = None,
    title: str | None = None,
) -> Path:
    """Rate robustness: largest long-time deviation per rate set, and optionally the ReLU speed-up.

    Parameters
    ----------
    deviations : mapping of rate-set label -> float
        Largest |output(t_end) − stable output| per rate set, drawn as points on a log axis.
    path : path-like
        Figure file; ``.png``, ``.svg`` or ``.pdf``.
    speedup : mapping of label -> array-like of shape (n_batch,), optional
        Epsilon settling times per ReLU-rate factor, drawn as empirical CDFs in a second panel.
    t_end : float, optional
        End of the speed-up simulations, a dotted line.
    title : str, optional

    Returns
    -------
    Path
        The written file.
    """
    path = check_plot_path(path)
    labels = list(deviations)
    if not labels:
        raise InputDataError("plot_rate_robustness needs at least one rate set")
    values = np.array([deviations[label] for label in labels], dtype=np.float64)
    n_panels = 1 if speedup is None else 2
    figure, axes = _figure(n_panels, width=max(5.0, 0.35 * len(labels) + 2.5), height=3.8)
    axis = axes[0]
    floor = 1e-16
    shown = np.maximum(values, floor)
    axis.plot(range(len(labels)), shown, "o", color=_colors(1)[0])
    axis.vlines(range(len(labels)), floor, shown, color=_colors(1)[0], alpha=0.4)
    axis.set_yscale("log")
    axis.set_ylim(max(floor, shown.min() / 10), shown.max() * 10)
    axis.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
    axis.set_ylabel("max |output(t_end) − stable|")
    axis.set_title("deviation per rate set", fontsize=10)
    axis.grid(alpha=0.3, axis="y")
    if speedup is not None:
        cdf_axis = axes[1]
        series = {label: np.asarray(times, dtype=np.float64).ravel() for label, times in speedup.items()}
        positive = np.concatenate([t[np.isfinite(t) & (t > 0)] for t in series.values()])
        log_x = positive.size > 0 and positive.max() / positive.min() > 100
        left = positive.min() if log_x else 0.0  # on a log axis, rows settled at t = 0 sit at the left edge
        for (label, times), color in zip(series.items(), _colors(len(series)), strict=True):
            finite = np.sort(np.maximum(times[np.isfinite(times)], left))
            legend = f"{label} (median {np.quantile(times, 0.5, method='inverted_cdf'):.3g})"
            if finite.size:
                cdf_axis.step(
                    np.concatenate([[finite[0]], finite]),
                    np.concatenate([[0.0], np.arange(1, finite.size + 1) / times.size]),
                    where="post",
                    color=color,
                    lw=1.6,
                    label=legend,
                )
            else:
                cdf_axis.plot([], [], color=color, label=legend)
        if t_end is not None:
            cdf_axis.axvline(t_end, color="black", ls=":", lw=1.0)
        if log_x:
            _log_axis(cdf_axis)
        cdf_axis.set_ylim(0.0, 1.02)
        cdf_axis.set_xlabel("epsilon settling time")
        cdf_axis.set_ylabel("fraction of inputs settled")
        cdf_axis.set_title("ReLU-rate factor: faster annihilation, earlier settling", fontsize=10)
        cdf_axis.legend(fontsize=8, loc="lower right")
        cdf_axis.grid(alpha=0.3)
    figure.suptitle(title or "Rate robustness")
    return _save(figure, path)


def can_plot() -> bool:
    """Whether matplotlib is installed (the reports skip their figures, with a note, without it)."""
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def plot_depth_study(result: DepthStudyResult, path: str | os.PathLike[str]) -> Path:
    """Mean stabilization and median ε-convergence time versus depth, one line per width (log y axis)."""
    from matplotlib.figure import Figure

    path = check_plot_path(path)
    figure = Figure(figsize=(11.0, 4.2), layout="constrained")
    left, right = figure.subplots(1, 2)
    widths = sorted({c.width for c in result.cells if c.family == "random"})
    palette = _colors(max(len(widths), 1))
    series = [("random", width, color, "-", "o") for width, color in zip(widths, palette, strict=True)]
    if any(c.family == "trained" for c in result.cells):
        series.append(("trained", TRAINED_WIDTH, "black", "--", "s"))
    for family, width, color, style, marker in series:
        chosen = sorted(
            (c for c in result.cells if c.family == family and c.width == width), key=lambda c: c.depth
        )
        depths = [c.depth for c in chosen]
        label = f"random, width {width}" if family == "random" else f"trained heart, width {width}"
        left.plot(
            depths, [c.stabilization_mean for c in chosen], style, marker=marker, color=color, label=label
        )
        medians = [c.epsilon_median if math.isfinite(c.epsilon_median) else np.nan for c in chosen]
        right.plot(depths, medians, style, marker=marker, color=color, label=label)
    paper = sorted(PAPER_HEART_MIDPOINTS)
    paper_values = [PAPER_HEART_MIDPOINTS[depth] for depth in paper]
    left.plot(paper, paper_values, ":", marker="x", color="grey", label="paper, heart width 8 (mid-range)")
    for axis, what in ((left, "mean stabilization time"), (right, f"median ε = {EPSILON} convergence time")):
        axis.set_yscale("log")
        axis.set_xlabel("hidden layers")
        axis.set_ylabel(what)
        axis.set_xticks(sorted({c.depth for c in result.cells}))
        axis.grid(alpha=0.3)
    left.set_title("argmax settled (eventual winner stays on top)", fontsize=10)
    right.set_title("every output within ε of its stable value", fontsize=10)
    left.legend(fontsize=8)
    figure.suptitle(
        f"Settling time versus depth (mass action, all rates 1, t_end = {result.settings['t_end']:g})"
    )
    return _save(figure, path)


def plot_ssa_study(study: SsaStudy, path: str | os.PathLike[str], *, title: str = "") -> None:
    """Three panels against V (log axis): argmax agreement, output error, leader time.

    The file format follows the suffix (.png, .svg or .pdf). matplotlib is imported here.
    """
    path = check_plot_path(path)
    from matplotlib.figure import Figure

    volumes = [r.volume for r in study.results]
    figure = Figure(figsize=(13.5, 3.6), layout="constrained")
    agree_axis, error_axis, time_axis = figure.subplots(1, 3)
    agree_axis.plot(
        volumes,
        [100 * r.agreement for r in study.results],
        "o-",
        label=f"argmax = network's, SSA at t = {study.t_end:g}",
    )
    agree_axis.plot(
        volumes,
        [100 * r.rounding_agreement for r in study.results],
        "s--",
        label="argmax = network's, rounding only",
    )
    if any(not math.isnan(r.accuracy) for r in study.results):
        agree_axis.plot(
            volumes, [100 * r.accuracy for r in study.results], "^:", label="accuracy on the labels, SSA"
        )
    agree_axis.set_ylabel("runs (%)")
    lowest = min(
        min(
            100 * r.agreement,
            100 * r.rounding_agreement,
            100 * r.accuracy if not math.isnan(r.accuracy) else 100,
        )
        for r in study.results
    )
    agree_axis.set_ylim(max(0.0, lowest - 5.0), 101)
    error_axis.plot(volumes, [r.mean_error for r in study.results], "o-", label="mean over runs")
    error_axis.plot(volumes, [r.max_error for r in study.results], "v-", label="max over runs")
    error_axis.plot(
        volumes, [r.rounding_max_error for r in study.results], "s--", label="rounding only (max)"
    )
    error_axis.set_ylabel("max_k |y_k - y*_k| at t_end")
    error_axis.set_yscale("log")
    medians = [r.leader_time_median for r in study.results]
    p95 = [r.leader_time_p95 for r in study.results]
    time_axis.plot(volumes, _finite(medians), "o-", label="median")
    time_axis.plot(volumes, _finite(p95), "v--", label="95th percentile")
    time_axis.set_ylabel("time the final argmax took the lead")
    for axis in (agree_axis, error_axis, time_axis):
        axis.set_xscale("log")
        axis.set_xlabel("volume V (molecules per unit amount)")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize="small", loc="best")
    if title:
        figure.suptitle(title)
    _save(figure, path)


def _finite(values: list[float]) -> list[float]:
    return [v if math.isfinite(v) else math.nan for v in values]


def plot_dna_outputs(
    run: AgreementRun,
    path: str | os.PathLike[str],
    *,
    output_names: Sequence[str] = (),
    max_rows: int = 4,
    title: str = "",
) -> Path:
    """DNA-level outputs over hours for the first rows of `run`; the network's values dashed."""
    path = check_plot_path(path)
    outputs = np.asarray(run.outputs)
    if outputs.ndim != 3 or outputs.shape[0] == 0:
        raise InputDataError("plot_dna_outputs needs a run that kept its output trajectories")
    n_outputs = outputs.shape[2]
    names = (
        list(output_names) if len(output_names) == n_outputs else [f"output {k}" for k in range(n_outputs)]
    )
    rows = range(min(max_rows, outputs.shape[0]))
    figure, axes = _figure(len(rows))
    palette = _colors(n_outputs)
    times = np.asarray(run.times_h)
    for axis, row in zip(axes, rows, strict=True):
        for k, name in enumerate(names):
            axis.plot(times, outputs[row, :, k], color=palette[k], lw=1.6, label=name)
            axis.axhline(run.network_outputs[row, k], color=palette[k], ls="--", lw=1.0, alpha=0.9)
        axis.set_title(f"input row {row}", fontsize=10)
        axis.set_xlabel("time (hours)")
        axis.set_ylabel("output  Y+ − Y−  (CRN units)")
        axis.grid(alpha=0.3)
    from matplotlib.lines import Line2D

    handles, labels = axes[0].get_legend_handles_labels()
    handles.append(Line2D([], [], color="grey", ls="--", lw=1.0))
    labels.append("network value")
    figure.legend(handles, labels, loc="outside right upper", fontsize=9)
    figure.suptitle(title or f"DNA-level outputs, fuels {run.fuel_excess:g}×, leak {run.leak:g} /M/s")
    return _save(figure, path)
