"""The C formatter of float rows (nn2crn._ccsv) writes each value exactly as repr() does."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn import _csv_native

pytestmark = pytest.mark.skipif(
    not _csv_native.available(),
    reason="the C CSV extension is not built (pip install -e . or python setup.py build_ext --inplace)",
)


def _expected(values: np.ndarray) -> str:
    return "".join(",".join(map(repr, row)) + "\n" for row in values.tolist())


def _check(values: np.ndarray) -> None:
    text = _csv_native.format_rows(values)
    expected = _expected(values)
    if text != expected:
        wrong = [(a, b) for a, b in zip(text.split("\n"), expected.split("\n"), strict=False) if a != b]
        raise AssertionError(f"first differing rows (C, repr): {wrong[:3]}")


def test_random_bit_patterns():
    # every exponent and mantissa, NaN and infinities among them (CPython formats those)
    rng = np.random.default_rng(0)
    _check(rng.integers(0, 2**64, size=(100_000, 5), dtype=np.uint64).view(np.float64))


def test_powers_of_two_and_their_neighbours():
    # at a power of two the lower neighbour is half as far: the interval is lopsided
    powers = 2.0 ** np.arange(-1074, 1024)
    _check(np.stack([powers, -powers, np.nextafter(powers, 0), np.nextafter(powers, np.inf)], axis=1))


def test_powers_of_ten_and_their_neighbours():
    powers = 10.0 ** np.arange(-30, 40)
    _check(np.stack([powers, np.nextafter(powers, 0), np.nextafter(powers, np.inf)], axis=1))


def test_subnormals_integers_and_the_switch_to_exponents():
    rng = np.random.default_rng(1)
    _check(rng.integers(0, 2**52, size=(20_000, 3), dtype=np.uint64).view(np.float64))  # subnormals
    _check(rng.integers(-(10**17), 10**17, size=(20_000, 4)).astype(np.float64))
    _check(rng.uniform(1e15, 1e17, size=(20_000, 4)))  # repr turns to exponents at 1e16
    _check(rng.uniform(1e-6, 1e-3, size=(20_000, 4)))  # and below 1e-4
    _check(np.round(rng.uniform(-100, 100, size=(20_000, 6)), 3))  # short decimals
    _check(rng.integers(-1000, 1000, size=(5_000, 4)) / 64.0)  # exact binary fractions


def test_ties_zeros_and_extremes():
    # 2**49 + 0.25: two shortest candidates equally near (repr takes the even one)
    special = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1e-5, 1e-4]
    special += [9.999999999999999e-5, 1e16, 9999999999999998.0, 2**49 + 0.25, 2**49 + 0.75, 0.1, 1 / 3]
    special += [float("inf"), float("-inf"), float("nan"), 1e23, 9.999999999999999e22, 123456789012345678.0]
    _check(np.array([special]))
    _check(np.array([[2**49 + k / 4 for k in range(64)]]))


def test_shapes():
    assert _csv_native.format_rows(np.zeros((0, 3))) == ""
    assert _csv_native.format_rows(np.zeros((2, 0))) == "\n\n"
    assert _csv_native.format_rows(np.arange(6.0).reshape(3, 2)[:, ::-1]) == "1.0,0.0\n3.0,2.0\n5.0,4.0\n"
    with pytest.raises(ValueError, match="2-D"):
        _csv_native.format_rows(np.zeros(3))


def test_without_the_extension_the_cli_writes_and_reads_the_same(tmp_path, monkeypatch):
    # An install without a C compiler: the Python paths give the same text and the same table.
    from nn2crn.cli import _inputs
    from nn2crn.cli._output import float_rows_text

    values = np.random.default_rng(2).normal(size=(50, 4)) * 10.0 ** np.arange(-6, 18, 6)
    text = float_rows_text(values)
    path = tmp_path / "x.csv"
    path.write_text("a,b,c,d\n" + text)
    table = _inputs.read_inputs_csv(path, ("a", "b", "c", "d"))
    monkeypatch.setattr(_csv_native, "_load", lambda: None)
    monkeypatch.setattr(_csv_native, "_load_formatter", lambda: None)
    assert _csv_native.format_rows(values) is None and not _csv_native.available()
    assert float_rows_text(values) == text == _expected(values)
    again = _inputs.read_inputs_csv(path, ("a", "b", "c", "d"))
    assert again.values.tobytes() == table.values.tobytes() == values.tobytes()


def test_the_scanner_refuses_targets_that_leave_a_column_unfilled():
    data = b"a,b\n1,2\n"
    with pytest.raises(ValueError, match="each column once"):
        _csv_native.parse_numeric_csv(data, 4, [0, 0], 2, max_line=100, max_text=100)
    with pytest.raises(ValueError, match="each column once"):
        _csv_native.parse_numeric_csv(data, 4, [0, _csv_native.SKIP], 2, max_line=100, max_text=100)
    table = _csv_native.parse_numeric_csv(data, 4, [1, 0], 2, max_line=100, max_text=100)
    assert table is not None and table.values.tolist() == [[2.0, 1.0]]
