"""One line per parameter point: the results of a sweep summarized over its input rows.

Per study (means are over the point's result rows; quantiles use the
``inverted_cdf`` rule of :func:`nn2crn.simulate.metrics.summarize`, so a quantile
falling on an unsettled row is honestly ``inf``):

- ``ssa``: ``n``, ``agreement`` (answer = the network's), ``accuracy`` (answer = label,
  NaN without labels), ``mean_error``, ``max_error``, ``leader_time_median``,
  ``leader_time_p95``, ``exhausted``, ``events_mean``;
- ``ode`` and ``robustness``: ``n``, ``agreement``, ``accuracy``, ``max_error``,
  ``epsilon_time_median``, ``epsilon_time_p95``, ``epsilon_settled``, ``argmax_time_median``,
  ``argmax_time_p95``;
- ``dna-kinetics``: ``n``, ``agreement_quarter``, ``agreement_half``, ``agreement`` (at a
  quarter, half and all of ``hours``), ``accuracy``, ``max_error``, ``decision_h_median``,
  ``decision_h_max``;
- ``train``: every point's single row without the model file.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .parts import replace_atomically


@dataclass(frozen=True)
class SweepSummary:
    """A summary table: ``header`` names the columns, each row has one value per column."""

    header: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]

    def column(self, name: str) -> np.ndarray:
        index = self.header.index(name)
        return np.array([row[index] for row in self.rows])

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.header)
        writer.writerows([_cell(value) for value in row] for row in self.rows)
        return buffer.getvalue()

    def write_csv(self, path: Path) -> Path:
        text = self.to_csv()
        return replace_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q, method="inverted_cdf")) if values.size else math.nan


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if values.size else math.nan


def _ssa_stats(columns: dict[str, np.ndarray], labelled: bool) -> dict[str, float]:
    return {
        "agreement": _mean(columns["agrees"]),
        "accuracy": _mean(columns["correct"]) if labelled else math.nan,
        "mean_error": _mean(columns["max_error"]),
        "max_error": float(np.max(columns["max_error"])) if columns["max_error"].size else math.nan,
        "leader_time_median": _quantile(columns["leader_time"], 0.5),
        "leader_time_p95": _quantile(columns["leader_time"], 0.95),
        "exhausted": _mean(columns["exhausted"]),
        "events_mean": _mean(columns["events"]),
    }


def _ode_stats(columns: dict[str, np.ndarray], labelled: bool) -> dict[str, float]:
    epsilon = columns["epsilon_time"]
    return {
        "agreement": _mean(columns["agrees"]),
        "accuracy": _mean(columns["correct"]) if labelled else math.nan,
        "max_error": float(np.max(columns["max_error"])) if columns["max_error"].size else math.nan,
        "epsilon_time_median": _quantile(epsilon, 0.5),
        "epsilon_time_p95": _quantile(epsilon, 0.95),
        "epsilon_settled": _mean(np.isfinite(epsilon)),
        "argmax_time_median": _quantile(columns["argmax_time"], 0.5),
        "argmax_time_p95": _quantile(columns["argmax_time"], 0.95),
    }


def _dna_stats(columns: dict[str, np.ndarray], labelled: bool) -> dict[str, float]:
    return {
        "agreement_quarter": _mean(columns["agrees_quarter"]),
        "agreement_half": _mean(columns["agrees_half"]),
        "agreement": _mean(columns["agrees"]),
        "accuracy": _mean(columns["correct"]) if labelled else math.nan,
        "max_error": float(np.max(columns["max_error"])) if columns["max_error"].size else math.nan,
        "decision_h_median": _quantile(columns["decision_h"], 0.5),
        "decision_h_max": float(np.max(columns["decision_h"])) if columns["decision_h"].size else math.nan,
    }


_STATISTICS = {"ssa": _ssa_stats, "ode": _ode_stats, "robustness": _ode_stats, "dna-kinetics": _dna_stats}


def summarize_results(table: Any, study: str, parameters: Sequence[str]) -> SweepSummary:
    """Group the results by the parameter columns (in order of first appearance) and summarize.

    Parameters
    ----------
    table : pyarrow.Table
        ``results.parquet`` of a sweep.
    study : str
    parameters : sequence of str
        The parameter columns (every parameter of the study, in order).

    Returns
    -------
    SweepSummary
        Parameter columns first, then ``n`` and the study's statistics.
    """
    data = {
        name: np.asarray(table.column(name).to_numpy(zero_copy_only=False)) for name in table.column_names
    }
    parameters = [name for name in parameters if name in data]
    if study == "train":
        kept = tuple(name for name in table.column_names if name != "model_json")
        rows = tuple(tuple(_plain(data[name][i]) for name in kept) for i in range(table.num_rows))
        return SweepSummary(kept, rows)
    groups: dict[tuple[object, ...], list[int]] = {}
    for index, key in enumerate(zip(*(data[name].tolist() for name in parameters), strict=True)):
        groups.setdefault(key, []).append(index)
    labelled = "label" in data and bool((data["label"] >= 0).any())
    statistics = _STATISTICS[study]
    header: tuple[str, ...] = ()
    rows_out = []
    for key, indices in groups.items():
        selected = np.asarray(indices)
        stats = statistics({name: values[selected] for name, values in data.items()}, labelled)
        header = (*parameters, "n", *stats)
        rows_out.append((*key, int(selected.size), *stats.values()))
    if not rows_out:
        header = (*parameters, "n")
    return SweepSummary(header, tuple(rows_out))


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value
