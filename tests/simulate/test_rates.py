"""Rate specifications and random rate sets."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn import CRN, CRNStructureError, Reaction, SimulationError
from nn2crn.compile import compile_network
from nn2crn.nn import random_ternary_network
from nn2crn.simulate import stable_outputs
from nn2crn.simulate.rates import RateSpec, apply_rates, parse_rate_spec, random_rates, relu_reactions


def small_network(seed: int = 5, widths=(3, 5, 3)) -> CRN:
    return compile_network(random_ternary_network(widths, rng=np.random.default_rng(seed)))


def test_specs_parse_and_print_back():
    specs = parse_rate_spec("random:7:0.1:10, scale-relu:100,constant:2.5")
    assert specs == (
        RateSpec("random", seed=7, low=0.1, high=10.0),
        RateSpec("scale-relu", value=100.0),
        RateSpec("constant", value=2.5),
    )
    assert [str(s) for s in specs] == ["random:7:0.1:10", "scale-relu:100", "constant:2.5"]
    assert parse_rate_spec(",".join(map(str, specs))) == specs


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("random:0:10:0.1", "LOW = 10 is greater than HIGH = 0.1"),
        ("random:0:0:1", "LOW must be a finite number > 0"),
        ("random:0:-1:1", "LOW must be a finite number > 0"),
        ("random:0:1:inf", "HIGH must be a finite number > 0"),
        ("random:0:a:1", "LOW 'a' is not a number"),
        ("random:x:1:2", "SEED 'x' must be an integer"),
        ("random:-3:1:2", "SEED must be >= 0"),
        ("random:1:2", "random:SEED:LOW:HIGH"),
        ("scale-relu:0", "FACTOR must be a finite number > 0"),
        ("scale-relu", "expected scale-relu:FACTOR"),
        ("uniform:1", "unknown rate specification 'uniform'"),
        ("", "empty specification"),
    ],
)
def test_bad_specs_say_what_is_wrong(text, match):
    with pytest.raises(SimulationError, match=match):
        parse_rate_spec(text)


def test_random_rates_are_seeded_log_uniform_within_bounds():
    crn = CRN(tuple(Reaction([f"a{i}"], [f"b{i}"]) for i in range(4000)))
    rates = random_rates(crn, seed=3, low=0.01, high=100.0)
    assert rates.shape == (4000,)
    assert rates.min() >= 0.01 and rates.max() <= 100.0
    np.testing.assert_array_equal(rates, random_rates(crn, seed=3, low=0.01, high=100.0))
    assert not np.array_equal(rates, random_rates(crn, seed=4, low=0.01, high=100.0))
    # log10 of a log-uniform draw on [1e-2, 1e2] is uniform on [-2, 2]: mean 0, variance 16/12
    logs = np.log10(rates)
    assert abs(logs.mean()) < 0.1
    assert abs(logs.var() - 16 / 12) < 0.1
    assert np.histogram(logs, bins=4, range=(-2, 2))[0].min() > 900
    np.testing.assert_array_equal(random_rates(crn, seed=0, low=2.0, high=2.0), 2.0)


def test_apply_rates_changes_only_what_the_spec_says():
    crn = small_network()
    relu = relu_reactions(crn)
    assert relu.sum() == 5  # one annihilation M + Z- per hidden node
    assert all(crn.reactions[i].order == 2 for i in np.flatnonzero(relu))
    scaled = apply_rates(crn, "scale-relu:10")
    np.testing.assert_array_equal(scaled.rates, np.where(relu, 10.0, 1.0))
    assert scaled.reactions[0].reactants == crn.reactions[0].reactants
    combined = apply_rates(crn, "random:1:0.5:2,scale-relu:10")
    base = random_rates(crn, seed=1, low=0.5, high=2.0)
    np.testing.assert_allclose(combined.rates, np.where(relu, 10 * base, base))
    np.testing.assert_array_equal(apply_rates(crn, "constant:3").rates, 3.0)
    # rate-independence: the exact stable outputs do not change
    x = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_allclose(stable_outputs(combined, x), stable_outputs(crn, x), rtol=1e-12)


def test_scale_relu_needs_a_bimolecular_reaction():
    crn = CRN((Reaction(["A"], ["B"]),))
    with pytest.raises(CRNStructureError, match="no reaction with two or more reactant molecules"):
        apply_rates(crn, "scale-relu:10")


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (
            RateSpec("random", seed=1, low=0.5),
            r"rates random:1:0.5:\?: a random spec needs seed, low and high",
        ),
        (RateSpec("constant"), r"rates constant:\?: a constant spec needs a value; set value="),
    ],
)
def test_hand_built_spec_missing_a_field_says_which(spec, match):
    with pytest.raises(SimulationError, match=match):
        apply_rates(small_network(), spec)
