"""Figure for the SSA accuracy-versus-volume study (:mod:`nn2crn.simulate.ssa_study`)."""

from __future__ import annotations

import math
import os
from pathlib import Path

from ..simulate.ssa_study import SsaStudy
from .plots import check_plot_path


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
    from .._writing import open_output

    with open_output(path, binary=True) as handle:
        figure.savefig(handle, format=Path(path).suffix.lower().lstrip("."), dpi=120)


def _finite(values: list[float]) -> list[float]:
    return [v if math.isfinite(v) else math.nan for v in values]
