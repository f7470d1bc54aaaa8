"""Rate robustness under random rate sets, and the ReLU-rate speed-up."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn2crn import CRN, SimulationError
from nn2crn.compile import compile_network, reduce_crn
from nn2crn.nn import random_ternary_network
from nn2crn.report.tables import robustness_text, speedup_text
from nn2crn.simulate import stable_outputs
from nn2crn.simulate.rates import apply_rates, random_rates
from nn2crn.studies.robustness import rate_robustness, relu_speedup, sample_times


def small_network(seed: int = 5, widths=(3, 5, 3)) -> CRN:
    return compile_network(random_ternary_network(widths, rng=np.random.default_rng(seed)))


def test_sample_times_are_log_spaced_after_zero():
    times = sample_times(100.0, 6)
    assert times[0] == 0 and times[1] == pytest.approx(0.01) and times[-1] == pytest.approx(100.0)
    assert np.allclose(np.diff(np.log10(times[1:])), 1.0)
    with pytest.raises(SimulationError, match="n_points"):
        sample_times(1.0, 1)


def test_rate_robustness_reports_long_time_outputs_under_random_rates():
    from nn2crn.simulate.ode import simulate_ode

    crn = small_network()
    x = np.random.default_rng(2).normal(size=(12, 3))
    stable = stable_outputs(crn, x)
    result = rate_robustness(crn, x, rate_sets=3, low=0.1, high=10.0, seed=7, t_end=1000.0)
    assert [row.spec for row in result.rate_sets] == [
        "as given",
        "random:7:0.1:10",
        "random:8:0.1:10",
        "random:9:0.1:10",
    ]
    assert result.n_rows == 12
    assert result.rate_sets[0].min_rate == result.rate_sets[0].max_rate == 1.0
    for offset, row in enumerate(result.rate_sets[1:]):
        rates = random_rates(crn, seed=7 + offset, low=0.1, high=10.0)
        assert (row.min_rate, row.max_rate) == (rates.min(), rates.max())
        # the rows say what a direct simulation with `--rates SPEC` gives
        final = simulate_ode(apply_rates(crn, row.spec), x, t_end=1000.0, n_points=2).final_outputs
        assert row.max_deviation == pytest.approx(np.abs(final - stable).max(), rel=1e-6)
        assert row.n_disagree == 0 and row.argmax_agreement == 1.0
        assert 0 < row.max_deviation < 0.05
    # long-time: the deviation shrinks as t_end grows (the 1/t annihilation tail)
    early = rate_robustness(crn, x, rate_sets=1, low=0.1, high=10.0, seed=7, t_end=10.0, stable=stable)
    assert early.rate_sets[1].max_deviation > 5 * result.rate_sets[1].max_deviation
    table = robustness_text(result)
    assert "random:9:0.1:10" in table and "12/12" in table


def test_rate_robustness_under_the_saturating_law_keeps_the_argmax():
    crn = reduce_crn(small_network(seed=9))
    x = np.random.default_rng(3).normal(size=(8, 3))
    result = rate_robustness(crn, x, rate_sets=2, t_end=2000.0, rate_law="saturating")
    assert all(row.n_disagree == 0 for row in result.rate_sets)
    assert result.rate_law == "saturating"


def test_rate_robustness_refuses_bad_settings():
    crn = small_network()
    x = np.zeros((1, 3))
    with pytest.raises(SimulationError, match="rate_sets must be >= 1"):
        rate_robustness(crn, x, rate_sets=0)
    with pytest.raises(SimulationError, match="LOW = 10 is greater than HIGH = 1"):
        rate_robustness(crn, x, low=10.0, high=1.0)


def test_raising_relu_rates_shortens_convergence():
    crn = small_network(seed=11, widths=(3, 6, 6, 3))
    x = np.random.default_rng(4).normal(size=(16, 3))
    result = relu_speedup(crn, x, factors=(1.0, 10.0, 100.0), t_end=200.0, epsilon=0.01, n_points=201)
    medians = [row.epsilon["median"] for row in result.rows]
    assert [row.factor for row in result.rows] == [1.0, 10.0, 100.0]
    assert all(math.isfinite(m) for m in medians)
    assert medians[0] > medians[1] >= medians[2]
    assert all(row.epsilon_times.shape == (16,) for row in result.rows)
    assert "speed-up" in speedup_text(result)
    with pytest.raises(SimulationError, match="factors"):
        relu_speedup(crn, x, factors=(0.0,))
