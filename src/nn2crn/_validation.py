"""Validation helpers used at the public boundary (validate once, return normalized arrays)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

import numpy as np

from ._errors import InputDataError
from ._limits import MAX_FILE_BYTES, MAX_LINE_CHARS, first_long_line

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def is_identifier(name: str) -> bool:
    """True if `name` is a valid species or signal name (``[A-Za-z_][A-Za-z0-9_]*``)."""
    return bool(IDENTIFIER.match(name))


def as_batch(
    values: object,
    n_columns: int,
    *,
    what: str = "inputs",
    column_names: tuple[str, ...] | None = None,
) -> np.ndarray:
    """Return `values` as a float64 array of shape (n_batch, n_columns).

    A 1D array of length `n_columns` is treated as a batch of one. Raises
    :class:`InputDataError` for a wrong shape or non-finite values, naming the
    first offending row and column.
    """
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InputDataError(f"{what}: could not convert to a numeric array ({error})") from None
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise InputDataError(
            f"{what}: expected a 2D array of shape (n_batch, {n_columns}), got {array.ndim}D "
            f"with shape {array.shape}"
        )
    if array.shape[1] != n_columns:
        raise InputDataError(
            f"{what}: expected {n_columns} columns, got {array.shape[1]}; each row must give one "
            f"value per declared input"
        )
    bad = ~np.isfinite(array)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        name = column_names[column] if column_names else f"column {column}"
        raise InputDataError(
            f"{what}: row {row}, {name} is {float(array[row, column])}; every value must be a finite number"
        )
    return array


def read_text_file(
    path: str | os.PathLike[str],
    make_error: Callable[[str], Exception],
    *,
    missing_hint: str,
    unreadable: str = "cannot read",
    encoding: str = "utf-8",
    max_bytes: int = MAX_FILE_BYTES,
    max_line_chars: int | None = MAX_LINE_CHARS,
) -> str:
    """Text of a user's file; a missing or unreadable file raises ``make_error(message)``.

    The message reads ``no such file; {missing_hint}`` or ``{unreadable} ({reason})``;
    `make_error` adds the file name in its error type's own way. Files larger than
    ``max_bytes`` and lines longer than ``max_line_chars`` (None: no limit) are
    refused with a message naming the limit (a FIFO is read up to the limit).
    """
    data = read_file_bytes(
        path, make_error, missing_hint=missing_hint, unreadable=unreadable, max_bytes=max_bytes
    )
    return decode_text(
        data, make_error, unreadable=unreadable, encoding=encoding, max_line_chars=max_line_chars
    )


def read_file_bytes(
    path: str | os.PathLike[str],
    make_error: Callable[[str], Exception],
    *,
    missing_hint: str,
    unreadable: str = "cannot read",
    max_bytes: int = MAX_FILE_BYTES,
) -> bytes:
    """The bytes of a user's file: the first half of :func:`read_text_file` (same errors)."""
    try:
        with open(path, "rb") as stream:
            # A regular file is read with its size as the hint: read(max_bytes + 1) costs a
            # buffer of the limit's size (twice the time for a 17 MB CSV). A FIFO or a file
            # that grew meanwhile reads on up to the limit.
            size = os.fstat(stream.fileno()).st_size
            data = stream.read(min(size, max_bytes) + 1)
            if len(data) > size:
                data += stream.read(max_bytes + 1 - len(data))
    except FileNotFoundError:
        raise make_error(f"no such file; {missing_hint}") from None
    except OSError as error:
        raise make_error(f"{unreadable} ({error})") from None
    if len(data) > max_bytes:
        raise make_error(f"file is larger than the limit of {max_bytes:,} bytes; is it the right file?")
    return data


def decode_text(
    data: bytes,
    make_error: Callable[[str], Exception],
    *,
    unreadable: str = "cannot read",
    encoding: str = "utf-8",
    max_line_chars: int | None = MAX_LINE_CHARS,
) -> str:
    """The second half of :func:`read_text_file`: decoded, line lengths checked, universal newlines."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise make_error(f"{unreadable} ({error})") from None
    long_line = None if max_line_chars is None else first_long_line(text, max_line_chars)
    if long_line is not None:
        raise make_error(
            f"line {long_line} is longer than the limit of {max_line_chars:,} characters; is it the right file?"
        )
    # Universal newlines, as Path.read_text gives (one scan when there is no "\r").
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
