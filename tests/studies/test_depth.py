"""Depth and width study: the networks, the heart pattern, the fits and the depth/width parsers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn2crn import InputDataError
from nn2crn.cli.depth_study_cmd import parse_depths, parse_widths
from nn2crn.report.tables import describe_fit
from nn2crn.studies.depth import CellResult, fit_depth, heart_dataset, random_study_network


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
    assert describe_fit(log_fit) == "× 1.50 per layer" and describe_fit(mean_fit) == "+2 per layer"
    # unsettled medians (inf) are left out of the fit
    cells[3] = cell(4, 8.5, math.inf)
    assert fit_depth(cells, "random", 8)[1].depths == (1, 2, 3)
