"""Plots: files are written in the format of their suffix and carry the labels they claim."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn import CRN, InputDataError, Reaction, Signal
from nn2crn.report.plots import (
    check_plot_path,
    plot_convergence_times,
    plot_rate_robustness,
    plot_trajectories,
)
from nn2crn.simulate.base import Trajectory

pytest.importorskip("matplotlib")


def decay_trajectory(method: str = "ode", input_rows=(0, 1, 2)) -> tuple[Trajectory, np.ndarray]:
    """Two outputs fed by A -> P and B -> Q, closed form."""
    crn = CRN(
        (Reaction(["A"], ["P"]), Reaction(["B"], ["Q"], 2.0)),
        inputs=(Signal("a", ("A",)), Signal("b", ("B",))),
        outputs=(Signal("left", ("P",)), Signal("right", ("Q",))),
        species=("A", "B", "P", "Q"),
    )
    x = np.array([[1.0, 2.0], [3.0, 0.5], [2.0, 2.0]])
    times = np.linspace(0.0, 5.0, 51)
    rows = np.asarray(input_rows)
    a = x[rows, 0, None] * np.exp(-times)
    b = x[rows, 1, None] * np.exp(-2.0 * times)
    states = np.stack([a, b, x[rows, 0, None] - a, x[rows, 1, None] - b], axis=2)
    return Trajectory(crn, times, states, rows, method), x


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_trajectory_plot_is_written_in_the_suffix_format(tmp_path, suffix):
    trajectory, stable = decay_trajectory()
    path = plot_trajectories(trajectory, tmp_path / f"traj{suffix}", stable=stable)
    data = path.read_bytes()
    assert len(data) > 10_000
    magic = {".png": b"\x89PNG", ".svg": b"<?xml", ".pdf": b"%PDF"}[suffix]
    assert data.startswith(magic)


def test_trajectory_svg_names_outputs_inputs_and_stable_lines(tmp_path):
    trajectory, stable = decay_trajectory("ssa", input_rows=(0, 0, 2))
    svg = plot_trajectories(trajectory, tmp_path / "t.svg", stable=stable, rows=[1, 2]).read_text()
    for text in ("left", "right", "stable value", "input row 0, run 1", "input row 2, run 0"):
        assert text in svg, text
    assert "input row 1" not in svg


def test_convergence_plot_counts_unconverged_rows(tmp_path):
    times = {"epsilon": np.array([0.5, 1.0, 4.0, np.inf]), "argmax": np.array([0.0, 0.1, 0.2, 0.3])}
    svg = plot_convergence_times(times, tmp_path / "c.svg", t_end=5.0).read_text()
    assert "1 not converged" in svg and "epsilon" in svg and "argmax" in svg
    png = plot_convergence_times(times, tmp_path / "c.png")
    assert png.stat().st_size > 10_000
    # settling times spread over decades use a log axis
    wide = {"epsilon": np.geomspace(0.01, 100.0, 20)}
    assert plot_convergence_times(wide, tmp_path / "w.png").stat().st_size > 10_000


def test_robustness_plot(tmp_path):
    deviations = {"as given": 1e-3, "random:0:0.1:10": 4e-3, "random:1:0.1:10": 0.0}
    speedup = {"x1": np.array([1.0, 2.0, 10.0]), "x10": np.array([0.0, 0.3, np.inf])}
    svg = plot_rate_robustness(deviations, tmp_path / "r.svg", speedup=speedup, t_end=20.0).read_text()
    assert "random:1:0.1:10" in svg and "x10" in svg
    assert plot_rate_robustness(deviations, tmp_path / "r.png").stat().st_size > 10_000


def test_bad_paths_and_rows_are_refused(tmp_path):
    trajectory, stable = decay_trajectory()
    with pytest.raises(InputDataError, match=r"unknown format '\.jpg'"):
        plot_trajectories(trajectory, tmp_path / "t.jpg")
    with pytest.raises(InputDataError, match="does not exist"):
        check_plot_path(tmp_path / "missing" / "t.png")
    with pytest.raises(InputDataError, match=r"batch rows 0\.\.2"):
        plot_trajectories(trajectory, tmp_path / "t.png", rows=[5])
    assert not (tmp_path / "t.png").exists()
