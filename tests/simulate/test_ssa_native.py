"""The ahead-of-time compiled C SSA kernel: bit-identical to the numba kernel, and no numba in a fresh SSA run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nn2crn._errors import SimulationError
from nn2crn.compile import compile_network
from nn2crn.crn import CRN, Reaction, write_crn
from nn2crn.nn.network import random_ternary_network
from nn2crn.simulate import _ssa_native
from nn2crn.simulate.ssa import simulate_ssa

SRC = Path(__file__).resolve().parents[2] / "src"

needs_c = pytest.mark.skipif(
    not _ssa_native.available(),
    reason="the C SSA kernel is not built (pip install -e . or python setup.py build_ext --inplace)",
)


def _compiled(widths: list[int], seed: int) -> CRN:
    return compile_network(random_ternary_network(widths, rng=np.random.default_rng(seed)))


def _same(a, b) -> None:
    assert a.stats.backend == "c" and b.stats.backend == "numba"
    assert np.array_equal(a.states, b.states)
    for key in ("status", "events", "leader_time", "t_last_event", "final_counts"):
        assert np.array_equal(getattr(a.stats, key), getattr(b.stats, key), equal_nan=True), key


@needs_c
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_c_kernel_matches_numba_bit_for_bit(threads: int) -> None:
    crn = _compiled([4, 5, 3], 2)
    x = np.random.default_rng(3).normal(size=(5, crn.n_inputs))
    kwargs = dict(
        volume=40.0, t_end=6.0, runs=3, seed=11, n_points=17, rounding="stochastic", n_threads=threads
    )
    c = simulate_ssa(crn, x, backend="c", **kwargs)
    numba = simulate_ssa(crn, x, backend="numba", **kwargs)
    _same(c, numba)
    assert c.info["events"].sum() > 1000


@needs_c
def test_c_kernel_matches_numba_on_zeroth_order_dimers_and_exhaustion() -> None:
    # 0 -> A (zeroth order), 2 A -> B (homodimer), A + B -> C, C -> 0; outputs read B and C.
    crn = CRN(
        (
            Reaction((), (("A", 1),), 2.0),
            Reaction((("A", 2),), (("B", 1),), 0.5),
            Reaction((("A", 1), ("B", 1)), (("C", 1),), 1.0),
            Reaction((("C", 1),), (), 0.3),
        ),
        {"A": 3.0, "B": 1.0},
    )
    for t_end, store in ((5.0, "all"), (2.0, "outputs"), (8.0, "final")):
        kwargs = dict(volume=7.0, t_end=t_end, runs=6, seed=4, store=store)
        _same(simulate_ssa(crn, backend="c", **kwargs), simulate_ssa(crn, backend="numba", **kwargs))
    decay = CRN((Reaction((("A", 1),), (), 1.0),), {"A": 2.0})
    kwargs = dict(volume=5.0, t_end=float("inf"), runs=4, seed=1)
    c = simulate_ssa(decay, backend="c", **kwargs)
    _same(c, simulate_ssa(decay, backend="numba", **kwargs))
    assert (c.info["final_counts"] == 0).all() and (c.info["events"] == 10).all()


@needs_c
def test_c_kernel_reports_max_events_like_numba() -> None:
    crn = CRN((Reaction((("A", 1),), (("A", 2),), 1.0),), {"A": 1.0})
    for backend in ("c", "numba"):
        with pytest.raises(SimulationError, match="hit max_events = 50"):
            simulate_ssa(crn, volume=10.0, t_end=100.0, max_events=50, backend=backend)


def test_backend_choice_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    import nn2crn.simulate.ssa as ssa

    crn = CRN((Reaction((("A", 1),), (), 1.0),), {"A": 2.0})
    with pytest.raises(SimulationError, match="backend must be one of"):
        simulate_ssa(crn, volume=5.0, t_end=1.0, backend="fortran")
    with pytest.raises(SimulationError, match="backend='c'.*tau-leap"):
        simulate_ssa(crn, volume=5.0, t_end=1.0, backend="c", method="tau-leap")
    monkeypatch.setattr(ssa, "_native", lambda: None)  # as if no compiler was there at install time
    with pytest.raises(SimulationError, match="not built"):
        simulate_ssa(crn, volume=5.0, t_end=1.0, backend="c")
    assert simulate_ssa(crn, volume=5.0, t_end=1.0).stats.backend == "numba"


def test_wrong_array_dtype_is_refused_before_the_c_call() -> None:
    with pytest.raises(TypeError, match="base must be a C-contiguous int64"):
        _ssa_native._address(np.zeros((2, 2)), "base")
    with pytest.raises(TypeError, match="C-contiguous"):
        _ssa_native._address(np.zeros((4, 4), dtype=np.int64)[:, ::2], "react_ptr")


@needs_c
def test_cli_ssa_in_a_fresh_process_imports_neither_numba_nor_scipy(tmp_path: Path) -> None:
    crn = _compiled([3, 4, 2], 5)
    write_crn(crn, tmp_path / "net.crn")
    x = np.random.default_rng(0).normal(size=(3, crn.n_inputs))
    (tmp_path / "x.csv").write_text(
        ",".join(crn.input_names) + "\n" + "\n".join(",".join(map(str, row)) for row in x) + "\n"
    )
    code = (
        "import sys\n"
        "from nn2crn.cli import main\n"
        "assert main(sys.argv[1:]) == 0\n"
        "print(sorted(m for m in ('numba', 'scipy', 'llvmlite') if m in sys.modules))\n"
    )
    argv = ["simulate", "net.crn", "--inputs", "x.csv", "--method", "ssa", "--volume", "50"]
    env = {**os.environ, "PYTHONPATH": str(SRC), "NN2CRN_NO_AUTO_WARMUP": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code, *argv, "-q", "-o", "t.csv"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]", result.stderr
    assert (tmp_path / "t.csv").read_text().count("\n") == 3 * 101 + 1


def _scipy_structure(crn: CRN) -> tuple:
    """The SSA's index arrays built with scipy.sparse, as before the numpy-only builder."""
    import scipy.sparse as sp

    from nn2crn.simulate.ssa import integer_output_matrix

    def parts(matrix, integer=True):
        matrix = sp.csr_array(matrix)
        matrix.eliminate_zeros()
        matrix.sort_indices()
        data = np.rint(matrix.data).astype(np.int64) if integer else matrix.data
        return matrix.indptr.astype(np.int64), matrix.indices.astype(np.int64), data

    reactants, stoichiometry = sp.csr_array(crn.reactant_matrix), sp.csr_array(crn.stoichiometry)
    react = parts(reactants)
    delta = parts(stoichiometry)
    changed = sp.csr_array((np.ones(delta[1].size), delta[1], delta[0]), shape=stoichiometry.shape)
    uses = sp.csr_array((np.ones(react[1].size), react[1], react[0]), shape=reactants.shape)
    dep = parts((changed @ uses.T).tocsr())[:2]
    out_matrix = integer_output_matrix(crn)
    out = parts(sp.csr_array(stoichiometry @ out_matrix.T.astype(np.float64)))
    return (*react, *delta, *dep, *out, out_matrix)


def test_numpy_structure_equals_the_scipy_construction() -> None:
    from nn2crn.compile import reduce_crn
    from nn2crn.simulate.ssa import _build_structure

    compiled = _compiled([6, 5, 4], 9)
    catalytic = CRN(
        (
            Reaction((("A", 1), ("B", 1)), (("A", 1), ("C", 2)), 1.0),  # A is a catalyst: no net change
            Reaction((("C", 2),), (("B", 1),), 0.5),
            Reaction((), (("A", 1),), 0.1),
        ),
        {"A": 1.0, "B": 2.0},
    )
    for crn in (compiled, reduce_crn(compiled), catalytic, CRN((), {})):
        new = _build_structure(crn)[1:]  # without the reaction orders
        old = _scipy_structure(crn)
        assert len(new) == len(old)
        for a, b in zip(new, old, strict=True):
            assert a.dtype == np.int64 and np.array_equal(a, b)


def test_inconsistent_arrays_are_refused_before_the_c_call() -> None:
    from nn2crn.simulate import ssa
    from nn2crn.simulate._ssa_types import BatchOutput, BatchSettings, BatchStart

    crn = CRN((Reaction((("A", 1),), (), 1.0),), {"A": 2.0})
    plan = ssa._plan(crn, 5.0)
    base, fraction = ssa.initial_counts(crn, volume=5.0)
    settings = BatchSettings(1.0, np.array([0.0, 1.0]), np.array([0], dtype=np.int64), 5.0, 100)

    def output(n_batch: int, n_times: int = 2) -> BatchOutput:
        return BatchOutput(
            np.zeros((n_batch, n_times, 1)),
            np.zeros((n_batch, 1), dtype=np.int64),
            *(np.zeros(n_batch, dtype=dtype) for dtype in (np.int64, np.int64, np.float64, np.float64)),
        )

    states = np.ones((1, 4), dtype=np.uint64)
    with pytest.raises(ValueError, match="index range"):  # input row 3 of a 1-row base
        _ssa_native.run_batch(BatchStart(base, fraction, np.array([3]), states), plan, settings, output(1), 1)
    with pytest.raises(ValueError, match="disagree in shape"):  # records for 3 sample times, 2 given
        _ssa_native.run_batch(
            BatchStart(base, fraction, np.array([0]), states), plan, settings, output(1, 3), 1
        )
    if _ssa_native.available():
        done = output(1)
        _ssa_native.run_batch(BatchStart(base, fraction, np.array([0]), states), plan, settings, done, 1)
        assert done.events[0] <= 10 and done.records[0, 0, 0] == 2.0
