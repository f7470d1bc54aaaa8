"""The ahead-of-time compiled C ODE kernel: the same results as the numba kernel, no numba or
scipy in a fresh ODE run, and the plan's strongly connected components equal to scipy's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nn2crn._errors import SimulationError
from nn2crn.compile import compile_network, reduce_crn
from nn2crn.crn import CRN, Reaction, Signal, write_crn
from nn2crn.nn import load_network
from nn2crn.nn.network import random_ternary_network
from nn2crn.simulate import _ode_native
from nn2crn.simulate._ode_plan import build_plan, strong_components
from nn2crn.simulate.ode import simulate_ode

SRC = Path(__file__).resolve().parents[2] / "src"
MODELS = SRC / "nn2crn" / "models"

needs_c = pytest.mark.skipif(
    not _ode_native.available(),
    reason="the C ODE kernel is not built (pip install -e . or python setup.py build_ext --inplace)",
)


def _model(name: str) -> CRN:
    return compile_network(load_network(MODELS / f"{name}.json"))


def _same(crn: CRN, x: object, **kwargs) -> tuple:
    c = simulate_ode(crn, x, backend="c", **kwargs)
    numba = simulate_ode(crn, x, backend="numba", **kwargs)
    assert c.stats.backend == "c" and numba.stats.backend == "numba"
    np.testing.assert_allclose(c.states, numba.states, rtol=1e-12, atol=0.0)
    for key in ("steps", "rejected_steps", "rhs_evaluations", "max_clipped", "chunks"):
        assert getattr(c.stats, key) == getattr(numba.stats, key), key
    return c, numba


@needs_c
@pytest.mark.parametrize("name", ["iris-4-3-3-ternary", "virus-10-8-4-ternary", "mnist-196-64-10-ternary"])
def test_c_kernel_matches_numba_on_compiled_models(name: str) -> None:
    crn = _model(name)
    x = np.random.default_rng(1).normal(size=(5, crn.n_inputs))
    c, numba = _same(crn, x, t_end=60.0, n_points=13, rtol=1e-6, atol=1e-9)
    assert np.array_equal(c.states, numba.states)  # the same arithmetic in the same order
    assert c.stats.steps > 20


@needs_c
def test_c_kernel_matches_numba_on_reduced_saturating_and_rodas4() -> None:
    compiled = compile_network(random_ternary_network([4, 6, 5, 3], rng=np.random.default_rng(7)))
    x = np.random.default_rng(2).normal(size=(9, compiled.n_inputs))
    _same(reduce_crn(compiled), x, t_end=40.0, n_points=9)
    _same(reduce_crn(compiled, keep_inputs=False), x, t_end=40.0, n_points=9)
    _same(compiled, x, t_end=40.0, n_points=9, rate_law="saturating", store="outputs")
    _same(compiled, x, t_end=40.0, times=[0.0, 0.5, 7.0, 40.0], method="rodas4", rtol=1e-8, atol=1e-11)


@needs_c
def test_c_kernel_matches_numba_on_powers_cycles_and_a_large_block() -> None:
    # 2 A -> B (integer power), a reversible pair and a 3-cycle (blocks of size 2 and 3, LU
    # with pivoting), a constant species and a closed-form source feeding A.
    crn = CRN(
        (
            Reaction({"A": 2}, ["B"], 0.7),
            Reaction(["B", "C"], ["D"], 1.3),
            Reaction(["D"], ["B", "C"], 0.4),
            Reaction(["D"], ["E"], 0.9),
            Reaction(["E"], ["F"], 2.0),
            Reaction(["F"], ["G"], 1.1),
            Reaction(["G", "E"], ["E", "E"], 0.3),
            Reaction(["G"], ["D"], 0.5),
            Reaction(["S"], ["A"], 0.8),
            Reaction({"A": 3}, ["C"], 0.05),
        ),
        {"C": 1.5, "K": 2.0},
        inputs=(Signal("s", ["S"]), Signal("a", ["A"])),
        outputs=(Signal("b", ["B"]), Signal("g", ["G"])),
    )
    assert build_plan(crn).max_block >= 3
    x = np.abs(np.random.default_rng(4).normal(size=(11, 2))) * 3
    for rate_law in ("mass-action", "saturating"):
        _same(crn, x, t_end=25.0, n_points=26, rate_law=rate_law, rtol=1e-8, atol=1e-11)


@needs_c
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_c_kernel_chunks_of_rows_of_very_different_sizes(threads: int) -> None:
    # 150 rows over six orders of magnitude: three chunks, the last one padded.
    crn = compile_network(random_ternary_network([3, 5, 2], rng=np.random.default_rng(5)))
    rng = np.random.default_rng(6)
    x = rng.normal(size=(150, crn.n_inputs)) * 10.0 ** rng.uniform(-3, 3, size=(150, 1))
    c, _ = _same(crn, x, t_end=30.0, n_points=7, n_threads=threads)
    assert c.stats.chunks == 3
    alone = simulate_ode(crn, x, t_end=30.0, n_points=7, backend="c", n_threads=1)
    assert np.array_equal(c.states, alone.states)  # no dependence on the threads


@needs_c
def test_c_kernel_reports_a_blow_up_as_numba_does() -> None:
    crn = CRN(
        (Reaction(["A", "A"], ["A", "A", "A"]),), inputs=(Signal("a", ["A"]),), outputs=(Signal("a", ["A"]),)
    )
    messages = []
    for backend in ("c", "numba"):
        with pytest.raises(SimulationError, match=r"batch row 1 at t = 0\.(49|5).*blow") as error:
            simulate_ode(crn, [[0.1], [2.0], [0.2]], t_end=10.0, backend=backend)
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    for backend in ("c", "numba"):
        with pytest.raises(SimulationError, match="max_steps = 3") as error:
            simulate_ode(crn, [[0.1]], t_end=10.0, max_steps=3, backend=backend)
        messages.append(str(error.value))
    assert messages[2] == messages[3]


@needs_c
def test_auto_prefers_c_and_layered_needs_numba() -> None:
    crn = _model("iris-4-3-3-ternary")
    x = np.random.default_rng(0).normal(size=(2, crn.n_inputs))
    assert simulate_ode(crn, x, t_end=5.0).stats.backend == "c"
    assert simulate_ode(crn, x, t_end=5.0, layered=True).stats.backend == "numba"
    with pytest.raises(SimulationError, match="layered=True needs backend='numba'"):
        simulate_ode(crn, x, t_end=5.0, backend="c", layered=True)


@needs_c
def test_c_kernel_refuses_arrays_that_disagree_with_the_plan() -> None:
    from nn2crn.simulate._ode_control import StepControl
    from nn2crn.simulate._ode_rodas import TABLEAUS

    plan = build_plan(_model("iris-4-3-3-ternary"))
    tableau = TABLEAUS["rodas5p"]
    control = StepControl(1e-6, 1e-9, 100, tableau.exponent)
    y = np.ones((plan.n_dynamic, 8))
    coef = np.zeros((plan.force_target.shape[0], 8))
    times = np.array([0.0, 1.0])
    store = np.array([0, plan.n_dynamic], dtype=np.int64)  # one past the end
    with pytest.raises(ValueError, match="disagree"):
        _ode_native.integrate_chunk(
            y, coef, times, store, np.zeros((8, 2, 2)), plan.kernel(), tableau.kernel(), control
        )
    with pytest.raises(TypeError, match="y must be a C-contiguous float64"):
        _ode_native.integrate_chunk(
            np.asfortranarray(y),
            coef,
            times,
            store[:1],
            np.zeros((8, 2, 1)),
            plan.kernel(),
            tableau.kernel(),
            control,
        )


# -- the plan without scipy ----------------------------------------------------------------


def _random_graph(rng: np.random.Generator, n: int, density: float) -> tuple[np.ndarray, np.ndarray]:
    n_edges = int(density * n)
    sources = rng.integers(0, n, size=n_edges)
    # mostly forward edges with a few back edges: cycles of many sizes, long paths
    jump = rng.integers(1, max(2, n // 4), size=n_edges)
    back = rng.random(n_edges) < 0.15
    targets = np.where(back, sources - jump, sources + jump) % n
    return sources, targets


@needs_c
@pytest.mark.parametrize("seed", range(8))
def test_strong_components_equal_scipys(seed: int) -> None:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    sources, targets = _random_graph(rng, n, float(rng.uniform(0.3, 4.0)))
    graph = sp.csr_array((np.ones(len(sources)), (sources, targets)), shape=(n, n))
    expected_count, expected = connected_components(graph, directed=True, connection="strong")
    count, labels = strong_components(n, sources, targets)
    assert count == expected_count
    assert np.array_equal(labels, expected)  # the same numbering, not only the same partition
    if seed == 0:
        assert 1 < count < n


@needs_c
def test_strong_components_of_a_long_chain_and_a_long_cycle() -> None:
    # A path of 200,000 nodes: the iterative search needs no recursion depth.
    n = 200_000
    chain = np.arange(n - 1)
    count, labels = strong_components(n, chain, chain + 1)
    assert count == n and np.array_equal(labels, np.arange(n)[::-1])
    count, labels = strong_components(n, np.arange(n), (np.arange(n) + 1) % n)
    assert count == 1 and not labels.any()


@needs_c
def test_inflow_coefficients_equal_scipys_product_bit_for_bit() -> None:
    import scipy.sparse as sp

    crn = _model("mnist-196-64-10-ternary")
    plan = build_plan(crn)
    x0 = crn.initial_state(np.random.default_rng(3).normal(size=(13, crn.n_inputs)))
    matrix = sp.csr_array(
        (plan.force_vals, (plan.force_rows, plan.force_cols)),
        shape=(crn.n_species, plan.force_target.shape[0]),
    )
    expected = np.asarray(matrix.T @ x0.T)
    assert np.array_equal(plan.inflow_coefficients(x0), expected)
    assert expected.any()


@needs_c
def test_ode_plan_and_control_import_neither_scipy_nor_numba() -> None:
    code = (
        "import json, sys, numpy as np\n"
        "from nn2crn.crn import CRN, Reaction, Signal\n"
        "from nn2crn.simulate.ode import simulate_ode\n"
        "crn = CRN((Reaction(['A', 'B'], ['C']), Reaction(['C'], ['A', 'B'], 0.5)), {'B': 1.0},"
        " inputs=(Signal('a', ['A']),))\n"
        "t = simulate_ode(crn, [[2.0]], t_end=3.0)\n"
        "print(json.dumps([t.stats.backend, sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('scipy', 'numba', 'llvmlite'))]))\n"
    )
    environment = dict(os.environ, PYTHONPATH=str(SRC))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True
    )
    backend, heavy = json.loads(result.stdout)
    assert backend == "c"  # the fallbacks (no C extension) import numba and scipy by design
    assert heavy == []


@needs_c
def test_cli_simulate_of_a_compiled_network_imports_neither_numba_nor_scipy(tmp_path: Path) -> None:
    crn = _model("iris-4-3-3-ternary")
    write_crn(crn, tmp_path / "iris.crn")
    x = np.random.default_rng(0).normal(size=(3, crn.n_inputs))
    lines = [",".join(crn.input_names)] + [",".join(map(repr, row)) for row in x.tolist()]
    (tmp_path / "x.csv").write_text("\n".join(lines) + "\n")
    code = (
        "import sys\n"
        "from nn2crn.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as stop:\n"
        "    assert not stop.code, stop.code\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'numba'))))\n"
    )
    argv = ["simulate", str(tmp_path / "iris.crn"), "--inputs", str(tmp_path / "x.csv"), "--t-end", "20"]
    argv += ["-q", "-o", str(tmp_path / "traj.csv")]
    environment = dict(os.environ, PYTHONPATH=str(SRC))
    result = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, env=environment, check=True
    )
    assert result.stdout.strip() == ""
    assert (tmp_path / "traj.csv").read_text().count("\n") == 1 + 3 * 101


@needs_c
def test_csr_of_edges_sorts_each_row_and_keeps_repeats() -> None:
    rng = np.random.default_rng(9)
    n = 300
    sources, targets = rng.integers(0, n, size=5000), rng.integers(0, n, size=5000)
    indptr, indices = _ode_native.csr_of_edges(n, sources, targets)
    order = np.lexsort((targets, sources))
    assert np.array_equal(indices, targets[order])
    assert np.array_equal(indptr, np.concatenate(([0], np.cumsum(np.bincount(sources, minlength=n)))))
    with pytest.raises(ValueError, match="not a node"):
        _ode_native.csr_of_edges(n, sources, np.where(targets == 0, n, targets))


@needs_c
@pytest.mark.parametrize("name", ["iris-4-3-3-ternary", "virus-10-8-4-ternary", "mnist-196-64-10-ternary"])
def test_plan_without_the_extension_is_the_same_plan(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An install without a C compiler plans with scipy and numpy (np.add.at) instead: the same arrays."""
    import dataclasses

    crns = [_model(name), reduce_crn(_model(name))]
    native = [build_plan(crn) for crn in crns]
    x0 = [crn.initial_state(np.random.default_rng(1).standard_normal((5, crn.n_inputs))) for crn in crns]
    native_coef = [plan.inflow_coefficients(x) for plan, x in zip(native, x0, strict=True)]
    monkeypatch.setattr(_ode_native, "available", lambda: False)
    for crn, plan, x, coef in zip(crns, native, x0, native_coef, strict=True):
        fallback = build_plan(crn)
        for field in dataclasses.fields(plan):
            ours, theirs = getattr(plan, field.name), getattr(fallback, field.name)
            if isinstance(ours, np.ndarray):
                assert ours.dtype == theirs.dtype, field.name
                np.testing.assert_array_equal(ours, theirs, err_msg=field.name)
            else:
                assert ours == theirs, field.name
        np.testing.assert_array_equal(fallback.inflow_coefficients(x), coef)
