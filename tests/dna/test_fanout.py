"""Bounded fan-out: the tree rewrite is exact (exact evaluator), bounded, and verifies at the DNA level."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn._errors import DNADesignError
from nn2crn.crn import parse_crn
from nn2crn.dna.fanout import bound_fanout, max_products
from nn2crn.simulate.exact import evaluate_exact

FANOUT = (
    "input x = Xp - Xn\noutput y = Yp - Yn\noutput z = Zp - Zn\n"
    "Xp -> 2 Hp + Yp + Zp + Zn + Yp + Hp\nXn -> Hn + Yn + Zn\nHp -> M + Yp\nM + Hn -> Zp\n"
)


@pytest.mark.parametrize("bound", [2, 3, 4, 7])
def test_bounded_fanout_is_exact_and_bounded(bound, rng):
    crn = parse_crn(FANOUT)
    bounded = bound_fanout(crn, bound)
    assert max_products(bounded) <= bound < max_products(crn) or max_products(crn) <= bound
    x = rng.integers(-4, 5, size=(16, 1)).astype(float)
    original = crn.read_outputs(evaluate_exact(crn, x))
    rewritten = bounded.read_outputs(evaluate_exact(bounded, x))
    np.testing.assert_allclose(rewritten, original, atol=1e-9)
    # Every intermediate is made by one reaction and consumed by one (a tree, still NC).
    fresh = set(bounded.species) - set(crn.species)
    for name in fresh:
        assert sum(name in dict(r.reactants) for r in bounded.reactions) == 1
        assert sum(name in dict(r.products) for r in bounded.reactions) == 1


def test_small_fanouts_are_kept_in_place():
    crn = parse_crn(FANOUT)
    bounded = bound_fanout(crn, 6)
    assert bounded.reactions[-3:] == crn.reactions[1:]  # the tree replaces reaction 1 in place
    assert bounded.n_reactions == crn.n_reactions + 1  # only the 7-product reaction splits


@pytest.mark.parametrize("bad", [1, 0, True, 2.5])
def test_bad_bound_is_refused(bad):
    with pytest.raises(DNADesignError, match=r"^max_fanout must be an integer >= 2 products, got "):
        bound_fanout(parse_crn(FANOUT), bad)


def test_intermediate_name_collision_is_refused():
    crn = parse_crn("X -> A + B + C\nX_f1_1 -> D")
    with pytest.raises(DNADesignError, match=r"'X_f1_1' collides with a species"):
        bound_fanout(crn, 2)


def test_bounded_fanout_verifies_with_few_shapes():
    pytest.importorskip("peppercornenumerator")
    pytest.importorskip("crnverifier")
    from nn2crn.dna import translate
    from nn2crn.dna.verify import verify_system

    crn = parse_crn("X -> A + B + C + D + E\nY -> A + B + C + D + E + F")
    report = verify_system(translate(bound_fanout(crn, 2)), pairs=False, whole_limit=0)
    assert report.ok
    # X -> I + I', I -> P + P', I -> P (and the like): 9 modules, at most 2 distinct shapes.
    assert report.count("module") == 9
    assert report.n_shapes <= 2
