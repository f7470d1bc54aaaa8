"""Accuracy-versus-volume study: consistency with the exact final counts, labels, plot, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn2crn._errors import CRNStructureError, InputDataError, SimulationError
from nn2crn.compile import compile_network
from nn2crn.crn import CRN, Reaction, Signal
from nn2crn.nn.network import random_ternary_network
from nn2crn.report.plots import plot_ssa_study
from nn2crn.report.tables import ssa_study_caption, ssa_study_text
from nn2crn.simulate.exact import stable_outputs
from nn2crn.simulate.ssa import final_counts_nc
from nn2crn.studies.ssa_volume import STUDY_COLUMNS, ssa_volume_study


@pytest.fixture(scope="module")
def network_and_inputs():
    network = random_ternary_network((4, 8, 3), rng=np.random.default_rng(3))
    x = np.random.default_rng(4).normal(size=(12, 4))
    return network, compile_network(network), x


def test_with_unlimited_time_the_ssa_columns_equal_the_rounding_only_columns(network_and_inputs) -> None:
    _, crn, x = network_and_inputs
    study = ssa_volume_study(crn, x, volumes=[1, 10, 200], runs=3, t_end=math.inf, seed=2)
    stable = stable_outputs(crn, x)
    for result, volume in zip(study.results, [1.0, 10.0, 200.0], strict=True):
        assert result.volume == volume and result.inputs == 12 and result.runs == 3
        assert result.exhausted == 1.0
        assert result.agreement == result.rounding_agreement
        expected = np.abs(crn.read_outputs(final_counts_nc(crn, x, volume=volume) / volume) - stable).max()
        assert result.max_error == pytest.approx(expected, rel=1e-12)
        assert result.rounding_max_error == pytest.approx(expected, rel=1e-12)
        assert result.mean_error <= result.max_error
        assert 0 <= result.leader_time_median <= result.leader_time_p95
    # Whole molecules: the rounding error shrinks as the volume grows (here from ~1 to ~0.01).
    errors = [r.rounding_max_error for r in study.results]
    assert errors[0] > 5 * errors[2]
    assert study.results[-1].agreement == 1.0


def test_finite_t_end_and_labels(network_and_inputs) -> None:
    network, crn, x = network_and_inputs
    labels = np.argmax(network.forward(x), axis=1)
    labels[0] = (labels[0] + 1) % 3  # one deliberately wrong label
    study = ssa_volume_study(crn, x, volumes=[50], runs=4, t_end=0.5, seed=0, labels=labels)
    result = study.results[0]
    assert study.network_accuracy == pytest.approx(11 / 12)
    assert 0.0 <= result.accuracy <= 1.0 and 0.0 <= result.agreement <= 1.0
    assert result.exhausted < 1.0  # t_end = 0.5 is too short to finish
    assert result.max_error >= result.rounding_max_error - 1e-12 or result.agreement < 1.0
    assert len(study.rows()) == 1 and len(study.rows()[0]) == len(STUDY_COLUMNS)
    assert "V" in ssa_study_text(study).splitlines()[0]
    assert "network accuracy on the labels 91.7%" in ssa_study_caption(study)


def test_seeds_make_the_study_reproducible(network_and_inputs) -> None:
    _, crn, x = network_and_inputs
    first = ssa_volume_study(crn, x, volumes=[5, 20], runs=2, t_end=2.0, seed=9)
    second = ssa_volume_study(crn, x, volumes=[5, 20], runs=2, t_end=2.0, seed=9)
    strip = [row[:-1] for row in first.rows()]  # all but the wall time
    assert strip == [row[:-1] for row in second.rows()]


def test_plot_is_written(network_and_inputs, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    _, crn, x = network_and_inputs
    study = ssa_volume_study(crn, x[:3], volumes=[2, 20], runs=2, t_end=5.0)
    path = tmp_path / "study.png"
    plot_ssa_study(study, path, title="test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(InputDataError, match="unknown format"):
        plot_ssa_study(study, tmp_path / "study.bmp")


def test_bad_studies(network_and_inputs) -> None:
    _, crn, x = network_and_inputs
    with pytest.raises(SimulationError, match="at least one volume"):
        ssa_volume_study(crn, x, volumes=[], runs=1)
    with pytest.raises(SimulationError, match="volume must be"):
        ssa_volume_study(crn, x, volumes=[0.0], runs=1)
    with pytest.raises(InputDataError, match="class indices"):
        ssa_volume_study(crn, x, volumes=[1.0], runs=1, labels=[0, 1])
    competitive = CRN(
        (Reaction(("A",), ("B",)), Reaction(("A",), ("C",))),
        {"A": 1.0},
        outputs=(Signal("out", ("B",), ("C",)),),
    )
    with pytest.raises(CRNStructureError, match="non-competitive"):
        ssa_volume_study(competitive, None, volumes=[1.0], runs=1)
    with pytest.raises(SimulationError, match="no outputs"):
        ssa_volume_study(CRN((Reaction(("A",), ()),), {"A": 1.0}), None, volumes=[1.0], runs=1)
