"""Compiler and reducer: exactness at every depth, sizes, refusals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn2crn import CompileError, CRNStructureError, Layer, Network
from nn2crn.compile import compile_network, reduce_crn
from nn2crn.crn import CRN, Reaction, check_crn
from nn2crn.nn import random_ternary_network
from nn2crn.simulate import stable_outputs
from tests.helpers import assert_close_relative


@st.composite
def networks_and_inputs(draw):
    depth = draw(st.integers(1, 5))
    widths = [draw(st.integers(1, 32)) for _ in range(depth + 2)]
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    network = random_ternary_network(
        widths, rng=rng, zero_fraction=draw(st.floats(0.0, 0.9)), bias_scale=draw(st.floats(0.0, 3.0))
    )
    inputs = rng.normal(0.0, 2.0, size=(draw(st.integers(1, 20)), widths[0]))
    return network, inputs


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks_and_inputs())
def test_compiled_and_reduced_crns_compute_the_network(case):
    network, inputs = case
    expected = network.forward(inputs)
    compiled = compile_network(network)
    for crn in (compiled, reduce_crn(compiled), reduce_crn(compiled, keep_inputs=False)):
        report = check_crn(crn)
        assert report.ok
        assert_close_relative(
            stable_outputs(crn, inputs), expected, magnitude=network.forward_magnitude(inputs)
        )


@settings(max_examples=30, deadline=None)
@given(networks_and_inputs())
def test_reduced_crn_has_one_bimolecular_reaction_per_relu_node(case):
    network, _ = case
    n_relu = sum(layer.n_out for layer in network.layers if layer.activation == "relu")
    compiled = compile_network(network)
    fully = check_crn(reduce_crn(compiled, keep_inputs=False))
    assert (fully.n_bimolecular, fully.n_unimolecular, fully.n_reactions) == (n_relu, 0, n_relu)
    kept = reduce_crn(compiled, keep_inputs=True)
    input_reactions = sum(
        1 for r in compiled.reactions if r.reactants[0][0].startswith("x") and len(r.reactants) == 1
    )
    report = check_crn(kept)
    assert report.n_bimolecular == n_relu
    assert report.n_unimolecular == input_reactions
    assert all(r.reactants[0][0].startswith("x") for r in kept.reactions if r.order == 1)


def test_compiled_size_matches_the_paper_formula(rng):
    network = random_ternary_network((4, 8, 3), rng=rng, zero_fraction=0.0)
    crn = compile_network(network)
    # species = 2 inputs + 5 ReLU + 2 outputs; reactions = 2 (nonzero sources) + 2 ReLU
    assert crn.n_species == 2 * 4 + 5 * 8 + 2 * 3
    assert crn.n_reactions == 2 * (4 + 8) + 2 * 8
    assert check_crn(reduce_crn(crn)).n_reactions == 2 * 4 + 8
    assert check_crn(reduce_crn(crn, keep_inputs=False)).n_reactions == 8


def test_species_names_are_readable_and_stable():
    layer1 = Layer(np.array([[1.0, -1.0], [0.0, 1.0]]), np.array([0.5, -2.0]), "relu")
    layer2 = Layer(np.array([[1.0, 1.0]]), np.array([0.0]), "linear")
    crn = compile_network(Network((layer1, layer2)))
    assert set(crn.species) == {
        "x0p",
        "x0n",
        "x1p",
        "x1n",
        "z1_0p",
        "z1_0n",
        "m1_0",
        "h1_0p",
        "h1_0n",
        "z1_1p",
        "z1_1n",
        "m1_1",
        "h1_1p",
        "h1_1n",
        "y0p",
        "y0n",
    }
    assert Reaction((("x1p", 1),), (("z1_0n", 1), ("z1_1p", 1))) in crn.reactions
    assert Reaction((("m1_0", 1), ("z1_0n", 1)), (("h1_0n", 1),)) in crn.reactions
    assert dict(crn.initial) == {"z1_0p": 0.5, "z1_1n": 2.0}
    assert crn.input_names == ("x0", "x1") and crn.output_names == ("y0",)


def test_zero_weight_sources_get_no_reaction():
    layer = Layer(np.array([[0.0, 1.0]]), np.array([0.0]), "linear")
    crn = compile_network(Network((layer,)))
    assert all(r.reactants[0][0] not in ("x0p", "x0n") for r in crn.reactions)
    assert_close_relative(stable_outputs(crn, [[3.0, -2.0]]), [[-2.0]])


def test_non_rational_weight_is_refused_with_its_position():
    layers = (
        Layer(np.ones((3, 2)), np.zeros(3)),
        Layer(np.array([[1.0, 0.123456789, -1.0]]), np.zeros(1), "linear"),
    )
    with pytest.raises(
        CompileError,
        match=r"layers\[1\]\.weight\[0\]\[1\] = 0\.123456789 is not a rational with a denominator <= 1024; "
        r"quantize .* \(1 such weights in this layer\)",
    ):
        compile_network(Network(layers))


def test_shifted_inputs_are_single_rail_and_exact(rng):
    network = random_ternary_network((5, 7, 7, 3), rng=rng)
    low = np.array([-3.0, -1.0, 0.0, -2.5, -4.0])
    x = rng.uniform(low, low + 5.0, size=(40, 5))
    crn = compile_network(network, shift_inputs=low)
    assert not any(name.endswith("n") and name.startswith("x") for name in crn.species)
    assert crn.n_species == compile_network(network).n_species - 5
    for variant in (crn, reduce_crn(crn), reduce_crn(crn, keep_inputs=False)):
        assert_close_relative(stable_outputs(variant, x - low), network.forward(x))


def test_shift_inputs_needs_one_bound_per_input(rng):
    network = random_ternary_network((3, 2, 2), rng=rng)
    with pytest.raises(CompileError, match="expected one lower bound or 3"):
        compile_network(network, shift_inputs=[0.0, 1.0])


def test_reduce_refuses_a_competitive_crn():
    crn = CRN((Reaction(["A"], ["B"]), Reaction(["A"], ["C"])))
    with pytest.raises(CRNStructureError, match="A is a reactant of 2 reactions"):
        reduce_crn(crn)


def test_reduce_aggregates_coefficients_that_count_paths():
    # Two hidden layers of width 2, all weights +1: each first-layer rail reaches
    # each output along 2 paths, so coefficients 2 must appear, aggregated.
    layers = (
        Layer(np.ones((2, 1)), np.zeros(2)),
        Layer(np.ones((2, 2)), np.zeros(2)),
        Layer(np.ones((1, 2)), np.zeros(1), "linear"),
    )
    crn = reduce_crn(compile_network(Network(layers)), keep_inputs=True)
    for reaction in crn.reactions:
        names = [name for name, _ in reaction.products]
        assert len(names) == len(set(names))
    (input_reaction,) = [r for r in crn.reactions if r.reactants == (("x0p", 1),)]
    assert dict(input_reaction.products)["y0p"] == 4  # 2 x 2 paths
    assert check_crn(crn).max_coefficient == 4
    for variant in (crn, reduce_crn(compile_network(Network(layers)), keep_inputs=False)):
        assert_close_relative(
            stable_outputs(variant, [[1.5], [-1.0]]), Network(layers).forward([[1.5], [-1.0]])
        )


def test_deep_wide_binary_network_reduces(rng):
    network = random_ternary_network((32, 16, 16, 16, 16, 16, 4), rng=rng, binary=True)
    x = rng.normal(size=(64, 32))
    reduced = reduce_crn(compile_network(network))
    assert_close_relative(
        stable_outputs(reduced, x), network.forward(x), magnitude=network.forward_magnitude(x)
    )


def _deep_big_weight_network(n_layers: int):
    from nn2crn.nn.network import Activation, Layer, Network

    return Network(
        tuple(
            Layer(
                np.array([[100_000.0]]),
                np.array([0.5]),
                Activation("linear" if i == n_layers - 1 else "relu"),
            )
            for i in range(n_layers)
        )
    )


def test_reduction_refuses_coefficients_past_two_to_the_53():
    from nn2crn._errors import CoefficientOverflowError

    crn = compile_network(_deep_big_weight_network(4))  # paths multiply to 1e20
    with pytest.raises(
        CoefficientOverflowError,
        match=r"^reduce: reaction #1 \(x0p -> 100000 z1_0p\) would need a stoichiometric coefficient "
        r"of 1e\+20 for species y0p, above 2\*\*53 = 9\.007e\+15, beyond which the coefficients are no "
        r"longer exact; reduce a network with fewer or narrower layers or smaller weights, or use the "
        r"compiled CRN unreduced$",
    ):
        reduce_crn(crn)
    with pytest.raises(CoefficientOverflowError, match=r"substituting x0p .* keep_inputs=True"):
        reduce_crn(crn, keep_inputs=False)


def test_reduction_below_two_to_the_53_is_exact():
    # Three layers of weight 1e5 give coefficients of 1e15 < 2**53: kept, and exact.
    network = _deep_big_weight_network(3)
    reduced = reduce_crn(compile_network(network))
    assert reduced.product_matrix.data.max() == 1e15
    x = np.array([[1e-9], [3e-10], [-1.0]])
    np.testing.assert_allclose(stable_outputs(reduced, x), network.forward(x), rtol=1e-12)


def test_reduce_substitutes_products_from_several_depths():
    # A's products sit at two substitution depths (B at 0, C at 1 through C -> E -> D + F),
    # so A's expansion needs both depths' expansions: A = B + 2C = D + 2(D + F) = 3D + 2F.
    crn = CRN(
        (
            Reaction(["A"], ["B", "C", "C"]),
            Reaction(["B"], ["D"]),
            Reaction(["C"], ["E"]),
            Reaction(["E"], ["D", "F"]),
            Reaction(["D", "F"], ["G"]),
        ),
        initial={"A": 1.0, "C": 0.5},
    )
    reduced = reduce_crn(crn)
    assert [(r.reactants, r.products) for r in reduced.reactions] == [((("D", 1), ("F", 1)), (("G", 1),))]
    assert dict(reduced.initial) == {"D": 3.5, "F": 2.5}  # A (1): 3D + 2F; C (0.5): 0.5 (D + F)
