"""Depth and width study: a small study measured and written, and the command."""

from __future__ import annotations

import json

import pytest

from nn2crn.report.depth_study import write_depth_study
from nn2crn.studies.depth import run_depth_study


def test_small_study_measures_every_cell_and_writes_its_report(tmp_path):
    pytest.importorskip("matplotlib")
    result = run_depth_study(depths=(1, 3), widths=(4, 8), networks=2, inputs=6, t_end=100.0, trained=False)
    assert [(c.family, c.width, c.depth) for c in result.cells] == [
        ("random", 4, 1),
        ("random", 4, 3),
        ("random", 8, 1),
        ("random", 8, 3),
    ]
    for c in result.cells:
        assert c.rows == 12 and 0 <= c.tied <= 12
        assert (
            c.epsilon_median > 0
        )  # no output is within 0.01 of its stable value at t = 0 by luck in all rows
        assert 0 <= c.stabilization_settled <= 1 and 0 <= c.epsilon_settled <= 1
    assert {(f.width, f.quantity) for f in result.fits} >= {
        (4, "mean stabilization"),
        (8, "mean stabilization"),
    }

    folder = write_depth_study(result, tmp_path / "depth", command="nn2crn depth-study --no-trained")
    for name in ("report.html", "report.md", "depth-study.csv", "depth-study.json", "depth-study.png"):
        assert (folder / name).is_file(), name
    record = json.loads((folder / "depth-study.json").read_text())
    assert record["settings"]["depths"] == [1, 3] and len(record["cells"]) == 4
    markdown = (folder / "report.md").read_text()
    assert "Measured scaling" in markdown and "random networks, width 8: mean stabilization" in markdown
    assert "≈ 9–12 for 4 layers" in markdown  # the paper's numbers, for comparison
    assert "http" not in (folder / "report.html").read_text()


def test_depth_study_command(run_cli, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "d"
    code, stdout, stderr = run_cli(
        "depth-study",
        "-o",
        out,
        "--depths",
        "1-2",
        "--widths",
        "4",
        "--networks",
        "2",
        "--inputs",
        "4",
        "--t-end",
        "50",
        "--no-trained",
    )
    assert code == 0, stderr
    assert stdout.startswith("random networks, width 4: mean stabilization")
    assert (out / "report.html").is_file()
    code, _, stderr = run_cli("depth-study", "-o", out, "--depths", "1")
    assert code == 2 and "already exists" in stderr
    code, _, stderr = run_cli("depth-study", "-o", tmp_path / "e", "--widths", "x")
    assert code == 2 and "--widths" in stderr and not (tmp_path / "e").exists()
