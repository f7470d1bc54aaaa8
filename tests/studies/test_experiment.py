"""One experiment as a study: a frozen result whose derived numbers agree with each other."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn import InputDataError
from nn2crn.datasets.base import Dataset, Split
from nn2crn.nn import random_ternary_network
from nn2crn.simulate import stable_outputs
from nn2crn.studies.experiment import run_experiment


@pytest.fixture(scope="module")
def small_result():
    rng = np.random.default_rng(3)
    split = Split(rng.uniform(-1, 1, (12, 3)), rng.integers(0, 2, 12))
    data = Dataset("small", split, split, split, ("a", "b", "c"), ("no", "yes"), "random", {})
    network = random_ternary_network((3, 4, 2), rng=rng)
    return run_experiment("small", network, data, t_end=20.0, ode_examples=5)


def test_the_exact_evaluation_is_the_network_and_the_crn(small_result):
    result = small_result
    x = result.network.transform(result.dataset.test.x)
    np.testing.assert_allclose(result.nn_test_outputs, result.network.forward(x))
    np.testing.assert_allclose(result.exact_test_outputs, stable_outputs(result.crn, x))
    assert result.exact_agreement == (12, 12) and result.exact_max_abs < 1e-9
    assert result.checks["compiled"].feed_forward and result.checks["reduced"].non_competitive
    assert result.exact_test_gaps.shape == (12,) and result.exact_test_gaps.max() == result.exact_max_abs
    assert (result.exact_test_predictions == result.nn_test_predictions).all()


def test_the_kinetics_numbers_agree_with_each_other(small_result):
    result = small_result
    assert result.n_ode == 5 and result.ode.final_outputs.shape == (5, 2)
    agree, total = result.ode_agreement()
    assert total == 5 and agree + len(result.ode_disagreements()) == 5
    assert result.ode_gaps().max() == pytest.approx(result.ode_max_abs())
    assert result.ode_max_abs_first(2) <= result.ode_max_abs()
    assert result.ode.epsilon_settled == np.isfinite(result.ode.epsilon_times).mean()
    assert result.ode.gap_ratio == pytest.approx(result.ode.half_time_gap / result.ode.max_gap)
    assert result.ode_reduced.final_outputs.shape == (5, 2)


def test_the_result_is_frozen(small_result):
    with pytest.raises(TypeError):
        small_result.checks["compiled"] = None
    with pytest.raises(AttributeError):
        small_result.key = "other"


def test_a_network_that_does_not_fit_the_data_is_refused(small_result):
    with pytest.raises(
        InputDataError, match="small: the network is 3-2-3 but the dataset has 3 features and 2 classes"
    ):
        run_experiment(
            "small",
            random_ternary_network((3, 2, 3), rng=np.random.default_rng(0)),
            small_result.dataset,
            t_end=1.0,
            ode_examples=1,
        )
    with pytest.raises(InputDataError, match="ode_examples must be >= 1, got 0"):
        run_experiment("small", small_result.network, small_result.dataset, t_end=1.0, ode_examples=0)
