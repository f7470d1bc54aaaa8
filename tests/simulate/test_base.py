"""Shared simulation pieces: kernel outcomes, the sample grid, typed statistics, Trajectory.info."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from nn2crn import SimulationError
from nn2crn.crn import CRN, Reaction, Signal
from nn2crn.simulate.base import OdeStats, Status, sample_grid
from nn2crn.simulate.ode import simulate_ode
from nn2crn.simulate.ssa import simulate_ssa


def test_status_members_carry_their_message_and_whether_they_failed():
    assert Status.MAX_STEPS.message.startswith("increase max_steps")
    assert "max_events" in Status.MAX_EVENTS.message
    assert [status for status in Status if status.failed] == [
        Status.STEP_COLLAPSE,
        Status.MAX_STEPS,
        Status.MAX_EVENTS,
        Status.OVERFLOW,
    ]
    assert Status(3) is Status.MAX_STEPS and int(Status.T_END) == 0


def test_sample_grid_defaults_and_explicit_times():
    np.testing.assert_array_equal(sample_grid(2.0, None, 3), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(sample_grid(math.inf), [0.0, math.inf])
    assert sample_grid(1.0, [0.5, 1.0 - 1e-14])[-1] == 1.0  # round-off from t_end is snapped to it
    np.testing.assert_array_equal(sample_grid(3.0, [0.0, 1.0], append_end=True), [0.0, 1.0, 3.0])
    np.testing.assert_array_equal(sample_grid(math.inf, [0.0, 1.0], append_end=True), [0.0, 1.0, math.inf])


@pytest.mark.parametrize(
    ("t_end", "times", "n_points", "append_end", "message"),
    [
        (1.0, None, 1, False, "n_points must be an integer >= 2"),
        (1.0, None, 2.5, False, "n_points must be an integer >= 2"),
        (1.0, "soon", 2, False, "times must be a 1D array of numbers"),
        (1.0, [[0.0, 1.0]], 2, False, r"times must be a non-empty 1D array, got shape \(1, 2\)"),
        (1.0, [0.0, math.nan, 1.0], 2, True, "times must be finite"),
        (1.0, [-1.0, 1.0], 2, True, r"times must start at >= 0, got times\[0\] = -1.0"),
        (1.0, [0.0, 0.5, 0.5, 1.0], 2, True, r"strictly increasing, but times\[1\] = 0.5 >= times\[2\]"),
        (1.0, [0.0, 2.0], 2, True, r"times: 2.0 is outside \[0, t_end = 1\]"),
        (1.0, [0.0, 0.9], 2, False, r"times must end at t_end = 1.0, got times\[-1\] = 0.9"),
    ],
)
def test_sample_grid_rejects_bad_values(t_end, times, n_points, append_end, message):
    with pytest.raises(SimulationError, match=message):
        sample_grid(t_end, times, n_points, append_end=append_end)


def decay() -> CRN:
    return CRN((Reaction(["A"], ["B"]),), inputs=(Signal("a", ["A"]),), outputs=(Signal("b", ["B"]),))


def test_ode_stats_are_typed_frozen_and_seen_through_a_read_only_info_view():
    trajectory = simulate_ode(decay(), [[1.0], [2.0]], t_end=1.0, n_points=3, backend="numpy")
    stats = trajectory.stats
    assert isinstance(stats, OdeStats) and stats.backend == "numpy" and stats.n_threads == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.steps = 0  # type: ignore[misc]
    assert trajectory.info["threads"] == 1 and trajectory.info["steps"] == stats.steps
    with pytest.raises(TypeError):
        trajectory.info["steps"] = 0  # type: ignore[index]


def test_ssa_stats_per_row_arrays_are_read_only():
    trajectory = simulate_ssa(decay(), [[3.0]], volume=2.0, t_end=math.inf, runs=3, seed=0)
    stats = trajectory.stats
    assert stats.termination.tolist() == ["exhausted"] * 3
    assert stats.events.tolist() == [6, 6, 6] and stats.backend == trajectory.info["backend"]
    with pytest.raises(ValueError, match="read-only"):
        stats.events[0] = 1
    assert trajectory.info["termination"].tolist() == ["exhausted"] * 3


def test_importing_the_simulate_package_does_not_import_numba():
    import subprocess
    import sys

    script = "import sys, nn2crn.simulate; print('numba' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
