"""The inputs CSV reader's C scanner (nn2crn._ccsv) gives exactly what the general reader gives.

Every file is read twice through read_inputs_csv: with the C scanner first, and with the
general reader alone. The two outcomes (values bit for bit, labels, names; or the error
type and message) must be equal, and the files a test calls regular must be taken by the
scanner itself (not handed on), so a scanner that gave up on everything would fail.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn2crn import NN2CRNError, _csv_native
from nn2crn.cli import _inputs

pytestmark = pytest.mark.skipif(
    not _csv_native.available(),
    reason="the C CSV scanner is not built (pip install -e . or python setup.py build_ext --inplace)",
)

NAMES = ("x0", "x1", "x2")
NAME_SETS = (NAMES, ("a", "b", "c"))


@pytest.fixture(params=["one piece", "two pieces"])
def split(request, monkeypatch):
    """Each test with the file in one piece and split between two threads (as big files are)."""
    if request.param == "two pieces":
        monkeypatch.setattr(_csv_native, "_THREAD_BYTES", 0)
    return request.param


def _outcome(path, readers):
    saved = _inputs._FAST_READERS
    _inputs._FAST_READERS = readers
    try:
        table = _inputs.read_inputs_csv(path, *NAME_SETS)
    except NN2CRNError as error:
        return ("error", type(error).__name__, str(error))
    finally:
        _inputs._FAST_READERS = saved
    return ("ok", table.values.shape, table.values.tobytes(), table.labels, table.names)


def _compare(tmp_path, data: bytes, *, regular: bool):
    path = tmp_path / "inputs.csv"
    path.write_bytes(data)
    native = _inputs._read_native_csv(data, NAME_SETS)
    assert (native is not None) == regular, data[:200]
    general = _outcome(path, ())
    assert _outcome(path, ("native",)) == general
    return general


def _format(value: float, style: str) -> str:
    if style == "repr":
        return repr(value)
    if style == "g3":
        return f"{value:.3g}"
    if style == "int" and abs(value) < 1e30:  # longer cells are left to the other readers
        return str(round(value))
    if style == "exp":
        return f"{value:.6E}"
    if style == "fixed" and abs(value) < 1e30:
        return f"{value:.12f}"
    return f"{value:.25e}"  # more than 19 digits: strtod


@st.composite
def _regular_csv(draw: st.DrawFn) -> tuple[bytes, np.ndarray]:
    n_rows = draw(st.integers(1, 12))
    order = draw(st.permutations(NAMES))
    label_at = draw(st.sampled_from([None, 0, 1, 2, 3]))
    header = list(order)
    if label_at is not None:
        header.insert(label_at, "label")
    bits = draw(st.lists(st.integers(0, 2**64 - 1), min_size=3 * n_rows, max_size=3 * n_rows))
    raw = np.array(bits, dtype=np.uint64).view(np.float64).reshape(n_rows, 3)
    scale = draw(st.sampled_from(["bits", "unit", "wide", "small"]))
    if scale != "bits":
        generator = np.random.default_rng(draw(st.integers(0, 2**32)))
        raw = {
            "unit": generator.uniform(-1, 1, raw.shape),
            "wide": generator.normal(size=raw.shape) * 10.0 ** generator.integers(-30, 30, raw.shape),
            "small": generator.integers(-1000, 1000, raw.shape) / 8.0,
        }[scale]
    raw = np.where(np.isfinite(raw), raw, 1.5)
    style = draw(st.sampled_from(["repr", "g3", "int", "exp", "fixed", "long"]))
    pad = draw(st.sampled_from(["", " ", "\t", " \t "]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [",".join(f"{pad}{name}{pad}" for name in header)]
    for row_number, row in enumerate(raw.tolist()):
        cells = {name: _format(value, style) for name, value in zip(order, row, strict=True)}
        fields = [
            f"{pad}{cells[name]}{pad}" if name != "label" else f"{pad}class {row_number}" for name in header
        ]
        lines.append(",".join(fields))
    text = newline.join(lines) + draw(st.sampled_from(["", newline, newline * 3, f"{newline} , ,{newline}"]))
    bom = draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    return bom + text.encode("ascii"), raw


@settings(max_examples=300, deadline=None)
@given(case=_regular_csv())
def test_regular_files_are_read_by_the_scanner_with_the_general_readers_values(tmp_path_factory, case):
    data, _ = case
    tmp_path = tmp_path_factory.mktemp("csv")
    for thread_bytes in (_csv_native._THREAD_BYTES, 0):
        saved = _csv_native._THREAD_BYTES
        _csv_native._THREAD_BYTES = thread_bytes
        try:
            outcome = _compare(tmp_path, data, regular=True)
        finally:
            _csv_native._THREAD_BYTES = saved
        assert outcome[0] == "ok"


def test_reprs_read_back_bit_for_bit(tmp_path, split):
    rng = np.random.default_rng(3)
    values = rng.integers(0, 2**64, size=(400, 3), dtype=np.uint64).view(np.float64)
    values = np.where(np.isfinite(values), values, 0.0)
    values[:10] = [[5e-324, -0.0, 2.2250738585072014e-308]] * 10  # subnormal, signed zero, smallest normal
    text = "x2,x0,label,x1\n" + "".join(
        f"{c!r},{a!r},row{i},{b!r}\n" for i, (a, b, c) in enumerate(values.tolist())
    )
    path = tmp_path / "x.csv"
    path.write_text(text)
    table = _inputs._read_native_csv(text.encode(), NAME_SETS)
    assert table is not None
    assert table.values.tobytes() == values.tobytes()
    assert table.labels == tuple(f"row{i}" for i in range(400))
    assert _outcome(path, ("native",)) == _outcome(path, ())


@pytest.mark.parametrize(
    "cell",
    [
        "0.1",
        "1e22",
        "1e23",
        "9007199254740993",
        "123456789012345678901234567890",
        "4.9e-324",
        "2e-308",
        "0.000000000000000000000000000001",
        "1.7976931348623157e308",
        "-0",
        "+.5",
        "4.",
        "007",
        "0e999999999",
    ],
)
def test_hard_cells_are_float(tmp_path, cell, split):
    # powers of ten past the exact ones, mantissas past 2**53, subnormals, the largest double
    data = f"x0,x1,x2\n{cell},1,2\n".encode()
    outcome = _compare(tmp_path, data, regular=True)
    assert outcome[2][:8] == np.array([float(cell)]).tobytes()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"x0,x1,x2\n1,2,nan\n", "inputs.csv:2: column 'x2': nan is not a finite number"),
        (b"x0,x1,x2\n1,2,inf\n", "inputs.csv:2: column 'x2': inf is not a finite number"),
        (b"x0,x1,x2\n1,2,1e999\n", "inputs.csv:2: column 'x2': 1e999 is not a finite number"),
        (b"x0,x1,x2\n1,2,3\n1,2\n", "inputs.csv:3: has 2 fields, expected 3"),
        (b"x0,x1,x2\n1,2,3,4\n", "inputs.csv:2: has 4 fields, expected 3"),
        (b"x0,x1,x2\n1,2,abc\n", "inputs.csv:2: column 'x2': 'abc' is not a number"),
        (b"x0,x1,x2\n1,2,0x1p3\n", "inputs.csv:2: column 'x2': '0x1p3' is not a number"),
        (b"x0,x1,x2\n1,2,\n", "inputs.csv:2: column 'x2': '' is not a number"),
        (b"x0,x1,x2\n1,2,3\n\n4,5,6\n", "inputs.csv:3: has 0 fields, expected 3"),
        (b"x0,x1,x9\n1,2,3\n", "inputs.csv:1: header does not match the inputs (missing x2; unknown x9)"),
        (b"x0,x1,x2\n", "inputs.csv: no data rows after the header"),
        (b"x0,x1,x2", "inputs.csv: no data rows after the header"),
        (b"x0,x1,x2\n1,2,\xff\n", "inputs.csv: cannot read ('utf-8' codec can't decode byte 0xff"),
        (b"x0,x1,x2\n1,2,3\x00\n", "inputs.csv:2: column 'x2': '3\\x00' is not a number"),
        (b"x0,x1,x2\n1,2,1e\n", "inputs.csv:2: column 'x2': '1e' is not a number"),
        (b"x0,x1,x2\n1,2,.\n", "inputs.csv:2: column 'x2': '.' is not a number"),
        (b"x0,x1,x2\n1,2,1 2\n", "inputs.csv:2: column 'x2': '1 2' is not a number"),
    ],
)
def test_irregular_files_get_the_general_readers_message(tmp_path, data, message, split):
    outcome = _compare(tmp_path, data, regular=False)
    assert outcome[0] == "error" and outcome[2].startswith(f"{tmp_path}/{message}"), outcome


@pytest.mark.parametrize(
    "data",
    [
        b"x0,x1,x2\n1,2,1_0\n",  # float() takes underscores
        b'x0,x1,x2\n1,2,"3"\n',  # quotes
        b'"x0",x1,x2\n1,2,3\n',
        b"x0,x1,x2\n1,2,\xe2\x80\x837\n",  # a Unicode space, which str.strip removes
        b"x0,x1,x2\n1,2,\x1c3\n",  # a separator str.strip removes
        b"x0,x1,x2\n1,2,3\r4,5,6\n",  # a lone CR: a line break after universal newlines
        b"x0,x1,x2,label\n1,2,3,caf\xc3\xa9\n",  # a non-ASCII label
        b"x0,x1,x2\n1,2,1" + b"0" * 150 + b"\n",  # a cell past MAX_NUMBER_CHARS
        b"x0,x1,x2\n\xef\xbb\xbf1,2,3\n",  # a BOM not at the start
        b"x0,x1,x2\n1,2,Infinity\n",
    ],
)
def test_unusual_files_are_left_to_the_other_readers(tmp_path, data, split):
    _compare(tmp_path, data, regular=False)


def test_labels_and_a_second_label_column(tmp_path, split):
    data = b"label,x1,x0,label,x2\n a , 1,2,ignored,3\r\n,4,5,,6\r\n"
    outcome = _compare(tmp_path, data, regular=True)
    assert outcome[3] == ("a", "")
    assert outcome[2] == np.array([[2.0, 1.0, 3.0], [5.0, 4.0, 6.0]]).tobytes()


def test_blank_lines_end_the_table_only_at_the_end(tmp_path, split):
    assert _compare(tmp_path, b"a,b,c\n1,2,3\n , ,\n\n,,\n", regular=True)[1] == (1, 3)
    _compare(tmp_path, b"a,b,c\n1,2,3\n , ,\n4,5,6\n", regular=False)


def test_big_file_split_between_threads(tmp_path):
    rng = np.random.default_rng(5)
    values = rng.uniform(0, 1, size=(30_000, 3))
    text = "x1,x0,x2,label\n" + "".join(
        f"{b:.6g},{a!r},{c:.3e},c{i}\n" for i, (a, b, c) in enumerate(values.tolist())
    )
    data = text.encode()
    assert len(data) > _csv_native._THREAD_BYTES
    outcome = _compare(tmp_path, data, regular=True)
    assert outcome[1] == (30_000, 3) and outcome[3][-1] == "c29999"


def test_blank_lines_in_the_first_piece_followed_by_data(tmp_path, monkeypatch):
    # The split falls after the blank line: the first piece ends "blank", the second has rows.
    monkeypatch.setattr(_csv_native, "_THREAD_BYTES", 0)
    data = b"x0,x1,x2\n1,2,3\n\n" + b"4,5,6\n" * 2
    _compare(tmp_path, data, regular=False)


def test_blank_lines_ending_the_first_piece_then_an_irregular_line(tmp_path, monkeypatch):
    # Found by the fuzz target: the first piece ends in a blank line and the second piece's
    # first line is irregular (a vertical tab) before any row.
    monkeypatch.setattr(_csv_native, "_THREAD_BYTES", 0)
    for digits in range(1, 40):
        data = (
            b"label,x1,x0,x2\r\na b, .5E+3,\t7,1.79e-324\r\n\r\n , ,\x0bx0,x1,x2\n0,2,"
            + b"3" * digits
            + b"\n"
        )
        start = data.find(b"\n") + 1
        middle = data.find(b"\n", start + (len(data) - start) // 2) + 1
        if data[start:middle].endswith(b"\r\n\r\n"):  # the split this test is about
            break
    else:
        pytest.fail("no split after the blank line")
    _compare(tmp_path, data, regular=False)
