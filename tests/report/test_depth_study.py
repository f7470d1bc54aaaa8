"""Depth and width study: networks, measurements, fits, files and the command."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from nn2crn import InputDataError
from nn2crn.report.depth_study import (
    CellResult,
    fit_depth,
    heart_dataset,
    parse_depths,
    parse_widths,
    random_study_network,
    run_depth_study,
    write_depth_study,
)


def test_parse_depths_and_widths():
    assert parse_depths("1-5") == (1, 2, 3, 4, 5)
    assert parse_depths("4,1,2-3") == (1, 2, 3, 4)
    assert parse_widths("16,2,8") == (2, 8, 16)
    with pytest.raises(InputDataError, match="--depths: 'a' is not a depth"):
        parse_depths("1,a")
    with pytest.raises(InputDataError, match="between 1 and 10"):
        parse_depths("0-3")
    with pytest.raises(InputDataError, match="--widths"):
        parse_widths("2;4")


def test_heart_pattern_has_the_paper_shape():
    heart = heart_dataset()
    assert heart.split_sizes == {"train": 255, "val": 255, "test": 255}
    assert int(heart.test.y.sum()) == 121
    inside = heart.test.x[heart.test.y == 1]
    assert np.abs(inside).max() < 1.3  # the heart lies inside the grid


def test_random_study_networks_are_seeded_and_start_tied():
    network = random_study_network(3, 4, seed=7, index=2)
    assert network.widths == (2, 4, 4, 4, 2)
    assert np.array_equal(network.layers[-1].bias, [0.0, 0.0])
    assert network == random_study_network(3, 4, seed=7, index=2)
    assert network != random_study_network(3, 4, seed=7, index=3)


def cell(depth: int, mean: float, median: float) -> CellResult:
    return CellResult(
        "random", depth, 8, 1, 10, 0, mean, mean, mean, 1.0, median, median, median, 1.0, None, 0.0
    )


def test_fits_recover_a_known_scaling():
    cells = [cell(d, 0.5 + 2.0 * d, 10.0 * 1.5**d) for d in (1, 2, 3, 4)]
    mean_fit, log_fit = fit_depth(cells, "random", 8)
    assert mean_fit.slope == pytest.approx(2.0) and mean_fit.intercept == pytest.approx(0.5)
    assert math.exp(log_fit.slope) == pytest.approx(1.5)
    assert log_fit.describe() == "× 1.50 per layer" and mean_fit.describe() == "+2 per layer"
    # unsettled medians (inf) are left out of the fit
    cells[3] = cell(4, 8.5, math.inf)
    assert fit_depth(cells, "random", 8)[1].depths == (1, 2, 3)


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
