"""verify_network: the compiled (and reduced) CRN against the network's forward pass."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn import InputDataError, Layer, Network
from nn2crn.compile.verify import RELATIVE_TOLERANCE, verify_network
from nn2crn.nn import random_ternary_network


@pytest.mark.parametrize(("reduce", "keep_inputs"), [(False, True), (True, True), (True, False)])
def test_compiled_and_reduced_crns_match_the_network(rng, reduce, keep_inputs):
    network = random_ternary_network([3, 4, 2], rng=rng)
    rows = rng.normal(size=(6, 3))
    result = verify_network(network, rows, reduce=reduce, keep_inputs=keep_inputs)
    assert result.ok and result.first_mismatch() is None and result.reduced is reduce
    assert result.n_rows == 6 and result.tolerance == RELATIVE_TOLERANCE
    np.testing.assert_allclose(result.actual, network.forward(rows), rtol=1e-12, atol=1e-12)
    assert result.max_relative_error.shape == (6,) and result.argmax_agrees.all()
    assert result.check.n_bimolecular == sum(reaction.order == 2 for reaction in result.crn.reactions)


def test_argmax_of_a_tied_network_output_may_be_either_winner():
    # both outputs are x0 + x1: every row is a tie, and any CRN choice is right
    network = Network((Layer(np.array([[1.0, 1.0], [1.0, 1.0]]), np.zeros(2), "linear"),))
    result = verify_network(network, np.array([[1.0, 2.0], [0.5, -3.0]]))
    assert result.ok and result.argmax_agrees.tolist() == [True, True]


def test_mismatch_is_located(rng, monkeypatch):
    import nn2crn.simulate

    real = nn2crn.simulate.stable_outputs
    network = random_ternary_network([2, 3, 2], rng=rng)
    monkeypatch.setattr(
        nn2crn.simulate,
        "stable_outputs",
        lambda crn, x, **options: real(crn, x, **options) + np.array([0.0, 1e-6]),
    )
    result = verify_network(network, rng.normal(size=(4, 2)))
    assert not result.ok and result.mismatched.sum() == 4 and result.first_mismatch() == (0, 1)


def test_shifted_inputs_below_their_bound_are_refused_by_parameter_name(rng):
    network = random_ternary_network([2, 2], rng=rng)
    assert verify_network(network, [[1.0, 2.0]], shift_inputs=0.0).ok
    with pytest.raises(InputDataError, match=r"row 1: input x1 .* below the shift_inputs bound 0.0"):
        verify_network(network, [[1.0, 2.0], [1.0, -0.5]], shift_inputs=0.0)


def test_inputs_of_the_wrong_width_are_refused(rng):
    network = random_ternary_network([2, 2], rng=rng)
    with pytest.raises(InputDataError, match="inputs: expected 2 columns, got 3"):
        verify_network(network, np.ones((2, 3)))
