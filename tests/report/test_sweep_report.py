"""The sweep report: its Pareto front and its figures per study."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn.report.sweep_report import pareto_front


def test_pareto_front_keeps_the_smallest_circuit_per_accuracy():
    sizes = np.array([50, 20, 20, 80, 30, 100])
    accuracy = np.array([0.90, 0.80, 0.85, 0.95, 0.85, 0.95])
    front = pareto_front(sizes, accuracy)
    assert front.tolist() == [2, 0, 3]  # 20 -> 85%, 50 -> 90%, 80 -> 95%; ties go to the smaller


def test_robustness_report_draws_settling_times_against_spread(tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("pyarrow")
    from nn2crn.report.html import write_report
    from nn2crn.report.sweep_report import build_sweep_report
    from nn2crn.sweep import load_spec, run_sweep

    spec = tmp_path / "rob.toml"
    spec.write_text(
        '[sweep]\nstudy = "robustness"\n[model]\nshipped = "iris-4-3-3-ternary"\n[inputs]\ndataset = "iris"\n'
        'limit = 4\n[grid]\nrate_seed = "0..1"\nhigh = [2, 10]\n[fixed]\nt_end = 30\nn_points = 21\n',
        encoding="utf-8",
    )
    run_sweep(load_spec(spec), tmp_path / "results", in_process=True)
    (tmp_path / "report").mkdir()
    report = build_sweep_report(tmp_path / "results", tmp_path / "report", command="test")
    _, markdown = write_report(report, tmp_path / "report")
    text = markdown.read_text()
    assert "![Epsilon settling times against the spread of the random rate sets](settling.png)" in text
    assert "| rate_seed | low | high | t_end | epsilon |" in text
    assert (tmp_path / "report" / "settling.png").stat().st_size > 1000
