"""Convergence metrics: settling times on analytic and hand-made trajectories."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nn2crn import CRN, InputDataError, Reaction, Signal
from nn2crn.simulate.base import Trajectory
from nn2crn.simulate.metrics import (
    argmax_agrees,
    convergence_times,
    format_summary,
    max_deviation,
    settling_times,
    summarize,
)


def outputs_crn(n_outputs: int) -> CRN:
    """A CRN whose species are exactly its single-rail outputs (states = outputs)."""
    names = tuple(f"y{i}" for i in range(n_outputs))
    return CRN(outputs=tuple(Signal(name, (name,)) for name in names), species=names)


def trajectory_of(outputs: np.ndarray, times: np.ndarray, input_rows=None) -> Trajectory:
    outputs = np.asarray(outputs, dtype=float)
    rows = np.arange(outputs.shape[0]) if input_rows is None else input_rows
    return Trajectory(outputs_crn(outputs.shape[2]), times, outputs, rows, "ode")


def test_settling_times_reports_first_sample_after_last_violation():
    times = np.array([0.0, 1.0, 2.0, 3.0])
    violated = np.array(
        [
            [True, False, True, False],  # last violation at t=2 -> settles at 3
            [False, False, False, False],  # never violated -> 0
            [True, True, True, True],  # violated at t_end -> inf
            [True, False, False, False],  # settles at 1
        ]
    )
    np.testing.assert_array_equal(settling_times(times, violated), [3.0, 0.0, np.inf, 1.0])


def test_settling_times_rejects_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        settling_times(np.arange(3.0), np.zeros((2, 4), dtype=bool))


def test_decay_a_to_b_matches_closed_form():
    # A -> B with A(0) = x: B(t) = x (1 - exp(-t)), stable B = x.
    crn = CRN((Reaction(["A"], ["B"]),), inputs=(Signal("x", ("A",)),), outputs=(Signal("y", ("B",)),))
    x = np.array([0.5, 2.0, 8.0])
    times = np.linspace(0.0, 20.0, 2001)
    a = x[:, None] * np.exp(-times)[None, :]
    states = np.stack([a, x[:, None] - a], axis=2)  # species order A, B
    trajectory = Trajectory(crn, times, states, np.arange(3), "ode")
    eps, f = 0.01, 0.9
    result = convergence_times(trajectory, x[:, None], epsilon=eps, fraction=f)
    step = times[1] - times[0]
    exact_eps = np.log(x / eps)  # x e^{-t} <= eps
    assert np.all(result.epsilon >= exact_eps - 1e-12)
    assert np.all(result.epsilon < exact_eps + step + 1e-12)
    exact_fraction = -math.log(1 - f)  # e^{-t} <= 1 - f, independent of x
    assert np.all(np.abs(result.fraction - exact_fraction) <= step)
    # one output: order and argmax can never be violated
    np.testing.assert_array_equal(result.order, 0.0)
    np.testing.assert_array_equal(result.argmax, 0.0)
    np.testing.assert_allclose(
        max_deviation(trajectory, x[:, None]), x * np.exp(-20.0), rtol=1e-6, atol=1e-15
    )


def test_order_and_argmax_on_crossing_outputs():
    times = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    # stable: y0 = 3 > y1 = 2 > y2 = 1
    y0 = [0.0, 0.5, 2.5, 3.0, 3.0]  # on top from t=2 (at t=1 y1 leads)
    y1 = [0.0, 1.0, 1.0, 1.0, 2.0]  # above y2 only from t=3 (y2 = 1.5 at t=2)
    y2 = [0.0, 0.2, 1.5, 0.5, 1.0]
    outputs = np.array([np.stack([y0, y1, y2], axis=1)])
    result = convergence_times(trajectory_of(outputs, times), [[3.0, 2.0, 1.0]], epsilon=0.1)
    assert result.argmax[0] == 2.0
    assert result.order[0] == 3.0
    assert result.epsilon[0] == 4.0
    assert result.t_end == 4.0


def test_not_converged_by_t_end_is_inf_and_counted():
    times = np.linspace(0, 1, 5)
    outputs = np.zeros((2, 5, 2))
    outputs[0, :, 0] = 1.0  # row 0 already at stable (1, 0)
    outputs[1, :, 1] = 1.0  # row 1 wrong winner throughout
    result = convergence_times(trajectory_of(outputs, times), [[1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_array_equal(result.argmax, [0.0, np.inf])
    np.testing.assert_array_equal(result.epsilon, [0.0, np.inf])
    np.testing.assert_array_equal(
        argmax_agrees(trajectory_of(outputs, times), [[1.0, 0.0], [1.0, 0.0]]), [True, False]
    )
    summary = result.summary()["argmax"]
    assert summary["converged"] == 0.5
    assert summary["max"] == np.inf


def test_ties_in_stable_outputs_are_not_ordered():
    times = np.array([0.0, 1.0])
    # stable (2, 2, 0): y0 and y1 tie for the top; either may lead.
    outputs = np.array([[[0.0, 0.0, 0.0], [1.0, 1.5, 0.5]], [[0.0, 0.0, 0.0], [1.5, 1.0, 1.2]]])
    stable = [[2.0, 2.0, 0.0]]
    result = convergence_times(trajectory_of(outputs, times, input_rows=[0, 0]), stable)
    # row 0: at t=1 both winners are above y2 -> settled at 1; row 1: y2 = 1.2 > y1 = 1.0 -> order
    # violated, but y2 < y0 (best winner) so argmax is fine.
    np.testing.assert_array_equal(result.order, [1.0, np.inf])
    np.testing.assert_array_equal(result.argmax, [1.0, 1.0])


def test_input_rows_map_runs_to_their_stable_row():
    times = np.array([0.0, 1.0])
    outputs = np.array([[[0.0], [1.0]], [[0.0], [1.0]], [[0.0], [5.0]]])
    trajectory = trajectory_of(outputs, times, input_rows=[0, 0, 1])
    np.testing.assert_allclose(max_deviation(trajectory, [[1.0], [5.0]]), [0.0, 0.0, 0.0])
    with pytest.raises(InputDataError, match="input row 1"):
        max_deviation(trajectory, [[1.0]])


def test_zero_stable_output_uses_epsilon_in_fraction_criterion():
    times = np.array([0.0, 1.0, 2.0])
    outputs = np.array([[[0.0, 0.3], [0.95, 0.005], [0.95, 0.001]]])
    result = convergence_times(trajectory_of(outputs, times), [[1.0, 0.0]], epsilon=0.01, fraction=0.9)
    assert result.fraction[0] == 1.0
    assert result.epsilon[0] == np.inf  # |0.95 - 1| > 0.01 at t_end


def naive_times(outputs, times, stable, epsilon, fraction):
    """Reference implementation with Python loops."""
    n_batch, n_times, n_out = outputs.shape
    result = {"epsilon": [], "fraction": [], "order": [], "argmax": []}
    for b in range(n_batch):
        s = stable[b]
        tol = 1e-9 * max(1.0, np.abs(s).max())
        winners = [i for i in range(n_out) if s[i] >= s.max() - tol]

        def ok(name, y, s=s, tol=tol, winners=winners):
            if name == "epsilon":
                return all(abs(y[i] - s[i]) <= epsilon for i in range(n_out))
            if name == "fraction":
                return all(
                    abs(y[i] - s[i]) <= ((1 - fraction) * abs(s[i]) if s[i] != 0 else epsilon)
                    for i in range(n_out)
                )
            if name == "order":
                return all(y[i] > y[j] for i in range(n_out) for j in range(n_out) if s[i] - s[j] > tol)
            best = max(y[i] for i in winners)
            return all(y[j] < best for j in range(n_out) if j not in winners)

        for name in result:
            settled = times[0]
            for k in range(n_times):
                if not ok(name, outputs[b, k]):
                    settled = times[k + 1] if k + 1 < n_times else math.inf
            result[name].append(settled)
    return {name: np.array(values) for name, values in result.items()}


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    n_batch=st.integers(1, 4),
    n_times=st.integers(1, 6),
    n_out=st.integers(1, 4),
)
def test_vectorized_metrics_match_naive_loops(data, n_batch, n_times, n_out):
    values = st.sampled_from([-1.0, 0.0, 0.5, 1.0, 1.005, 2.0])
    outputs = data.draw(arrays(np.float64, (n_batch, n_times, n_out), elements=values))
    stable = data.draw(arrays(np.float64, (n_batch, n_out), elements=values))
    times = np.arange(n_times, dtype=float)
    result = convergence_times(trajectory_of(outputs, times), stable, epsilon=0.01, fraction=0.9)
    expected = naive_times(outputs, times, stable, 0.01, 0.9)
    for name, values_ in result.as_dict().items():
        np.testing.assert_array_equal(values_, expected[name], err_msg=name)


def test_summarize_quantiles_are_samples_and_inf_is_honest():
    summary = summarize([1.0, 2.0, 3.0, np.inf])
    assert summary["median"] == 2.0
    assert summary["p95"] == np.inf
    assert summary["max"] == np.inf
    assert summary["mean"] == 2.0
    assert summary["converged"] == 0.75
    assert summary["n"] == 4
    assert summary == summarize(np.array([[3.0, np.inf], [1.0, 2.0]]))
    assert np.isnan(summarize([np.inf])["mean"])
    text = format_summary({"epsilon": summary})
    assert "epsilon" in text and "75.0%" in text


@pytest.mark.parametrize(
    ("kwargs", "match"), [({"epsilon": 0.0}, "epsilon"), ({"fraction": 1.5}, "fraction")]
)
def test_bad_thresholds_are_refused(kwargs, match):
    trajectory = trajectory_of(np.zeros((1, 2, 1)), np.array([0.0, 1.0]))
    with pytest.raises(InputDataError, match=match):
        convergence_times(trajectory, [[0.0]], **kwargs)


def test_stable_with_wrong_width_is_refused():
    trajectory = trajectory_of(np.zeros((1, 2, 2)), np.array([0.0, 1.0]))
    with pytest.raises(InputDataError, match=r"expected shape \(n_rows, 2\)"):
        convergence_times(trajectory, [[0.0, 1.0, 2.0]])


def test_winners_counts_outputs_within_the_tie_tolerance():
    from nn2crn.simulate.metrics import TIE_RTOL, winners

    stable = np.array([[2.0, 2.0 - 0.5 * TIE_RTOL * 2, 1.0], [0.0, 0.0, 0.0], [1e6, 1e6 - 1e-2, 0.0]])
    assert winners(stable).tolist() == [[True, True, False], [True, True, True], [True, False, False]]


def test_chosen_agrees_rejects_ties_and_accepts_any_winner():
    from nn2crn.simulate.metrics import argmax_agrees_with, chosen_agrees, unique_argmax, winners

    reference = np.array([[1.0, 1.0, 0.0], [0.0, 3.0, 1.0]])
    assert unique_argmax(np.array([[4, 4, 1], [0, 2, 1]])).tolist() == [-1, 1]
    assert chosen_agrees(np.array([-1, 1]), winners(reference)).tolist() == [False, True]
    # the CRN's argmax may pick either tied network output
    assert argmax_agrees_with(np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 2.0]]), reference).tolist() == [
        True,
        False,
    ]
