"""Result files of the reports: tables (Markdown, CSV, JSON), per-example CSVs, CRN, SBML and model files.

The writers here fill a report's staging folder (see :mod:`nn2crn.report._folder`,
which moves it into place only when everything is written), so no reader ever
sees a half-written report.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .._writing import open_output, write_output
from ..crn import CRN
from ..nn.runs import EXPERIMENTS
from ..simulate.base import Trajectory
from ..studies.demo import SSAResult
from ..studies.depth import CellResult, DepthStudyResult
from ..studies.experiment import ExperimentResult
from ..studies.kinetics import EPSILON, KineticsResult
from . import html as doc
from .provenance import package_version
from .tables import REPRODUCTION_HEADER, reproduction_row


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def result_record(result: ExperimentResult) -> dict[str, Any]:
    """Raw numbers of `result` for the JSON file (``None`` for times not reached by ``t_end``)."""

    def kinetics(k: KineticsResult) -> dict[str, Any]:
        eps, settle = k.epsilon_median_p95, k.argmax_median_p95
        return {
            "crn": k.label,
            "t_end": k.t_end,
            "examples": int(k.final_outputs.shape[0]),
            "accuracy": list(result.ode_correct(k)),
            "argmax_agreement_with_nn": list(result.ode_agreement(k)),
            "max_abs_crn_minus_nn": result.ode_max_abs(k),
            "max_abs_crn_minus_nn_first_100": result.ode_max_abs_first(100, k),
            "max_abs_gap_at_half_t_end": k.half_time_gap,
            "max_abs_gap_at_t_end": k.max_gap,
            "epsilon": EPSILON,
            "epsilon_convergence": {
                "median": _finite_or_none(eps[0]),
                "p95": _finite_or_none(eps[1]),
                "converged": k.epsilon_settled,
            },
            "stabilization": {
                "median": _finite_or_none(settle[0]),
                "p95": _finite_or_none(settle[1]),
                "converged": k.argmax_settled,
            },
            "solver_steps": k.steps,
            "seconds": round(k.seconds, 3),
        }

    return {
        "dataset": result.key,
        "dataset_source": result.dataset.source,
        "dataset_options": dict(result.dataset.options),
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
    rows = [reproduction_row(result) for result in results]
    write_output(folder / f"{stem}.md", doc.markdown_table(REPRODUCTION_HEADER, rows) + "\n")
    with open_output(folder / f"{stem}.csv") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(REPRODUCTION_HEADER)
        writer.writerows(rows)
    records = {
        "generated_by": f"nn2crn {package_version()}",
        "rows": [result_record(result) for result in results],
    }
    write_output(folder / f"{stem}.json", json.dumps(records, indent=1) + "\n")
    return [f"{stem}.md", f"{stem}.csv", f"{stem}.json"]


def write_example_table(result: ExperimentResult, path: Path) -> None:
    """Per test example: label, predictions, exact and ODE differences, settling times (CSV)."""
    names = result.network.output_names
    labels = result.dataset.test.y
    nn_pred = result.nn_test_predictions
    exact_pred = result.exact_test_predictions
    exact_gap = result.exact_test_gaps
    ode_pred, ode_gap = result.ode_predictions(), result.ode_gaps()
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
                row += [
                    names[ode_pred[index]],
                    f"{ode_gap[index]:.4g}",
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


def write_trajectories_csv(trajectory: Trajectory, path: Path) -> None:
    """Output trajectories of the plotted examples: ``example, time, outputs...``."""
    outputs = trajectory.outputs
    with open_output(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["example", "time", *trajectory.crn.output_names])
        for batch_row, example in enumerate(trajectory.input_rows.tolist()):
            for k, t in enumerate(trajectory.times.tolist()):
                writer.writerow([example, repr(t), *(f"{v:.9g}" for v in outputs[batch_row, k])])


def write_depth_files(result: DepthStudyResult, folder: Path) -> None:
    """``depth-study.csv`` (one row per cell) and ``depth-study.json`` (settings, cells, fits)."""
    with open_output(folder / "depth-study.csv") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        fields = list(CellResult.__dataclass_fields__)
        writer.writerow(fields)
        for cell in result.cells:
            writer.writerow([getattr(cell, name) for name in fields])
    record = {
        "generated_by": f"nn2crn {package_version()}",
        "settings": dict(result.settings),
        "cells": [
            {
                key: (value if not (isinstance(value, float) and not math.isfinite(value)) else None)
                for key, value in asdict(cell).items()
            }
            for cell in result.cells
        ],
        "fits": [asdict(fit) for fit in result.fits],
    }
    write_output(folder / "depth-study.json", json.dumps(record, indent=1) + "\n")


def write_demo_summary(result: ExperimentResult, ssa: SSAResult | None, command: str, path: Path) -> None:
    """The demo's ``summary.json``: the experiment's record (:func:`result_record`) and the SSA runs."""
    record = {"generated_by": f"nn2crn {package_version()}", "command": command, **result_record(result)}
    if ssa is not None:
        record["ssa"] = {
            "examples": list(ssa.examples),
            "volume": ssa.volume,
            "runs": ssa.runs,
            "max_abs_gap_at_t_end": ssa.max_gap,
            "argmax_agreement_with_nn": list(ssa.agreement),
            "events": ssa.events,
            "seconds": round(ssa.seconds, 3),
        }
    write_output(path, json.dumps(record, indent=1) + "\n")
