"""Deterministic ODE simulation: analytic cases, SciPy/roadrunner agreement, failures, validation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from nn2crn import SimulationError
from nn2crn.compile.network_to_crn import compile_network
from nn2crn.crn import CRN, Reaction, Signal
from nn2crn.nn import random_ternary_network
from nn2crn.simulate import _ode_native
from nn2crn.simulate.exact import stable_outputs
from nn2crn.simulate.ode import simulate_ode

# numba is a core dependency: both backends are always there to compare; the C kernel when built.
BACKENDS = ["numpy", "numba"] + (["c"] if _ode_native.available() else [])


def mass_action_reference(
    crn: CRN, x0: np.ndarray, times: np.ndarray, rate_law: str = "mass-action"
) -> np.ndarray:
    """SciPy BDF at tight tolerances, with the analytic Jacobian; shape (n_times, n_species)."""
    columns, powers = crn.reactant_columns, crn.reactant_powers
    stoich = crn.stoichiometry.toarray()  # (n_reactions, n_species)
    rates = crn.rates
    valid = columns >= 0

    def phi(x):
        return x if rate_law == "mass-action" else x / (1.0 + np.abs(x))

    def dphi(x):
        return np.ones_like(x) if rate_law == "mass-action" else 1.0 / (1.0 + np.abs(x)) ** 2

    def factors(y):
        x = y[np.where(valid, columns, 0)]
        return x, np.where(valid, phi(x) ** powers, 1.0)

    def rhs(t, y):
        _, f = factors(y)
        return stoich.T @ (rates * f.prod(axis=1))

    def jacobian(t, y):
        x, f = factors(y)
        dv = np.zeros((len(rates), crn.n_species))
        for slot in range(columns.shape[1]):
            others = np.prod(np.delete(f, slot, axis=1), axis=1)
            n = powers[:, slot]
            d = n * phi(x[:, slot]) ** np.maximum(n - 1, 0) * dphi(x[:, slot])
            for r in np.flatnonzero(valid[:, slot]):
                dv[r, columns[r, slot]] += rates[r] * d[r] * others[r]
        return stoich.T @ dv

    solution = solve_ivp(
        rhs, (0.0, times[-1]), x0, method="BDF", t_eval=times, rtol=1e-11, atol=1e-13, jac=jacobian
    )
    assert solution.status == 0
    return solution.y.T


def random_crn(rng: np.random.Generator, n_species: int, n_reactions: int, reversible: bool) -> CRN:
    """Random small CRN without finite-time blow-up (products never outnumber bimolecular reactants)."""
    names = [f"S{i}" for i in range(n_species)]
    reactions = []
    for _ in range(n_reactions):
        order = int(rng.integers(0, 3)) if not reversible else int(rng.integers(1, 3))
        reactants = list(rng.choice(names, size=order))
        products = list(rng.choice(names, size=int(rng.integers(0, 3 if order < 2 else 2))))
        if reactants == products:
            continue
        rate = float(np.exp(rng.uniform(np.log(0.3), np.log(3.0))))
        reactions.append(Reaction(reactants, products, rate))
        if reversible and products:
            reactions.append(
                Reaction(products, reactants, float(np.exp(rng.uniform(np.log(0.3), np.log(3.0)))))
            )
    if order == 0:  # keep the last draw from being a pure inflow only
        reactions.append(Reaction([names[0]], [names[-1]], 1.0))
    initial = {name: float(rng.uniform(0.0, 2.0)) for name in names}
    return CRN(
        tuple(reactions), initial, outputs=(Signal("out", [names[0]], [names[-1]]),), species=tuple(names)
    )


def small_network_crn(rng: np.random.Generator, widths=(4, 5, 3)) -> tuple:
    network = random_ternary_network(widths, rng=rng)
    return network, compile_network(network)


# -- analytic cases --------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_first_order_decay_matches_exponential(backend):
    # C -> A -> B with C = 0: A is produced by a reaction, so it is integrated, not closed form.
    crn = CRN(
        (Reaction(["C"], ["A"]), Reaction(["A"], ["B"], 0.7)),
        inputs=(Signal("a", ["A"]),),
        outputs=(Signal("b", ["B"]),),
    )
    a0 = np.array([[0.5], [3.0]])
    trajectory = simulate_ode(crn, a0, t_end=10.0, n_points=21, rtol=1e-8, atol=1e-12, backend=backend)
    assert trajectory.info["n_integrated_species"] == 2
    expected = a0[:, :1] * (1 - np.exp(-0.7 * trajectory.times))[None, :]
    np.testing.assert_allclose(trajectory.outputs[:, :, 0], expected, rtol=1e-6, atol=1e-10)
    a = trajectory.states[:, :, crn.species_index["A"]]
    np.testing.assert_allclose(a, a0[:, :1] * np.exp(-0.7 * trajectory.times), rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("backend", BACKENDS)
def test_source_species_are_exact_closed_forms(backend):
    crn = CRN((Reaction(["A"], ["B"], 2.0),), inputs=(Signal("a", ["A"]),), outputs=(Signal("b", ["B"]),))
    trajectory = simulate_ode(crn, [[1.5]], t_end=3.0, n_points=7, backend=backend)
    assert trajectory.info["n_closed_form_species"] == 1
    np.testing.assert_allclose(
        trajectory.states[0, :, crn.species_index["A"]], 1.5 * np.exp(-2.0 * trajectory.times), rtol=1e-14
    )
    np.testing.assert_allclose(
        trajectory.outputs[0, :, 0], 1.5 * (1 - np.exp(-2.0 * trajectory.times)), rtol=1e-6, atol=1e-12
    )


@pytest.mark.parametrize("method", ["rodas5p", "rodas4"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_bimolecular_annihilation_matches_closed_form(backend, method):
    # A + B -> C with a0 != b0: a(t) = d / (1 - (b0 / a0) exp(-k d t)), d = a0 - b0.
    k, a0, b0 = 1.3, 2.0, 0.5
    crn = CRN(
        (Reaction(["A", "B"], ["C"], k),),
        inputs=(Signal("a", ["A"]), Signal("b", ["B"])),
        outputs=(Signal("c", ["C"]),),
    )
    trajectory = simulate_ode(
        crn,
        [[a0, b0], [b0, a0]],
        t_end=5.0,
        n_points=51,
        rtol=1e-8,
        atol=1e-12,
        backend=backend,
        method=method,
    )
    assert trajectory.info["solver"] == method.upper()
    d = a0 - b0
    a = d / (1 - (b0 / a0) * np.exp(-k * d * trajectory.times))
    index = crn.species_index
    np.testing.assert_allclose(trajectory.states[0, :, index["A"]], a, rtol=1e-6)
    np.testing.assert_allclose(trajectory.states[0, :, index["B"]], a - d, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(trajectory.outputs[0, :, 0], a0 - a, rtol=1e-6, atol=1e-10)
    # The mirrored row is the same dynamics with A and B swapped.
    np.testing.assert_allclose(trajectory.states[1, :, index["B"]], a, rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_zero_order_inflow_grows_linearly(backend):
    crn = CRN((Reaction([], ["A"], 0.25),), outputs=(Signal("a", ["A"]),))
    trajectory = simulate_ode(crn, t_end=8.0, n_points=5, backend=backend)
    np.testing.assert_allclose(trajectory.outputs[0, :, 0], 0.25 * trajectory.times, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_saturating_decay_matches_implicit_solution(backend):
    # a' = -k a / (1 + a)  =>  ln a + a = ln a0 + a0 - k t.
    crn = CRN((Reaction(["A"], ["B"], 0.8),), inputs=(Signal("a", ["A"]),), outputs=(Signal("b", ["B"]),))
    trajectory = simulate_ode(
        crn, [[4.0]], t_end=6.0, n_points=13, rate_law="saturating", rtol=1e-9, atol=1e-12, backend=backend
    )
    a = trajectory.states[0, :, crn.species_index["A"]]
    np.testing.assert_allclose(np.log(a) + a, np.log(4.0) + 4.0 - 0.8 * trajectory.times, atol=1e-6)
    np.testing.assert_allclose(trajectory.outputs[0, :, 0], 4.0 - a, atol=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
def test_linear_invariants_are_conserved(backend):
    # A + B <=> C, C -> D conserves A + C + D and B + C + D (Rosenbrock steps keep linear invariants).
    crn = CRN(
        (Reaction(["A", "B"], ["C"], 3.0), Reaction(["C"], ["A", "B"], 0.5), Reaction(["C"], ["D"], 0.2)),
        inputs=(Signal("a", ["A"]), Signal("b", ["B"])),
        outputs=(Signal("d", ["D"]),),
    )
    trajectory = simulate_ode(crn, [[2.0, 0.7], [0.1, 5.0]], t_end=40.0, n_points=9, backend=backend)
    index = crn.species_index
    states = trajectory.states
    first = states[:, :, index["A"]] + states[:, :, index["C"]] + states[:, :, index["D"]]
    second = states[:, :, index["B"]] + states[:, :, index["C"]] + states[:, :, index["D"]]
    np.testing.assert_allclose(first, np.array([[2.0], [0.1]]) * np.ones(9), rtol=1e-12)
    np.testing.assert_allclose(second, np.array([[0.7], [5.0]]) * np.ones(9), rtol=1e-12)


# -- agreement with SciPy ---------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", range(6))
def test_random_small_crns_agree_with_scipy_bdf(backend, seed):
    rng = np.random.default_rng(seed)
    crn = random_crn(
        rng, n_species=int(rng.integers(3, 7)), n_reactions=int(rng.integers(3, 8)), reversible=seed % 2 == 1
    )
    times = np.array([0.0, 0.1, 0.5, 1.0, 2.0, 4.0])
    trajectory = simulate_ode(crn, t_end=4.0, times=times, rtol=1e-9, atol=1e-12, backend=backend)
    expected = mass_action_reference(crn, crn.initial_vector.copy(), times)
    np.testing.assert_allclose(trajectory.states[0], expected, rtol=2e-6, atol=1e-8)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cyclic_crn_with_a_large_strongly_connected_block_agrees_with_scipy(backend):
    # SIR-like cycle: one 4-species strongly connected block (generic pivoted LU path).
    crn = CRN(
        (
            Reaction(["S", "I"], ["I", "I"], 1.5),
            Reaction(["I"], ["R"], 0.4),
            Reaction(["R"], ["W"], 0.3),
            Reaction(["W"], ["S"], 0.2),
            Reaction(["S", "W"], ["W", "W"], 0.1),
        ),
        {"S": 3.0, "I": 0.01, "R": 0.0, "W": 0.5},
        outputs=(Signal("infected", ["I"]),),
    )
    times = np.linspace(0.0, 30.0, 16)
    trajectory = simulate_ode(crn, t_end=30.0, times=times, rtol=1e-9, atol=1e-12, backend=backend)
    assert trajectory.info["largest_block"] == 4
    expected = mass_action_reference(crn, crn.initial_vector.copy(), times)
    np.testing.assert_allclose(trajectory.states[0], expected, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("backend", BACKENDS)
def test_compiled_network_with_random_rates_agrees_with_scipy(backend, rng):
    _, crn = small_network_crn(rng, (3, 4, 2))
    crn = crn.with_rates(np.exp(rng.uniform(np.log(0.2), np.log(5.0), size=crn.n_reactions)))
    x = rng.normal(size=(2, 3))
    times = np.linspace(0.0, 20.0, 11)
    trajectory = simulate_ode(crn, x, t_end=20.0, times=times, rtol=1e-9, atol=1e-12, backend=backend)
    for row in range(2):
        expected = mass_action_reference(crn, crn.initial_state(x[row])[0], times)
        np.testing.assert_allclose(trajectory.states[row], expected, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("backend", BACKENDS)
def test_saturating_rate_law_agrees_with_scipy_on_a_reversible_crn(backend):
    crn = CRN(
        (Reaction(["A", "B"], ["C"], 2.0), Reaction(["C"], ["A", "B"], 0.5), Reaction(["C"], ["D"], 0.3)),
        {"A": 2.0, "B": 1.0},
        outputs=(Signal("d", ["D"]),),
    )
    times = np.linspace(0.0, 10.0, 6)
    trajectory = simulate_ode(
        crn, t_end=10.0, times=times, rate_law="saturating", rtol=1e-9, atol=1e-12, backend=backend
    )
    expected = mass_action_reference(crn, crn.initial_vector.copy(), times, rate_law="saturating")
    np.testing.assert_allclose(trajectory.states[0], expected, rtol=1e-6, atol=1e-9)


def test_methods_agree_on_a_compiled_network(rng):
    _, crn = small_network_crn(rng, (6, 5, 4, 3))
    x = rng.normal(size=(5, 6))
    rodas5p = simulate_ode(crn, x, t_end=50.0, rtol=1e-9, atol=1e-12)
    rodas4 = simulate_ode(crn, x, t_end=50.0, rtol=1e-9, atol=1e-12, method="rodas4")
    np.testing.assert_allclose(rodas5p.states, rodas4.states, rtol=1e-6, atol=1e-9)
    assert rodas5p.info["steps"] < rodas4.info["steps"]


def test_backends_agree_on_a_compiled_network(rng):
    _, crn = small_network_crn(rng, (6, 5, 4, 3))
    x = rng.normal(size=(5, 6))
    numba = simulate_ode(crn, x, t_end=50.0, backend="numba")
    numpy = simulate_ode(crn, x, t_end=50.0, backend="numpy")
    np.testing.assert_allclose(numba.states, numpy.states, rtol=1e-9, atol=1e-11)
    assert numba.info["steps"] == numpy.info["steps"]


# -- compiled networks ------------------------------------------------------------------


def test_compiled_network_plan_structure(rng):
    from nn2crn.simulate._ode_plan import build_plan

    _, crn = small_network_crn(rng, (6, 5, 3))
    plan = build_plan(crn)
    # Inputs decay in closed form; each ReLU node integrates z+, m, z-, h+, h-; outputs are pairs.
    assert sorted(crn.species[i] for i in plan.sources) == sorted(f"x{i}{s}" for i in range(6) for s in "pn")
    assert plan.n_dynamic == 5 * 5 + 2 * 3
    assert plan.max_block == 2  # the co-reactants m + z- of each ReLU node
    pairs = {
        frozenset(crn.species[plan.dynamic[i]] for i in range(a, b))
        for a, b in zip(plan.block_start[:-1], plan.block_start[1:], strict=True)
        if b - a == 2
    }
    assert pairs == {frozenset({f"m1_{j}", f"z1_{j}n"}) for j in range(5)}
    assert len(plan.group_rate) == 1  # all rate constants 1: one exponential inflow
    saturating = build_plan(crn, "saturating")
    assert len(saturating.sources) == 0 and saturating.n_dynamic == crn.n_species


@pytest.mark.parametrize("rate_law", ["mass-action", "saturating"])
def test_outputs_approach_the_exact_stable_outputs(rng, rate_law):
    network, crn = small_network_crn(rng, (5, 6, 3))
    x = rng.normal(size=(8, 5))
    stable = stable_outputs(crn, x)
    np.testing.assert_allclose(stable, network.forward(x), atol=1e-9)
    times = np.array([0.0, 5.0, 20.0, 100.0, 1000.0])
    trajectory = simulate_ode(crn, x, t_end=1000.0, times=times, rate_law=rate_law)
    error = np.abs(trajectory.outputs - stable[:, None, :]).max(axis=(0, 2))
    assert error[-1] < 0.01
    assert error[-1] < error[2] < error[1]


def test_batch_rows_match_single_row_runs(rng):
    _, crn = small_network_crn(rng, (4, 6, 3))
    x = rng.normal(size=(7, 4))
    batch = simulate_ode(crn, x, t_end=40.0, n_points=9, rtol=1e-8, atol=1e-11)
    for row in (0, 3, 6):
        single = simulate_ode(crn, x[row], t_end=40.0, n_points=9, rtol=1e-8, atol=1e-11)
        np.testing.assert_allclose(batch.states[row], single.states[0], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
def test_amounts_stay_non_negative(backend, rng):
    # Equal amounts annihilating fast (stiff), plus a compiled network.
    crn = CRN((Reaction(["A", "B"], [], 50.0),), {"A": 10.0, "B": 10.0}, outputs=(Signal("a", ["A"]),))
    trajectory = simulate_ode(crn, t_end=100.0, n_points=50, rtol=1e-3, atol=1e-6, backend=backend)
    assert (trajectory.states >= 0).all()
    assert trajectory.info["max_clipped"] >= 0.0
    _, network_crn = small_network_crn(rng)
    trajectory = simulate_ode(
        network_crn, rng.normal(size=(4, 4)), t_end=100.0, rtol=1e-4, atol=1e-7, backend=backend
    )
    assert (trajectory.states >= 0).all()


def test_store_outputs_keeps_only_output_species(rng):
    _, crn = small_network_crn(rng)
    x = rng.normal(size=(3, 4))
    full = simulate_ode(crn, x, t_end=30.0, n_points=11)
    outputs_only = simulate_ode(crn, x, t_end=30.0, n_points=11, store="outputs")
    assert outputs_only.states.shape == (3, 11, 2 * crn.n_outputs)
    assert set(outputs_only.species) == {name for s in crn.outputs for name, _ in (*s.positive, *s.negative)}
    np.testing.assert_array_equal(outputs_only.outputs, full.outputs)
    np.testing.assert_array_equal(outputs_only.final_outputs, full.final_outputs)


def test_sample_times_and_progress(rng):
    _, crn = small_network_crn(rng)
    x = rng.normal(size=(70, 4))  # two chunks
    fractions: list[float] = []
    trajectory = simulate_ode(crn, x, t_end=5.0, times=[1.0, 2.5, 5.0], progress=fractions.append)
    np.testing.assert_array_equal(trajectory.times, [1.0, 2.5, 5.0])
    assert trajectory.info["chunks"] == 2
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) == 2
    reference = simulate_ode(crn, x[:3], t_end=5.0, n_points=3)  # 0, 2.5, 5
    np.testing.assert_allclose(trajectory.states[:3, 1:], reference.states[:, 1:], rtol=1e-5, atol=1e-7)


def test_threads_do_not_change_results(rng):
    _, crn = small_network_crn(rng)
    x = rng.normal(size=(150, 4))  # three chunks, the last one padded
    one = simulate_ode(crn, x, t_end=20.0, n_points=5, n_threads=1)
    three = simulate_ode(crn, x, t_end=20.0, n_points=5, n_threads=3)
    np.testing.assert_array_equal(one.states, three.states)
    assert one.info["steps"] == three.info["steps"]


def test_empty_batch(rng):
    _, crn = small_network_crn(rng)
    trajectory = simulate_ode(crn, np.zeros((0, 4)), t_end=1.0)
    assert trajectory.states.shape == (0, 101, crn.n_species)


# -- failures and validation --------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_finite_time_blow_up_is_reported_with_row_and_time(backend):
    # A + A -> 3 A: a' = a^2 blows up at t = 1 / a0; row 1 (a0 = 2) first, at t = 0.5.
    crn = CRN(
        (Reaction(["A", "A"], ["A", "A", "A"]),), inputs=(Signal("a", ["A"]),), outputs=(Signal("a", ["A"]),)
    )
    with pytest.raises(SimulationError, match=r"batch row 1 at t = 0\.(49|5)") as error:
        simulate_ode(crn, [[0.1], [2.0], [0.2]], t_end=10.0, backend=backend)
    assert "blow" in str(error.value)


@pytest.mark.parametrize("backend", BACKENDS)
def test_max_steps_is_reported(backend, rng):
    _, crn = small_network_crn(rng)
    with pytest.raises(SimulationError, match=r"batch row \d+ at t = .*max_steps = 5"):
        simulate_ode(crn, rng.normal(size=(2, 4)), t_end=100.0, max_steps=5, backend=backend)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"t_end": 0.0}, "t_end must be a finite number > 0"),
        ({"t_end": -5.0}, "t_end must be a finite number > 0"),
        ({"t_end": float("nan")}, "t_end must be a finite number > 0"),
        ({"t_end": "soon"}, "t_end must be a number"),
        ({"t_end": 1.0, "rtol": 0.0}, "rtol must be a finite number > 0"),
        ({"t_end": 1.0, "rtol": 1.0}, "rtol must be < 1"),
        ({"t_end": 1.0, "atol": -1e-9}, "atol must be a finite number > 0"),
        ({"t_end": 1.0, "rate_law": "hill"}, "rate_law must be one of mass-action, saturating"),
        ({"t_end": 1.0, "store": "some"}, "store must be one of all, outputs"),
        ({"t_end": 1.0, "n_points": 1}, "n_points must be an integer >= 2"),
        ({"t_end": 1.0, "times": [0.0, 0.5, 0.5, 1.0]}, r"strictly increasing, but times\[1\]"),
        ({"t_end": 1.0, "times": [-1.0, 1.0]}, "times must start at >= 0"),
        ({"t_end": 1.0, "times": [0.0, 0.9]}, "times must end at t_end"),
        ({"t_end": 1.0, "max_steps": 0}, "max_steps must be a positive integer"),
        ({"t_end": 1.0, "backend": "gpu"}, "backend must be one of"),
        ({"t_end": 1.0, "method": "rk45"}, "method must be one of rodas5p, rodas4"),
        ({"t_end": 1.0, "progress": 3}, "progress must be a callable"),
        ({"t_end": 1.0, "n_threads": 0}, "n_threads must be a positive integer or None"),
    ],
)
def test_invalid_settings_raise(options, message):
    crn = CRN((Reaction(["A"], ["B"]),), inputs=(Signal("a", ["A"]),))
    with pytest.raises(SimulationError, match=message):
        simulate_ode(crn, [[1.0]], **options)


# -- libroadrunner ------------------------------------------------------------------------


def test_agrees_with_libroadrunner_on_a_compiled_network(rng):
    roadrunner = pytest.importorskip("roadrunner")
    pytest.importorskip("libsbml")
    from nn2crn.crn.sbml import to_sbml

    _, crn = small_network_crn(rng, (3, 4, 2))
    x = rng.normal(size=3)
    runner = roadrunner.RoadRunner(to_sbml(crn, x))
    runner.integrator.relative_tolerance = 1e-10
    runner.integrator.absolute_tolerance = 1e-14
    runner.timeCourseSelections = ["time", *crn.species]
    expected = np.asarray(runner.simulate(0.0, 30.0, 16))[:, 1:]
    trajectory = simulate_ode(crn, x, t_end=30.0, n_points=16, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(trajectory.states[0], expected, rtol=1e-6, atol=1e-9)


def test_the_numba_kernel_is_compiled_once_for_every_crn_and_setting(rng):
    pytest.importorskip("numba")
    from nn2crn.simulate._ode_numba import integrate_chunk

    _, crn = small_network_crn(rng)
    cycle = CRN(
        (Reaction(["A", "B"], ["C"], 3.0), Reaction(["C"], ["A", "B"], 0.5)),
        {"A": 1.0, "B": 2.0},
        outputs=(Signal("c", ["C"]),),
    )
    simulate_ode(crn, rng.normal(size=(1, 4)), t_end=5.0, backend="numba")
    simulate_ode(crn, rng.normal(size=(70, 4)), t_end=5.0, times=[2.0, 5.0], store="outputs", backend="numba")
    simulate_ode(
        crn, rng.normal(size=(3, 4)), t_end=5.0, rate_law="saturating", method="rodas4", backend="numba"
    )
    simulate_ode(cycle, t_end=5.0, n_threads=1, backend="numba")
    assert len(integrate_chunk.signatures) == 1
