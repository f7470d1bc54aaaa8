"""Sparse product blocks with short rows: numpy-only products (_RankedRows) equal dense ones,
and `nn2crn eval` of the shipped MNIST CRN imports no scipy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nn2crn._arrays import unique
from nn2crn.simulate import exact

ROOT = Path(__file__).resolve().parents[2]


def _random_block(rng, n_rows, n_columns, max_per_row):
    rows, columns = [], []
    for row in range(n_rows):
        chosen = rng.choice(n_columns, size=rng.integers(0, min(max_per_row, n_columns) + 1), replace=False)
        rows += [row] * len(chosen)
        columns += chosen.tolist()
    rows, columns = np.array(rows, dtype=np.int64), np.array(columns, dtype=np.int64)
    values = rng.choice([1.0, 1.0, 2.0, -3.0, 0.5], size=len(rows))
    dense = np.zeros((n_rows, n_columns))
    dense[rows, columns] = values
    return rows, columns, values, dense


@pytest.mark.parametrize("max_per_row", [1, 2, 4])
def test_ranked_rows_product_equals_the_dense_product(rng, max_per_row):
    for n_rows, n_columns in ((1, 1), (7, 3), (40, 25), (200, 60)):
        rows, columns, values, dense = _random_block(rng, n_rows, n_columns, max_per_row)
        order = rng.permutation(len(rows))  # the builder sorts the triplets itself
        block = exact._RankedRows.build(rows[order], columns[order], values[order], (n_rows, n_columns))
        x = rng.normal(size=(n_columns, 9))
        np.testing.assert_allclose(block @ x, dense @ x, rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(block @ x[:, 0], dense @ x[:, 0], rtol=1e-14, atol=1e-14)
        extended = (block @ x.astype(np.longdouble)).astype(np.float64)
        assert (block @ x.astype(np.longdouble)).dtype == np.longdouble
        np.testing.assert_allclose(extended, dense @ x, rtol=1e-14, atol=1e-14)
        ahead = rng.permutation(n_rows)
        np.testing.assert_allclose(block[ahead] @ x, dense[ahead] @ x, rtol=1e-14, atol=1e-14)


def test_the_product_is_a_fresh_array_even_for_a_slice_of_columns():
    block = exact._RankedRows.build(np.arange(3), np.arange(3), np.ones(3), (3, 3))
    assert block.first_full and block.passes[0][2] is None  # a plain copy of x's rows
    x = np.arange(6.0).reshape(3, 2)
    product = block @ x
    x[:] = 0.0
    np.testing.assert_array_equal(product, np.arange(6.0).reshape(3, 2))


def test_short_rowed_sparse_blocks_are_ranked_and_long_ones_stay_scipy(rng):
    rows, columns, values, _ = _random_block(rng, 300, 200, 2)
    assert isinstance(exact._block_matrix(rows, columns, values, (300, 200)), exact._RankedRows)
    long_rows = np.repeat(np.arange(30), 10)
    long_columns = np.tile(np.arange(10), 30) * 7
    block = exact._block_matrix(long_rows, long_columns, np.ones(300), (30, 70 * 30))
    assert not isinstance(block, (np.ndarray, exact._RankedRows))


def test_unique_equals_numpy(rng):
    for values in (
        np.array([], dtype=np.int64),
        np.array([3]),
        rng.integers(0, 20, size=100),
        rng.normal(size=50),
    ):
        np.testing.assert_array_equal(unique(values), np.unique(values))


def test_eval_of_the_mnist_crn_imports_neither_scipy_nor_numpy_ma(tmp_path):
    from nn2crn.compile import compile_network
    from nn2crn.crn import write_crn
    from nn2crn.nn import load_network

    crn = compile_network(load_network(ROOT / "src" / "nn2crn" / "models" / "mnist-196-64-10-ternary.json"))
    plan = exact.plan_exact(crn)
    assert any(isinstance(group.products_t, exact._RankedRows) for group in plan.groups)
    path, inputs = tmp_path / "mnist.crn", tmp_path / "x.csv"
    write_crn(crn, path)
    values = np.random.default_rng(3).uniform(0, 1, size=(50, crn.n_inputs))
    np.savetxt(inputs, values, delimiter=",", header=",".join(crn.input_names), comments="", fmt="%.6g")
    script = (
        "import sys\n"
        "from nn2crn.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "heavy = ('scipy', 'numpy.ma', 'numba', 'logging', 'concurrent.futures', 'json', 'tempfile')\n"
        "print('HEAVY', [name for name in heavy if name in sys.modules])\n"
        "raise SystemExit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "eval", str(path), "--inputs", str(inputs)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout
    lines = result.stdout.splitlines()
    printed = np.array([[float(cell) for cell in line.split(",")] for line in lines[1:51]])
    np.testing.assert_array_equal(
        printed, exact.stable_outputs(crn, np.loadtxt(inputs, delimiter=",", skiprows=1))
    )
