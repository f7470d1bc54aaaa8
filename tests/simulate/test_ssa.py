"""Exact stochastic simulation: statistics, ODE limits, conservation, the NC shortcut, errors.

Statistical checks use fixed seeds and 5-sigma bounds derived from the CLT, so they
are deterministic (the same numbers every run) and would fail only for a real bias.
"""

from __future__ import annotations

import importlib.util
import math
import sys

import numpy as np
import pytest
import scipy.linalg
from scipy.integrate import solve_ivp

from nn2crn._errors import CRNStructureError, InputDataError, SimulationError
from nn2crn.compile import compile_network
from nn2crn.crn import CRN, Reaction, Signal
from nn2crn.nn import Layer, Network
from nn2crn.nn.network import random_ternary_network
from nn2crn.simulate.exact import plan_exact, stable_outputs
from nn2crn.simulate.ssa import final_counts_nc, initial_counts, integer_output_matrix, simulate_ssa

SIGMAS = 5.0


def decay_crn(rate: float = 1.0, amount: float = 100.0) -> CRN:
    return CRN((Reaction(("A",), (), rate),), {"A": amount})


def compiled(widths: list[int], seed: int, *, binary: bool = False) -> CRN:
    network = random_ternary_network(widths, rng=np.random.default_rng(seed), binary=binary)
    return compile_network(network)


def inputs_for(crn: CRN, n_rows: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n_rows, crn.n_inputs))


# ---------------------------------------------------------------------------
# statistics of simple reactions


def test_decay_mean_and_variance_match_the_binomial_law() -> None:
    # A -> 0 at rate k: each of n0 molecules survives to t with p = exp(-k t),
    # so A(t) ~ Binomial(n0, p): mean n0 p, variance n0 p q.
    n0, k, runs = 100, 0.8, 4000
    trajectory = simulate_ssa(
        decay_crn(k, n0), volume=1.0, t_end=2.0, runs=runs, times=[0.0, 0.5, 1.0, 2.0], seed=11
    )
    counts = trajectory.states[:, :, 0]  # V = 1: amounts are counts
    assert np.all(counts[:, 0] == n0)
    for column, t in enumerate(trajectory.times[1:], start=1):
        p = math.exp(-k * t)
        mean, variance = n0 * p, n0 * p * (1 - p)
        sample = counts[:, column]
        assert abs(sample.mean() - mean) <= SIGMAS * math.sqrt(variance / runs)
        # Var of the sample variance ~ (mu4 - sigma^4 (N-3)/(N-1)) / N; binomial mu4 below.
        mu4 = variance * (1 + 3 * (n0 - 2) * p * (1 - p))
        spread = math.sqrt((mu4 - variance**2 * (runs - 3) / (runs - 1)) / runs)
        assert abs(sample.var(ddof=1) - variance) <= SIGMAS * spread


def test_zeroth_order_production_is_poisson_with_volume_scaling() -> None:
    # 0 -> A at rate k: k V molecules per unit time, A(t) ~ Poisson(k V t).
    crn = CRN((Reaction((), ("A",), 2.0),))
    runs, volume, t = 2000, 5.0, 3.0
    trajectory = simulate_ssa(crn, volume=volume, t_end=t, runs=runs, n_points=2, seed=3)
    counts = trajectory.info["final_counts"][:, 0]
    mean = 2.0 * volume * t
    assert abs(counts.mean() - mean) <= SIGMAS * math.sqrt(mean / runs)
    assert np.array_equal(counts, trajectory.info["events"])


def test_a_plus_b_matches_the_ode_limit_at_high_volume() -> None:
    # A + B -> C, k = 1: a - b = d is constant and a(t) = d / (1 - (b0/a0) exp(-k d t)).
    a0, b0, volume, runs = 1.0, 0.6, 20000.0, 16
    crn = CRN((Reaction(("A", "B"), ("C",)),), {"A": a0, "B": b0})
    trajectory = simulate_ssa(crn, volume=volume, t_end=3.0, runs=runs, n_points=7, seed=5)
    d = a0 - b0
    exact_a = d / (1 - (b0 / a0) * np.exp(-d * trajectory.times))
    exact_c = a0 - exact_a
    c = trajectory.states[:, :, crn.species_index["C"]]
    standard_error = c.std(axis=0, ddof=1) / math.sqrt(runs)
    # The SSA mean differs from the ODE by O(1/V); allow that plus 5 standard errors.
    assert np.all(np.abs(c.mean(axis=0) - exact_c) <= SIGMAS * standard_error + 5.0 / volume)


def test_homodimer_and_third_order_propensities_match_the_mass_action_ode() -> None:
    # 2 A -> B [k = 0.5] and A + 2 C -> D [k = 2]: mass-action ODE rate k prod [X]^n.
    crn = CRN(
        (Reaction({"A": 2}, ("B",), 0.5), Reaction({"E": 1, "C": 2}, ("D",), 2.0)),
        {"A": 1.0, "E": 0.7, "C": 1.0},
    )
    volume, runs, t_end = 20000.0, 12, 2.0
    trajectory = simulate_ssa(crn, volume=volume, t_end=t_end, runs=runs, n_points=5, seed=8)

    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        a, e, c = y
        first = 0.5 * a**2
        second = 2.0 * e * c**2
        return np.array([-2 * first, -second, -2 * second])

    solution = solve_ivp(rhs, (0, t_end), [1.0, 0.7, 1.0], t_eval=trajectory.times, rtol=1e-10, atol=1e-12)
    for name, ode in (("A", solution.y[0]), ("E", solution.y[1]), ("C", solution.y[2])):
        values = trajectory.states[:, :, crn.species_index[name]]
        standard_error = values.std(axis=0, ddof=1) / math.sqrt(runs)
        assert np.all(np.abs(values.mean(axis=0) - ode) <= SIGMAS * standard_error + 5.0 / volume), name
    # Closed form of the homodimer: A(t) = A0 / (1 + 2 k A0 t).
    assert abs(solution.y[0][-1] - 1.0 / (1 + 2 * 0.5 * t_end)) < 1e-7


def test_compiled_network_outputs_match_nn2crns_ode_at_high_volume() -> None:
    from nn2crn.simulate.ode import simulate_ode

    crn = compiled([4, 8, 3], 12)
    x = inputs_for(crn, 2, 13)
    volume, runs, times = 2000.0, 16, [0.0, 0.5, 1.0, 2.0, 5.0, 10.0]
    ssa = simulate_ssa(crn, x, volume=volume, t_end=10.0, times=times, runs=runs, seed=1)
    ode = simulate_ode(crn, x, t_end=10.0, times=times, rtol=1e-9, atol=1e-12)
    outputs = ssa.outputs.reshape(2, runs, len(times), crn.n_outputs)
    standard_error = outputs.std(axis=1, ddof=1) / math.sqrt(runs)
    # Allow 5 standard errors plus the initial rounding (<= 0.5 / V per species) and O(1/V) bias.
    assert np.all(np.abs(outputs.mean(axis=1) - ode.outputs) <= SIGMAS * standard_error + 10.0 / volume)


def test_homodimer_propensity_is_k_over_v_times_a_times_a_minus_1() -> None:
    # From 2 molecules, 2 A -> B fires with propensity k a (a - 1) / V = 2 k / V:
    # the waiting time is exponential with that rate.
    k, volume, runs = 3.0, 4.0, 4000
    crn = CRN((Reaction({"A": 2}, ("B",), k),), {"A": 2 / volume})
    trajectory = simulate_ssa(crn, volume=volume, t_end=math.inf, runs=runs, seed=2)
    waits = trajectory.info["t_last_event"]
    rate = k * 2 * 1 / volume
    assert np.all(trajectory.info["events"] == 1)
    assert abs(waits.mean() - 1 / rate) <= SIGMAS * (1 / rate) / math.sqrt(runs)


# ---------------------------------------------------------------------------
# conservation and the NC shortcut


def test_a_plus_b_conserves_a_plus_c_and_b_plus_c_in_every_trajectory() -> None:
    crn = CRN((Reaction(("A", "B"), ("C",)), Reaction(("C",), ("A", "B"), 0.3)), {"A": 3.0, "B": 2.0})
    trajectory = simulate_ssa(crn, volume=10.0, t_end=5.0, runs=20, n_points=51, seed=1)
    index = crn.species_index
    a, b, c = (trajectory.states[:, :, index[name]] for name in "ABC")
    assert np.allclose(a + c, 3.0, rtol=0, atol=1e-12)
    assert np.allclose(b + c, 2.0, rtol=0, atol=1e-12)
    assert trajectory.info["events"].min() > 10


@pytest.mark.parametrize("widths, seed", [([4, 8, 3], 0), ([10, 8, 4], 1), ([3, 5, 4, 2], 2)])
def test_compiled_networks_conserve_their_conservation_laws(widths: list[int], seed: int) -> None:
    crn = compiled(widths, seed)
    laws = scipy.linalg.null_space(crn.stoichiometry.toarray())  # (n_species, n_laws): N @ w = 0
    assert laws.shape[1] >= crn.n_species - crn.n_reactions
    trajectory = simulate_ssa(
        crn, inputs_for(crn, 3, seed), volume=20.0, t_end=10.0, runs=2, n_points=41, seed=seed
    )
    conserved = trajectory.states @ laws  # (n_batch, n_times, n_laws)
    scale = np.abs(trajectory.states).sum(axis=2).max()
    assert np.abs(conserved - conserved[:, :1, :]).max() <= 1e-12 * max(1.0, scale)
    assert trajectory.info["events"].min() > 0


@pytest.mark.parametrize(
    "widths, seed, binary",
    [([4, 8, 3], 0, True), ([10, 8, 4], 1, False), ([3, 6, 5, 2], 2, False), ([6, 4, 4, 4, 3], 3, False)],
)
@pytest.mark.parametrize("volume", [1.0, 7.5, 100.0])
def test_ssa_run_to_exhaustion_equals_the_nc_final_counts(
    widths: list[int], seed: int, binary: bool, volume: float
) -> None:
    crn = compiled(widths, seed, binary=binary)
    x = inputs_for(crn, 4, seed + 10)
    trajectory = simulate_ssa(crn, x, volume=volume, t_end=math.inf, runs=3, seed=seed)
    assert list(trajectory.info["termination"]) == ["exhausted"] * 12
    expected = final_counts_nc(crn, x, volume=volume)
    assert expected.dtype == np.int64
    assert np.array_equal(trajectory.info["final_counts"], expected[trajectory.input_rows])
    assert np.allclose(trajectory.final_states, expected[trajectory.input_rows] / volume, rtol=1e-15, atol=0)
    assert trajectory.times[-1] == math.inf


@pytest.mark.parametrize("volume", [1.0, 3.0, 1000.0])
def test_nc_final_counts_agree_with_the_exact_evaluator_in_integer_mode(volume: float) -> None:
    crn = compiled([5, 6, 6, 3], 4)
    x = inputs_for(crn, 6, 4)
    counts = final_counts_nc(crn, x, volume=volume)
    base, _ = initial_counts(crn, x, volume=volume)
    independent = plan_exact(crn).fire(base.astype(np.float64), integer=True)
    assert np.array_equal(counts, independent.astype(np.int64))
    # Large volume: final amounts approach the exact stable outputs (rounding of inputs and biases only).
    if volume >= 1000:
        assert np.abs(crn.read_outputs(counts / volume) - stable_outputs(crn, x)).max() < 0.05


def test_rational_weights_output_scale_read_out_exactly_after_exhaustion() -> None:
    # Weights and biases k/3 compile to outputs with scale 9: rint(output_matrix) would be all zero.
    rng = np.random.default_rng(5)
    network = Network(
        (
            Layer(rng.integers(-3, 4, (5, 4)) / 3, rng.integers(-3, 4, 5) / 3, "relu"),
            Layer(rng.integers(-3, 4, (3, 5)) / 3, rng.integers(-3, 4, 3) / 3, "linear"),
        )
    )
    crn = compile_network(network)
    assert {signal.scale for signal in crn.outputs} == {9.0}
    x = rng.integers(-4, 5, (6, 4)).astype(np.float64)
    exact = stable_outputs(crn, x)
    np.testing.assert_allclose(exact, network.forward(x), rtol=0, atol=1e-12)
    counts = final_counts_nc(crn, x, volume=3.0)
    np.testing.assert_allclose(crn.read_outputs(counts / 3.0), exact, rtol=0, atol=1e-12)
    integer = integer_output_matrix(crn)
    assert integer.dtype == np.int64 and np.abs(integer).max() == 1
    # counts @ integer.T is 9 x the outputs (rails, here with factor 1) times the volume, exactly.
    np.testing.assert_array_equal(counts @ integer.T, np.rint(exact * 9 * 3).astype(np.int64))
    trajectory = simulate_ssa(crn, x, volume=3.0, t_end=math.inf, runs=2, seed=1)
    np.testing.assert_allclose(trajectory.final_outputs, exact[trajectory.input_rows], rtol=0, atol=1e-12)


def test_the_leader_compares_outputs_with_different_scales_by_value() -> None:
    # y0 = Y0 / 3 becomes 2 at once (fast reaction), y1 = Y1 becomes 1 much later: y0 leads from
    # the first event on, so the leader time is the fast reaction's time, not the last event's.
    crn = CRN(
        (Reaction(("X",), (("Y0", 6),), 1e6), Reaction(("Z",), ("Y1",), 1e-3)),
        {"X": 1, "Z": 1},
        outputs=(Signal("y0", ("Y0",), scale=3), Signal("y1", ("Y1",))),
    )
    expected = np.zeros((2, crn.n_species), dtype=np.int64)
    expected[0, crn.species_index["Y0"]] = 1
    expected[1, crn.species_index["Y1"]] = 3
    np.testing.assert_array_equal(integer_output_matrix(crn), expected)
    trajectory = simulate_ssa(crn, volume=1.0, t_end=math.inf, runs=4, seed=3)
    np.testing.assert_allclose(trajectory.final_outputs, [[2.0, 1.0]] * 4)
    assert np.all(trajectory.info["leader_time"] < 1e-3 * trajectory.info["t_last_event"])


def test_nc_final_counts_reject_non_nc_crns() -> None:
    competitive = CRN((Reaction(("A",), ("B",)), Reaction(("A",), ("C",))), {"A": 1.0})
    with pytest.raises(CRNStructureError, match="non-competitive"):
        final_counts_nc(competitive, volume=10)


def test_leader_time_is_when_the_final_argmax_took_the_lead(rng: np.random.Generator) -> None:
    crn = compiled([4, 8, 3], 5)
    x = rng.normal(size=(5, 4))
    trajectory = simulate_ssa(crn, x, volume=30.0, t_end=20.0, runs=2, n_points=401, seed=4)
    outputs = np.rint(trajectory.outputs * 30.0)  # integer count combinations
    final = outputs[:, -1, :]
    for row in range(outputs.shape[0]):
        top = final[row].max()
        if (final[row] == top).sum() > 1:
            continue  # a final tie has no leader
        winner = int(np.argmax(final[row]))
        after = trajectory.times > trajectory.info["leader_time"][row]
        leading = outputs[row, after, winner][:, None] > np.delete(outputs[row, after], winner, axis=1)
        assert leading.all()
        assert trajectory.info["leader_time"][row] <= trajectory.info["t_last_event"][row]


# ---------------------------------------------------------------------------
# initial counts, sampling, reproducibility


def test_nearest_rounding_is_half_to_even_and_stochastic_rounding_is_unbiased() -> None:
    crn = CRN((Reaction(("A",), ("B",)),), {"A": 2.5, "B": 3.5, "C": 0.5, "D": 0.3})
    base, fraction = initial_counts(crn, volume=1.0)
    assert base.tolist() == [[2, 4, 0, 0]]
    assert not fraction.any()
    runs = 4000
    trajectory = simulate_ssa(
        crn, volume=1.0, t_end=1e-9, runs=runs, n_points=2, rounding="stochastic", seed=9
    )
    start = trajectory.states[:, 0, :]
    index = crn.species_index
    for name, amount in (("C", 0.5), ("D", 0.3)):
        values = start[:, index[name]]
        assert set(np.unique(values)) <= {0.0, 1.0}
        p = amount - math.floor(amount)
        assert abs(values.mean() - amount) <= SIGMAS * math.sqrt(p * (1 - p) / runs)
    assert set(np.unique(start[:, index["B"]] + trajectory.final_states[:, index["A"]] * 0)) <= {3.0, 4.0}


def test_sample_times_record_the_state_at_each_time_and_the_end() -> None:
    crn = decay_crn(1.0, 50.0)
    trajectory = simulate_ssa(crn, volume=2.0, t_end=3.0, times=[0.0, 0.25, 1.0], seed=0)
    assert trajectory.times.tolist() == [0.0, 0.25, 1.0, 3.0]
    assert trajectory.states[0, 0, 0] == 50.0  # 100 molecules / V
    assert np.all(np.diff(trajectory.states[0, :, 0]) <= 0)
    assert trajectory.final_states[0, 0] * 2.0 == trajectory.info["final_counts"][0, 0]
    assert trajectory.method == "ssa"


def test_termination_reports_t_end_or_exhaustion() -> None:
    crn = decay_crn(1.0, 3.0)
    short = simulate_ssa(crn, volume=1.0, t_end=1e-6, runs=5, seed=0)
    assert list(short.info["termination"]) == ["t_end"] * 5
    long = simulate_ssa(crn, volume=1.0, t_end=1e6, runs=5, seed=0)
    assert list(long.info["termination"]) == ["exhausted"] * 5
    assert np.all(long.info["events"] == 3) and np.all(long.final_states == 0)
    empty = simulate_ssa(CRN((Reaction(("A",), ()),)), volume=1.0, t_end=1.0)
    assert empty.info["termination"][0] == "exhausted" and empty.info["events"][0] == 0


def test_store_modes() -> None:
    crn = compiled([3, 4, 2], 6)
    x = inputs_for(crn, 2, 6)
    full = simulate_ssa(crn, x, volume=10.0, t_end=5.0, runs=2, seed=3)
    final = simulate_ssa(crn, x, volume=10.0, t_end=5.0, runs=2, seed=3, store="final")
    outputs = simulate_ssa(crn, x, volume=10.0, t_end=5.0, runs=2, seed=3, store="outputs")
    assert final.times.tolist() == [0.0, 5.0]
    assert np.array_equal(final.final_states, full.final_states)
    assert np.array_equal(final.states[:, 0], full.states[:, 0])
    assert outputs.states.shape[2] == 2 * crn.n_outputs
    assert np.array_equal(outputs.outputs, full.outputs)
    assert outputs.species == tuple(f"y{k}{side}" for k in range(2) for side in "pn")


def test_a_row_depends_only_on_seed_input_row_and_run() -> None:
    crn = compiled([4, 8, 3], 7)
    x = inputs_for(crn, 3, 7)
    big = simulate_ssa(crn, x, volume=25.0, t_end=8.0, runs=4, seed=42)
    small = simulate_ssa(crn, x[:2], volume=25.0, t_end=8.0, runs=2, seed=42, n_threads=1)
    chunked = simulate_ssa(crn, x, volume=25.0, t_end=8.0, runs=4, seed=42, progress=lambda _f: None)
    again = simulate_ssa(crn, x, volume=25.0, t_end=8.0, runs=4, seed=42)
    keep = (big.input_rows < 2) & (big.info["run"] < 2)
    assert np.array_equal(big.states[keep], small.states)
    assert np.array_equal(big.states, chunked.states)
    assert np.array_equal(big.states, again.states)
    assert big.input_rows.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert big.info["run"].tolist() == [0, 1, 2, 3] * 3
    other = simulate_ssa(crn, x, volume=25.0, t_end=8.0, runs=4, seed=43)
    assert not np.array_equal(big.states, other.states)
    # Runs of one input differ from each other.
    assert len({big.states[b].tobytes() for b in range(4)}) == 4
    from_generator = simulate_ssa(crn, x, volume=25.0, t_end=8.0, runs=1, seed=np.random.default_rng(1))
    assert from_generator.info["seed"] == np.random.default_rng(1).integers(0, 2**63)


def test_progress_is_reported_up_to_one() -> None:
    seen: list[float] = []
    simulate_ssa(decay_crn(1.0, 5.0), volume=1.0, t_end=1.0, runs=30, seed=0, progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen)


def _pure_python_kernel():
    """A second copy of the kernel module, loaded with numba hidden (the fallback engine)."""
    import nn2crn.simulate._ssa_kernel as compiled_kernel

    saved = sys.modules.get("numba")
    sys.modules["numba"] = None  # type: ignore[assignment]  # makes `import numba` fail
    try:
        spec = importlib.util.spec_from_file_location("_ssa_kernel_python", compiled_kernel.__file__)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            del sys.modules["numba"]
        else:
            sys.modules["numba"] = saved
    assert not module.HAVE_NUMBA
    return module


def test_pure_python_fallback_gives_identical_results(monkeypatch: pytest.MonkeyPatch) -> None:
    import nn2crn.simulate.ssa as ssa

    crn = compiled([3, 4, 2], 8)
    x = inputs_for(crn, 2, 8)
    kwargs = dict(volume=6.0, t_end=4.0, runs=2, seed=5, n_points=11, rounding="stochastic")
    fast = simulate_ssa(crn, x, backend="numba", **kwargs)
    python_kernel = _pure_python_kernel()
    monkeypatch.setattr(ssa, "_kernel", lambda: python_kernel)
    slow = simulate_ssa(crn, x, backend="numba", **kwargs)
    assert slow.stats.backend == "python" and fast.stats.backend == "numba"
    assert np.array_equal(fast.states, slow.states)
    assert np.array_equal(fast.info["events"], slow.info["events"])
    assert np.array_equal(fast.info["leader_time"], slow.info["leader_time"])
    assert fast.info["events"].sum() > 50


# ---------------------------------------------------------------------------
# cross-check against rebop


def _rebop_final(
    crn: CRN, counts: np.ndarray, volume: float, t: float, runs: int, seed: int, names: list[str]
):
    """Counts of species `names` at time t in `runs` rebop runs, shape (runs, len(names))."""
    rebop = pytest.importorskip("rebop")
    model = rebop.Gillespie()
    for reaction in crn.reactions:
        reactants = [name for name, count in reaction.reactants for _ in range(count)]
        products = [name for name, count in reaction.products for _ in range(count)]
        model.add_reaction(reaction.rate / volume ** (len(reactants) - 1), reactants, products)
    init = {name: int(value) for name, value in zip(crn.species, counts, strict=True) if value}
    rng = np.random.default_rng(seed)
    finals = np.zeros((runs, len(names)))
    for run in range(runs):
        result = model.run(init, t, 1, rng=rng, var_names=names)
        finals[run] = [result[name].values[-1] for name in names]
    return finals


@pytest.mark.parametrize(
    "crn, volume, names",
    [
        (compiled([4, 8, 3], 9), 20.0, ["m1_0", "m1_3", "h1_2p", "y0p", "y0n", "y1p", "y1n", "y2p", "y2n"]),
        (
            CRN((Reaction({"A": 2}, ("B",), 1.0), Reaction(("A", "B"), ("C",), 2.0)), {"A": 3.0}),
            10.0,
            ["A", "B", "C"],
        ),
    ],
    ids=["compiled-4-8-3", "homodimer"],
)
def test_means_agree_with_rebop(crn: CRN, volume: float, names: list[str]) -> None:
    x = inputs_for(crn, 1, 9) if crn.n_inputs else None
    runs, t = 400, 0.6
    columns = [crn.species_index[name] for name in names]
    ours = simulate_ssa(crn, x, volume=volume, t_end=t, runs=runs, n_points=2, seed=21).info["final_counts"][
        :, columns
    ]
    base, _ = initial_counts(crn, x, volume=volume)
    theirs = _rebop_final(crn, base[0], volume, t, runs, 22, names)
    assert np.all(ours.std(axis=0) > 0) and np.all(theirs.std(axis=0) > 0)
    difference = ours.mean(axis=0) - theirs.mean(axis=0)
    standard_error = np.sqrt((ours.var(axis=0, ddof=1) + theirs.var(axis=0, ddof=1)) / runs)
    # 5 sigma per species keeps the family-wise false-alarm probability tiny (fixed seeds anyway).
    assert np.all(np.abs(difference) <= SIGMAS * standard_error)


# ---------------------------------------------------------------------------
# bad values


@pytest.mark.parametrize("volume", [0, -1.0, math.nan, math.inf, "big"])
def test_bad_volume(volume: object) -> None:
    with pytest.raises(SimulationError, match="volume"):
        simulate_ssa(decay_crn(), volume=volume, t_end=1.0)
    with pytest.raises(SimulationError, match="volume"):
        final_counts_nc(decay_crn(), volume=volume)


@pytest.mark.parametrize("runs", [0, -3, 1.5, True])
def test_bad_runs(runs: object) -> None:
    with pytest.raises(SimulationError, match="runs must be an integer >= 1"):
        simulate_ssa(decay_crn(), volume=1.0, t_end=1.0, runs=runs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"t_end": 0.0}, "t_end must be > 0"),
        ({"t_end": math.nan}, "t_end must be > 0"),
        ({"t_end": 1.0, "times": [0.0, 2.0]}, r"outside \[0, t_end"),
        ({"t_end": 1.0, "times": [0.5, 0.2]}, "strictly increasing"),
        ({"t_end": 1.0, "n_points": 1}, "n_points"),
        ({"t_end": 1.0, "store": "some"}, "store must be one of"),
        ({"t_end": 1.0, "rounding": "up"}, "rounding must be one of"),
        ({"t_end": 1.0, "seed": -1}, "seed must be"),
        ({"t_end": 1.0, "max_events": -1}, "max_events"),
        ({"t_end": 1.0, "n_threads": 0}, "n_threads must be an integer >= 1"),
    ],
)
def test_bad_settings(kwargs: dict, match: str) -> None:
    with pytest.raises(SimulationError, match=match):
        simulate_ssa(decay_crn(), volume=1.0, **kwargs)


def test_counts_that_would_overflow_int64_are_rejected() -> None:
    with pytest.raises(SimulationError, match=r"species A would start with .* 2\*\*62"):
        simulate_ssa(decay_crn(amount=1e10), volume=1e9, t_end=1.0)
    with pytest.raises(SimulationError, match="2\\*\\*62"):
        final_counts_nc(decay_crn(amount=1e10), volume=1e9)
    # Growth past the limit during the run: B starts at 2**61 and each event adds 2**60.
    growth = CRN((Reaction(("A",), {"B": 2**60}),), {"A": 4.0, "B": float(2**61)})
    with pytest.raises(SimulationError, match=r"count passed 2\*\*62 \(B\)"):
        simulate_ssa(growth, volume=1.0, t_end=100.0)
    with pytest.raises(SimulationError, match="2\\*\\*62"):
        final_counts_nc(growth, volume=1.0)


def test_max_events_and_endless_crns() -> None:
    autocatalytic = CRN((Reaction(("A",), {"A": 2}),), {"A": 1.0})
    with pytest.raises(SimulationError, match="may never stop"):
        simulate_ssa(autocatalytic, volume=1.0, t_end=math.inf)
    with pytest.raises(SimulationError, match="max_events = 100"):
        simulate_ssa(autocatalytic, volume=1.0, t_end=math.inf, max_events=100)
    with pytest.raises(SimulationError, match="hit max_events"):
        simulate_ssa(decay_crn(1.0, 50.0), volume=1.0, t_end=100.0, max_events=10)


def test_inputs_are_validated() -> None:
    crn = compiled([3, 4, 2], 1)
    with pytest.raises(InputDataError, match="expected 3 columns"):
        simulate_ssa(crn, np.zeros((2, 4)), volume=1.0, t_end=1.0)
    with pytest.raises(InputDataError, match="declares 3 inputs"):
        simulate_ssa(crn, volume=1.0, t_end=1.0)
    single = CRN((Reaction(("u",), ("v",)),), inputs=(Signal("u", ("u",)),))
    with pytest.raises(InputDataError, match="single-rail"):
        simulate_ssa(single, [[-1.0]], volume=1.0, t_end=1.0)


def test_empty_batches_and_crns_without_reactions() -> None:
    crn = compiled([3, 4, 2], 1)
    empty = simulate_ssa(crn, np.zeros((0, 3)), volume=3.0, t_end=2.0, runs=2)
    assert empty.states.shape == (0, 101, crn.n_species) and empty.info["events"].shape == (0,)
    inert = CRN((), {"A": 1.0})
    still = simulate_ssa(inert, volume=3.0, t_end=2.0, runs=2, n_points=3)
    assert np.all(still.states == 1.0) and list(still.info["termination"]) == ["exhausted"] * 2
    assert final_counts_nc(inert, volume=3.0).tolist() == [[3]]


def test_the_compiled_kernel_is_compiled_once_for_every_crn_and_setting() -> None:
    pytest.importorskip("numba")
    from nn2crn.simulate import _ssa_kernel

    crn = compiled([3, 4, 2], 3)
    simulate_ssa(crn, inputs_for(crn, 1, 3), volume=5.0, t_end=2.0)
    simulate_ssa(crn, inputs_for(crn, 9, 3), volume=5.0, t_end=2.0, runs=2, store="outputs", n_threads=1)
    simulate_ssa(crn, inputs_for(crn, 2, 3), volume=5.0, t_end=math.inf, rounding="stochastic", store="final")
    simulate_ssa(decay_crn(), volume=1.0, t_end=1.0, max_events=1000, progress=lambda _f: None)
    assert len(_ssa_kernel.run_batch.signatures) == 1
