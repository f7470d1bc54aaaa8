"""The ahead-of-time compiled numeric CSV scanner (``_ccsv.c``), called through ctypes.

``pip install`` compiles ``_ccsv.c`` into the extension module ``nn2crn._ccsv`` (setup.py;
optional: without it the CLI reads inputs CSVs with numpy). One pass over the file's bytes,
with no decode to ``str``, converts every numeric cell exactly as Python's float() does and
records the byte spans of a label column. Anything it does not take (see the C file) gives
None, and the caller's general reader reads the file and words any error.
"""

from __future__ import annotations

import ctypes
import functools
import os
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ._extensions import open_extension

_MODULE = "nn2crn._ccsv"
_OK = 0
LABEL, SKIP = -1, -2  # targets of the (first) label column and of any further one
_THREAD_BYTES = 1 << 20  # below it one thread (a thread's start costs about 0.1 ms)


class Table(NamedTuple):
    """The data lines of a CSV: values by target column, and each row's label span (or None)."""

    values: np.ndarray  # (n_rows, n_columns) float64
    label_spans: np.ndarray | None  # (n_rows, 2) int64 byte offsets (start, end) into the data


@functools.cache
def _load() -> ctypes.CDLL | None:
    """The scanner's library, or None when the extension was not built."""
    library = open_extension(_MODULE)
    if library is not None:
        i64, pointer = ctypes.c_int64, ctypes.c_void_p
        library.nn2crn_csv_count_lines.restype = i64
        library.nn2crn_csv_count_lines.argtypes = [ctypes.c_char_p, i64, i64]
        library.nn2crn_csv_parse.restype = ctypes.c_int
        library.nn2crn_csv_parse.argtypes = [ctypes.c_char_p, *[i64] * 3, pointer, *[i64] * 4, *[pointer] * 3]
    return library


@functools.cache
def _load_formatter() -> ctypes.CDLL | None:
    """The same library with its calls holding the GIL (the formatter calls CPython), or None."""
    formatter = open_extension(_MODULE, hold_gil=True)
    if formatter is not None:
        i64, pointer = ctypes.c_int64, ctypes.c_void_p
        formatter.nn2crn_csv_format.restype = i64
        formatter.nn2crn_csv_format.argtypes = [pointer, i64, i64, pointer]
        formatter.nn2crn_csv_max_repr.restype = i64
        formatter.nn2crn_csv_max_repr.argtypes = []
    return formatter


def available() -> bool:
    """True when the C scanner was built (and may be used)."""
    return _load() is not None


def parse_numeric_csv(
    data: bytes,
    start: int,
    targets: Sequence[int],
    n_columns: int,
    *,
    max_line: int,
    max_text: int,
) -> Table | None:
    """The lines of ``data[start:]``: field ``f`` goes to column ``targets[f]`` (or is the
    label, :data:`LABEL`, or ignored text, :data:`SKIP`); None for anything irregular or
    without the C scanner.

    Lines longer than `max_line` bytes and text fields longer than `max_text` are irregular.
    """
    library = _load()
    if library is None or start > len(data):
        return None
    target_array = np.array(targets, dtype=np.int64)
    if sorted(target for target in targets if target >= 0) != list(range(n_columns)) or not n_columns:
        # every column is filled by exactly one field (the table is not initialised)
        raise ValueError("CSV scanner: the targets must name each column once")
    if any(target not in (LABEL, SKIP) for target in targets if target < 0) or list(targets).count(LABEL) > 1:
        raise ValueError("CSV scanner: a target is neither a column, LABEL nor SKIP")
    end = len(data)
    max_rows = library.nn2crn_csv_count_lines(data, start, end) + 1
    values = np.empty((max_rows, n_columns), np.float64)
    spans = np.empty((max_rows, 2), np.int64) if LABEL in targets else None

    def piece(first: int, last: int, row: int, outcome: list[tuple[int, int]]) -> None:
        """Lines data[first:last] into the rows from `row` on; appends (status, rows)."""
        sizes = np.zeros(1, np.int64)
        status = library.nn2crn_csv_parse(
            data,
            first,
            last,
            len(target_array),
            target_array.ctypes.data,
            n_columns,
            max_rows - row,
            max_line,
            max_text,
            values.ctypes.data + row * values.strides[0],
            None if spans is None else spans.ctypes.data + row * spans.strides[0],
            sizes.ctypes.data,
        )
        outcome.append((status, int(sizes[0])))

    middle = data.find(b"\n", start + (end - start) // 2) + 1
    head: list[tuple[int, int]] = []
    if end - start < _THREAD_BYTES or middle <= 0 or middle >= end or (os.cpu_count() or 1) < 2:
        piece(start, end, 0, head)
        (status, n_rows) = head[0]
    else:
        # Two threads, split after a newline (ctypes releases the GIL): the second piece's
        # rows start after as many rows as the first piece has lines.
        import threading

        head_lines = library.nn2crn_csv_count_lines(data, start, middle)
        tail: list[tuple[int, int]] = []
        worker = threading.Thread(target=piece, args=(middle, end, head_lines, tail))
        worker.start()
        piece(start, middle, 0, head)
        worker.join()
        (status, n_rows), (tail_status, tail_rows) = head[0], tail[0]
        if status == _OK and n_rows == head_lines:
            status, n_rows = tail_status, n_rows + tail_rows
        elif tail_status != _OK or tail_rows:
            # the first piece ended in blank lines: the table ends there only if all the
            # second piece is blank too (its scan takes no row and finds nothing irregular)
            status = _OK + 1
    if status != _OK or n_rows == 0:
        return None
    return Table(values[:n_rows], None if spans is None else spans[:n_rows])


def format_rows(values: np.ndarray) -> str | None:
    """Rows of a 2-D float array as CSV lines, each float as ``repr()`` writes it.

    The same text as ``"".join(",".join(map(repr, row)) + "\n" for row in values.tolist())``;
    None without the C extension.
    """
    formatter = _load_formatter()
    if formatter is None:
        return None
    table = np.ascontiguousarray(values, dtype=np.float64)
    if table.ndim != 2:
        raise ValueError("format_rows takes a 2-D array")
    n_rows, n_columns = table.shape
    out = np.empty(n_rows * (n_columns * int(formatter.nn2crn_csv_max_repr()) + 1) + 1, np.uint8)
    length = formatter.nn2crn_csv_format(table.ctypes.data, n_rows, n_columns, out.ctypes.data)
    if length < 0:
        raise MemoryError("formatting the CSV rows ran out of memory")
    return out[:length].tobytes().decode("ascii")
