"""Input rows for CLI commands: CSV files of feature or CRN input values."""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from operator import methodcaller
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import _csv_native
from .._errors import InputDataError
from .._limits import MAX_LINE_CHARS
from .._validation import decode_text, read_file_bytes

if TYPE_CHECKING:
    from ..crn import CRN
    from ..nn import Network

LABEL_COLUMN = "label"
# The readers tried before the general one: the C scanner on the bytes, then numpy on the
# text. Each takes only files the general reader takes, with its values; tests and the
# fuzz target narrow this to compare each with the general reader alone.
_FAST_READERS: tuple[str, ...] = ("native", "numpy")


@dataclass(frozen=True)
class InputTable:
    """Rows of an inputs CSV.

    Attributes
    ----------
    values : ndarray of shape (n_batch, n_columns)
        In the order of the expected names.
    labels : tuple of str or None
        The optional ``label`` column (true classes), if present.
    names : tuple of str
        The expected names the columns were matched to.
    """

    values: np.ndarray
    labels: tuple[str, ...] | None
    names: tuple[str, ...]


def _matching_names(columns: Sequence[str], name_sets: tuple[Sequence[str], ...]) -> Sequence[str] | None:
    """The first of `name_sets` that `columns` name exactly once each, in any order."""
    for names in name_sets:
        if set(columns) == set(names) and len(columns) == len(names):
            return names
    return None


_BOM = b"\xef\xbb\xbf"


def _read_native_csv(data: bytes, name_sets: tuple[Sequence[str], ...]) -> InputTable | None:
    """Fastest path of read_inputs_csv: the C scanner on the file's bytes, no decode.

    Takes what the general reader takes with the same values (the scanner converts as
    float() does); None (no scanner, or anything irregular: see nn2crn/_ccsv.c) sends the
    file to the other readers, so every error message is theirs.
    """
    if not _csv_native.available():
        return None
    start = len(_BOM) if data.startswith(_BOM) else 0
    end = data.find(b"\n", start)
    if end < 0:
        return None
    header_bytes = data[start : end - 1 if data[end - 1 : end] == b"\r" else end]
    if end - start > MAX_LINE_CHARS or any(byte in header_bytes for byte in (b'"', b"\x00", b"\r")):
        return None
    try:
        header = [cell.strip() for cell in header_bytes.decode("utf-8").split(",")]
    except UnicodeDecodeError:
        return None
    if max(map(len, header)) > csv.field_size_limit():
        return None
    chosen = _matching_names([name for name in header if name != LABEL_COLUMN], name_sets)
    if not chosen:
        return None
    column = {name: index for index, name in enumerate(chosen)}
    label_index = header.index(LABEL_COLUMN) if LABEL_COLUMN in header else None
    # the first 'label' column is kept; any further one is ignored, as the general reader does
    targets = [column.get(name, _csv_native.SKIP) for name in header]
    if label_index is not None:
        targets[label_index] = _csv_native.LABEL
    table = _csv_native.parse_numeric_csv(
        data, end + 1, targets, len(chosen), max_line=MAX_LINE_CHARS, max_text=csv.field_size_limit()
    )
    if table is None:
        return None
    labels = None
    if table.label_spans is not None:
        labels = tuple(data[a:b].decode("ascii") for a, b in table.label_spans.tolist())
    return InputTable(table.values, labels, tuple(chosen))


def _read_regular_csv(text: str, name_sets: tuple[Sequence[str], ...]) -> InputTable | None:
    """Fast path of read_inputs_csv for plain CSV (no quotes, one field count, finite numbers).

    numpy's C reader (``np.loadtxt``) converts the cells, correctly rounded as Python's
    float() is, so values are the general reader's; None sends anything else (and every
    error) to the general reader.
    """
    if '"' in text or "\x00" in text:
        return None
    lines = text.split("\n")
    while lines and not lines[-1].replace(",", "").strip():
        lines.pop()
    if len(lines) < 2 or max(map(len, lines)) > csv.field_size_limit():
        return None
    header = [cell.strip() for cell in lines[0].split(",")]
    chosen = _matching_names([name for name in header if name != LABEL_COLUMN], name_sets)
    if chosen is None:
        return None
    body = lines[1:]
    n_fields = len(header)
    label_index = header.index(LABEL_COLUMN) if LABEL_COLUMN in header else None
    columns = [header.index(name) for name in chosen]
    labels = None
    if label_index is not None:
        # every line has the header's field count (a blank line too is refused, as csv does);
        # without labels loadtxt checks that itself (and the row count catches blank lines)
        if set(map(methodcaller("count", ","), body)) != {n_fields - 1}:
            return None
        if label_index == n_fields - 1:
            labels = tuple(line.rpartition(",")[2].strip() for line in body)
        elif label_index == 0:
            labels = tuple(line.partition(",")[0].strip() for line in body)
        else:
            labels = tuple(line.split(",")[label_index].strip() for line in body)
    if not columns:
        return None
    try:
        table = np.loadtxt(
            body,  # a list of lines: faster than a text stream
            delimiter=",",
            comments=None,
            quotechar=None,
            usecols=columns if label_index is not None else None,
            ndmin=2,
            dtype=np.float64,
            encoding=None,
        )
    except ValueError:
        return None
    if table.shape != (len(body), len(columns)):
        return None
    values = table if label_index is not None or columns == list(range(n_fields)) else table[:, columns]
    if not np.isfinite(values).all():
        return None
    return InputTable(values, labels, tuple(chosen))


def read_inputs_csv(path: str | os.PathLike[str], *name_sets: Sequence[str]) -> InputTable:
    """Read a CSV whose header names one of `name_sets` (columns in any order).

    An extra column named ``label`` is kept as the true class. Every cell must
    be a finite number. Errors name ``file:line`` and the column.
    """
    path = Path(path)

    def make_error(message: str) -> InputDataError:
        return InputDataError(f"{path}: {message}")

    data = read_file_bytes(path, make_error, missing_hint="give a CSV whose header names the inputs")
    native = _read_native_csv(data, name_sets) if "native" in _FAST_READERS else None
    if native is not None:
        return native
    text = decode_text(data, make_error, encoding="utf-8-sig")
    regular = _read_regular_csv(text, name_sets) if "numpy" in _FAST_READERS else None
    return regular if regular is not None else _read_csv_carefully(path, text, name_sets)


def _read_csv_carefully(path: Path, text: str, name_sets: tuple[Sequence[str], ...]) -> InputTable:
    """The general reader: any CSV, and the message with file:line for what is wrong."""
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as error:
        raise InputDataError(f"{path}: not a readable CSV file ({error})") from None
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise InputDataError(f"{path}: empty file; the first line must be a header naming the inputs")
    header = [cell.strip() for cell in rows[0]]
    columns = [name for name in header if name != LABEL_COLUMN]
    chosen = _matching_names(columns, name_sets)
    if chosen is None:
        expected = name_sets[0]
        missing = [name for name in expected if name not in columns]
        unknown = [name for name in columns if all(name not in names for names in name_sets)]
        detail = []
        if missing:
            detail.append(f"missing {', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''}")
        if unknown:
            detail.append(f"unknown {', '.join(unknown[:6])}{' ...' if len(unknown) > 6 else ''}")
        if len(set(columns)) != len(columns):
            detail.append("a column name is repeated")
        alternatives = " or ".join(
            f"[{', '.join(names[:4])}{', ...' if len(names) > 4 else ''}]" for names in name_sets
        )
        raise InputDataError(
            f"{path}:1: header does not match the inputs ({'; '.join(detail) or 'wrong columns'}); "
            f"expected the columns {alternatives}, optionally plus '{LABEL_COLUMN}'"
        )
    order = [header.index(name) for name in chosen]
    label_index = header.index(LABEL_COLUMN) if LABEL_COLUMN in header else None
    values = np.empty((len(rows) - 1, len(chosen)))
    labels: list[str] = []
    for row_number, row in enumerate(rows[1:]):
        line = row_number + 2
        if len(row) != len(header):
            raise InputDataError(
                f"{path}:{line}: has {len(row)} fields, expected {len(header)} (one per header column)"
            )
        for target, source in enumerate(order):
            cell = row[source].strip()
            try:
                value = float(cell)
            except ValueError:
                raise InputDataError(
                    f"{path}:{line}: column {header[source]!r}: {cell!r} is not a number"
                ) from None
            if not math.isfinite(value):
                raise InputDataError(
                    f"{path}:{line}: column {header[source]!r}: {cell} is not a finite number"
                )
            values[row_number, target] = value
        if label_index is not None:
            labels.append(row[label_index].strip())
    if values.shape[0] == 0:
        raise InputDataError(f"{path}: no data rows after the header")
    return InputTable(values, tuple(labels) if label_index is not None else None, tuple(chosen))


@dataclass(frozen=True)
class CRNInputs:
    """Input rows ready for a CRN, with the model they were transformed by (if any)."""

    values: np.ndarray  # (n_batch, crn.n_inputs)
    labels: tuple[str, ...] | None
    network: Network | None  # when --model was given


def load_crn_inputs(
    inputs_path: str | os.PathLike[str], crn: CRN, model_path: str | os.PathLike[str] | None = None
) -> CRNInputs:
    """Rows of an inputs CSV as values for `crn`'s declared inputs.

    Without a model the header names the CRN's inputs, or the raw features of the
    CRN's ``transform`` lines (which are then applied). With `model_path` the rows
    are raw features (header: the model's input names, or the CRN's input names
    in the same order) and the model's `input_transform` is applied first.
    """
    if model_path is None:
        raw = crn.raw_inputs
        if raw is None:
            table = read_inputs_csv(inputs_path, crn.input_names)
            return CRNInputs(table.values, table.labels, None)
        table = read_inputs_csv(inputs_path, crn.input_names, raw.features)
        identity = all(m == 0 for m in raw.mean) and all(k == 1 for k in raw.scale)
        if set(raw.features) == set(crn.input_names) and not identity:
            raise InputDataError(
                f"{inputs_path}: its columns name both the CRN's inputs and the raw features its transform "
                f"lines read, so it cannot tell whether the rows are already transformed; pass --model "
                f"MODEL.json to treat them as raw features, or rename the columns"
            )
        if table.names == tuple(raw.features):
            # Raw feature columns: apply the transform the compiled .crn recorded.
            return CRNInputs(raw.apply(table.values), table.labels, None)
        return CRNInputs(table.values, table.labels, None)
    from ..nn import load_network

    network = load_network(model_path)
    if network.n_inputs != crn.n_inputs:
        raise InputDataError(
            f"{model_path}: the model has {network.n_inputs} inputs but the CRN declares {crn.n_inputs}; "
            f"was the CRN compiled from this model?"
        )
    table = read_inputs_csv(inputs_path, network.input_names, crn.input_names)
    return CRNInputs(network.transform(table.values), table.labels, network)


def require_species(crn: CRN, crn_file: str | os.PathLike[str]) -> None:
    """Refuse an empty CRN (an empty or all-comment file), which would 'pass' every check."""
    from .._errors import CRNStructureError

    if not crn.species:
        raise CRNStructureError(
            f"{crn_file}: the CRN is empty (no species, no reactions); is it the right file?"
        )


def warn_vanishing_counts(crn: CRN, values: np.ndarray | None, volumes: Sequence[float]) -> None:
    """Warn when rounding amount x V to whole molecules leaves a row with no molecules at all."""
    from ..simulate.ssa import initial_counts
    from ._output import echo_err

    amounts = crn.initial_state(values)
    has_amount = (amounts > 0).any(axis=1)
    for volume in volumes:
        counts, fraction = initial_counts(crn, values, volume=volume)
        empty = has_amount & ~((counts > 0) | (fraction > 0)).any(axis=1)
        if empty.any():
            rows = np.flatnonzero(empty)
            echo_err(
                f"warning: at volume {volume:g} every molecule count of {rows.size} input row(s) rounds to 0 "
                f"(first: row {int(rows[0])}); those runs start empty and say nothing; use a larger volume"
            )
