"""Tau-leaping (simulate_ssa(method="tau-leap")): statistics against the exact SSA, non-negativity, seeds.

The statistical comparison uses fixed seeds and 3-standard-error bounds, so it is
deterministic and fails only when the approximation is biased well beyond its ε.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn2crn._errors import SimulationError
from nn2crn.compile import compile_network
from nn2crn.crn import CRN, Reaction, Signal
from nn2crn.nn.network import random_ternary_network
from nn2crn.simulate.ssa import final_counts_nc, simulate_ssa

STANDARD_ERRORS = 3.0


def _variance_standard_error(sample: np.ndarray) -> float:
    """Standard error of the sample variance, from the sample's fourth central moment."""
    n = sample.size
    centred = sample - sample.mean()
    mu4 = float(np.mean(centred**4))
    variance = float(sample.var(ddof=1))
    return math.sqrt(max(mu4 - variance**2 * (n - 3) / (n - 1), 0.0) / n)


@pytest.mark.slow
def test_output_means_and_variances_at_t_end_match_the_exact_ssa_over_1000_runs() -> None:
    network = random_ternary_network([3, 3, 2], rng=np.random.default_rng(4))
    crn = compile_network(network)
    inputs = np.array([[1.0, -0.5, 0.8]])
    # t_end mid-transient, so the outputs are still random; V high enough for real leaps.
    kwargs = dict(volume=400.0, t_end=1.0, runs=1000, n_points=2, store="outputs")
    exact = simulate_ssa(crn, inputs, seed=1, **kwargs).final_outputs
    leaped = simulate_ssa(crn, inputs, seed=2, method="tau-leap", **kwargs).final_outputs
    assert exact.std(axis=0).min() > 0  # a comparison of constants would prove nothing
    for k in range(crn.n_outputs):
        a, b = exact[:, k], leaped[:, k]
        mean_error = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        assert abs(a.mean() - b.mean()) <= STANDARD_ERRORS * mean_error, k
        variance_error = math.hypot(_variance_standard_error(a), _variance_standard_error(b))
        assert abs(a.var(ddof=1) - b.var(ddof=1)) <= STANDARD_ERRORS * variance_error, k


def _relu_gadget_crn() -> CRN:
    """Two ReLU gadgets (z+ -> m + h+, m + z- -> h-) fed by decaying inputs, with a fast annihilation.

    Gadget 1 has z- well above z+: its intermediate m stays at a few dozen molecules at
    V = 1e4 while a flux of thousands per unit time runs through it (the regime in which
    plain Cao et al. leaping is capped at about one firing of m's consumer per leap).
    Gadget 2 has z+ above z-: m2 accumulates and z2- runs down. A fan-out (h+ -> y+ + w)
    and a decay (w -> 0) complete the chain.
    """
    reactions = (
        Reaction(("xp",), ("zp",), 1.0),
        Reaction(("zp",), ("m", "hp"), 1.0),
        Reaction(("m", "zn"), ("hn",), 20.0),
        Reaction(("hp",), ("yp", "w"), 1.0),
        Reaction(("hn",), ("yn",), 1.0),
        Reaction(("w",), (), 0.5),
        Reaction(("xq",), ("zq", "zn"), 1.0),
        Reaction(("zq",), ("m2", "hq"), 1.0),
        Reaction(("m2", "zn2"), ("hn2",), 20.0),
        Reaction(("hq",), ("yq",), 1.0),
        Reaction(("hn2",), ("yn2",), 1.0),
    )
    outputs = (Signal("y1", (("yp", 1),), (("yn", 1),)), Signal("y2", (("yq", 1),), (("yn2", 1),)))
    return CRN(reactions, {"xp": 1.0, "zn": 4.0, "xq": 2.0, "zn2": 1.0}, outputs=outputs)


def _assert_same_mean_and_variance(a: np.ndarray, b: np.ndarray, what: str) -> None:
    mean_error = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    assert abs(a.mean() - b.mean()) <= STANDARD_ERRORS * mean_error, (what, a.mean(), b.mean())
    variance_error = math.hypot(_variance_standard_error(a), _variance_standard_error(b))
    assert abs(a.var(ddof=1) - b.var(ddof=1)) <= STANDARD_ERRORS * variance_error, (what, a.var(), b.var())


@pytest.mark.slow
def test_the_relu_gadget_with_few_m_molecules_and_a_large_flux_matches_the_exact_ssa() -> None:
    crn = _relu_gadget_crn()
    volume = 1e4
    kwargs = dict(volume=volume, t_end=1.0, runs=1000, n_points=2)
    exact = simulate_ssa(crn, seed=11, **kwargs)
    leaped = simulate_ssa(crn, seed=12, method="tau-leap", **kwargs)
    m = crn.species.index("m")
    exact_m, leaped_m = exact.states[:, -1, m] * volume, leaped.states[:, -1, m] * volume
    # The regime of the issue: m holds tens of molecules while thousands per unit time pass through it.
    assert 10 < exact_m.mean() < 100
    assert exact.stats.events.mean() > 3e4
    assert exact.final_outputs.std(axis=0).min() > 0
    for k in range(crn.n_outputs):
        _assert_same_mean_and_variance(exact.final_outputs[:, k], leaped.final_outputs[:, k], f"output {k}")
    _assert_same_mean_and_variance(exact_m, leaped_m, "m")


def test_tau_leaping_conserves_and_never_goes_negative() -> None:
    # A + B -> C with B nearly used up, and 2 A -> D: a naive leap would drive B below zero.
    crn = CRN(
        (Reaction(("A", "B"), ("C",), 1.0), Reaction({"A": 2}, ("D",), 0.5)),
        {"A": 1.0, "B": 0.02},
    )
    trajectory = simulate_ssa(crn, volume=1e5, t_end=5.0, runs=20, n_points=51, seed=3, method="tau-leap")
    counts = np.rint(trajectory.states * 1e5).astype(np.int64)
    assert (counts >= 0).all()
    assert (trajectory.stats.final_counts >= 0).all()
    a, b, c, d = (counts[:, :, crn.species.index(name)] for name in "ABCD")
    assert np.array_equal(b + c, np.full_like(b, 2000))
    assert np.array_equal(a + c + 2 * d, np.full_like(a, 100000))
    assert trajectory.stats.method == "tau-leap" and trajectory.stats.epsilon == 0.03


def test_a_feed_forward_nc_crn_run_to_exhaustion_ends_in_the_nc_final_counts() -> None:
    crn = compile_network(random_ternary_network([3, 4, 2], rng=np.random.default_rng(8)))
    inputs = np.random.default_rng(9).normal(size=(3, 3))
    trajectory = simulate_ssa(crn, inputs, volume=1e4, t_end=math.inf, runs=2, seed=4, method="tau-leap")
    expected = np.repeat(final_counts_nc(crn, inputs, volume=1e4), 2, axis=0)
    assert np.array_equal(trajectory.stats.final_counts, expected)
    assert set(trajectory.stats.termination) == {"exhausted"}


def test_a_row_depends_only_on_its_seed_and_position_not_on_the_batch_or_threads() -> None:
    crn = compile_network(random_ternary_network([3, 3, 2], rng=np.random.default_rng(5)))
    inputs = np.random.default_rng(6).normal(size=(3, 3))
    kwargs = dict(volume=2000.0, t_end=3.0, n_points=11, seed=7, method="tau-leap")
    batch = simulate_ssa(crn, inputs, runs=3, n_threads=2, **kwargs)
    again = simulate_ssa(crn, inputs, runs=3, n_threads=1, **kwargs)
    assert np.array_equal(batch.states, again.states)
    first_row = simulate_ssa(crn, inputs[:1], runs=2, **kwargs)
    assert np.array_equal(first_row.states, batch.states[:2])
    other_seed = simulate_ssa(crn, inputs, runs=3, **{**kwargs, "seed": 8})
    assert not np.array_equal(other_seed.states, batch.states)


@pytest.mark.parametrize(
    ("epsilon", "message"), [(0.0, r"epsilon must be in \(0, 1\)"), ("x", "epsilon must be a number")]
)
def test_bad_epsilon_is_refused(epsilon: object, message: str) -> None:
    crn = CRN((Reaction(("A",), (), 1.0),), {"A": 1.0})
    with pytest.raises(SimulationError, match=message):
        simulate_ssa(crn, volume=10, t_end=1, method="tau-leap", epsilon=epsilon)  # type: ignore[arg-type]


def test_unknown_method_is_refused() -> None:
    crn = CRN((Reaction(("A",), (), 1.0),), {"A": 1.0})
    with pytest.raises(SimulationError, match=r"method must be one of \('direct', 'tau-leap'\)"):
        simulate_ssa(crn, volume=10, t_end=1, method="leap")
