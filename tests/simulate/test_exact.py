"""Exact evaluator: firing to completion in topological order."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn import CRNStructureError, InputDataError
from nn2crn.crn import CRN, Reaction, Signal, parse_crn
from nn2crn.simulate import evaluate_exact, plan_exact, stable_outputs


def test_relu_module_computes_max_zero():
    crn = parse_crn(
        """
        input z = zp - zn
        output y = yp - yn
        zp -> m + yp
        m + zn -> yn
        """
    )
    values = np.array([[2.0], [-1.5], [0.0], [1e-300]])
    assert np.array_equal(stable_outputs(crn, values)[:, 0], np.maximum(values[:, 0], 0.0))


def test_final_state_of_a_chain_with_stoichiometry():
    crn = CRN((Reaction([("A", 2)], ["B"]), Reaction(["B", "C"], [("D", 3)])), {"A": 5.0, "C": 1.0})
    state = evaluate_exact(crn)[0]
    index = crn.species_index
    assert state[index["A"]] == 0.0
    assert state[index["B"]] == pytest.approx(1.5)
    assert state[index["C"]] == 0.0
    assert state[index["D"]] == pytest.approx(3.0)


def test_integer_firing_leaves_remainders():
    crn = CRN((Reaction([("A", 3)], ["B"]),), {"A": 7.0})
    plan = plan_exact(crn)
    final = plan.fire(crn.initial_state(), integer=True)[0]
    assert final[crn.species_index["A"]] == 1.0 and final[crn.species_index["B"]] == 2.0


def test_batch_rows_are_independent(rng):
    crn = parse_crn("input x = xp - xn\noutput y = yp - yn\nxp -> m + yp\nm + xn -> yn\nzp @initial 1")
    values = rng.normal(size=(100, 1))
    together = stable_outputs(crn, values)
    one_by_one = np.concatenate([stable_outputs(crn, row[None]) for row in values])
    assert np.array_equal(together, one_by_one)


def test_large_batches_span_several_chunks(rng):
    crn = parse_crn("input x = xp - xn\noutput y = yp - yn\nxp -> m + yp\nm + xn -> yn")
    values = rng.normal(size=(3000, 1))
    assert np.allclose(stable_outputs(crn, values)[:, 0], np.maximum(values[:, 0], 0))
    assert evaluate_exact(crn, values).shape == (3000, crn.n_species)


def test_non_competitive_violation_is_refused_with_the_species():
    crn = CRN((Reaction(["A"], ["B"]), Reaction(["A", "C"], ["D"])), {"A": 1.0})
    with pytest.raises(CRNStructureError, match="A is a reactant of 2 reactions"):
        evaluate_exact(crn)


def test_cycle_is_refused():
    crn = CRN((Reaction(["A"], ["B"]), Reaction(["B"], ["A"])))
    with pytest.raises(CRNStructureError, match="not feed-forward: cycle"):
        stable_outputs(crn)


def test_catalyst_is_a_cycle():
    crn = CRN((Reaction(["A", "B"], ["A", "C"]),))
    with pytest.raises(CRNStructureError, match="cycle A -> A"):
        stable_outputs(crn)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([[1.0, 2.0]], "expected 1 columns, got 2"),
        ([[np.nan]], "row 0, x is nan"),
        ([[-1.0]], "single-rail"),
    ],
)
def test_bad_inputs_are_refused(values, message):
    crn = CRN((Reaction(["xp"], ["y"]),), inputs=(Signal("x", ["xp"]),))
    with pytest.raises(InputDataError, match=message):
        stable_outputs(crn, values)
