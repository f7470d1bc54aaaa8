"""Structural checks."""

from __future__ import annotations

import pytest

from nn2crn import CRNStructureError
from nn2crn.compile import compile_network, reduce_crn
from nn2crn.crn import CRN, Reaction, Signal, check_crn, parse_crn
from nn2crn.nn import random_ternary_network


def test_compiled_network_passes_every_check(rng):
    network = random_ternary_network((4, 8, 3), rng=rng, zero_fraction=0.0)
    report = check_crn(compile_network(network))
    assert report.ok
    assert report.n_unimolecular == 2 * (4 + 8) + 8 and report.n_bimolecular == 8 and report.n_other == 0
    assert report.max_fan_out == 8
    assert report.max_coefficient == 1


def test_reports_the_cycle():
    report = check_crn(parse_crn("A -> B\nB -> C + D\nC -> A"))
    assert not report.feed_forward
    assert set(report.cycle) == {"A", "B", "C"}
    assert "not feed-forward: cycle" in report.problems(parse_crn("A -> B\nB -> C + D\nC -> A"))[0]


def test_reports_competing_species_with_their_reactions():
    crn = parse_crn("A -> B\nA + C -> D\nE -> F")
    report = check_crn(crn)
    assert not report.non_competitive
    assert report.competing == {"A": (0, 1)}
    (problem,) = report.problems(crn)
    assert "A is a reactant of 2 reactions (#1 A -> B; #2 A + C -> D)" in problem


def test_reports_consumed_outputs():
    crn = CRN((Reaction(["x"], ["y"]), Reaction(["y"], ["z"])), outputs=(Signal("out", ["y"]),))
    report = check_crn(crn)
    assert report.consumed_outputs == {"y": (1,)}
    assert not report.ok


def test_product_terms_and_largest_coefficient_show_the_cost_of_reduction(rng):
    network = random_ternary_network((8, 8, 8, 8, 2), rng=rng, binary=True)
    compiled = check_crn(compile_network(network))
    reduced = check_crn(reduce_crn(compile_network(network)))
    assert compiled.max_coefficient == 1
    assert reduced.n_reactions < compiled.n_reactions
    assert reduced.product_terms > 0 and reduced.max_coefficient > 1


def test_invalid_crn_values_are_refused():
    with pytest.raises(CRNStructureError, match="rate constant must be finite and > 0"):
        Reaction(["A"], ["B"], -1.0)
    with pytest.raises(CRNStructureError, match="initial amount of A must be finite and >= 0"):
        CRN((Reaction(["A"], ["B"]),), {"A": -2.0})
    with pytest.raises(CRNStructureError, match="must be a positive integer"):
        Reaction([("A", 0)], ["B"])
    with pytest.raises(CRNStructureError, match="species name '1A'"):
        CRN((Reaction(["1A"], ["B"]),))
    with pytest.raises(CRNStructureError, match="not in the species list"):
        CRN((Reaction(["A"], ["B"]),), species=("A",))
