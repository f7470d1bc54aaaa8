"""Users' own data: a CSV file with a header, numeric feature columns and one label column."""

from __future__ import annotations

import csv
import io
import math
import os
import re
from pathlib import Path

import numpy as np

from .._errors import DatasetError
from .._limits import MAX_AMOUNT
from .._validation import read_text_file
from .base import Dataset, Split, make_identifier, stratified_split, unique_identifiers

SPLITS = ("stratified", "all")
_NUMBER_PREFIX = re.compile(r"(\d+)")


def _natural_key(text: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in _NUMBER_PREFIX.split(text)]


def load_csv(
    path: str | os.PathLike[str],
    *,
    label: str | None = None,
    split: str = "stratified",
    split_seed: int = 0,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
) -> Dataset:
    """Load a CSV file of examples.

    Parameters
    ----------
    path : path of the CSV file
        First row: column names. Every column except `label` must hold numbers.
    label : str
        Name of the column holding the class labels (any text).
    split : {"stratified", "all"}
        ``"stratified"``: a seeded stratified split in `fractions`. ``"all"``:
        train, validation and test are all rows.
    split_seed : int
    fractions : (train, val, test)

    Returns
    -------
    Dataset
        Named after the file stem. Feature and class names are made into
        identifiers (``petal length`` -> ``petal_length``, ``0`` -> ``class_0``);
        classes are sorted naturally.
    """
    path = Path(path)
    if label is None:
        raise DatasetError(f"{path}: say which column holds the class labels with label=COLUMN")
    if split not in SPLITS:
        raise DatasetError(f"{path}: unknown split {split!r}; use one of {', '.join(SPLITS)}")
    if len(fractions) != 3 or min(fractions) < 0 or not math.isclose(sum(fractions), 1.0):
        raise DatasetError(f"{path}: split fractions must be three non-negative numbers summing to 1")
    text = read_text_file(
        path,
        lambda message: DatasetError(f"{path}: {message}"),
        missing_hint="give the path of a CSV file with a header row",
        encoding="utf-8-sig",
    )
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as error:
        raise DatasetError(f"{path}: not a readable CSV file ({error})") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise DatasetError(f"{path}: needs a header row and at least one data row")
    header = [cell.strip() for cell in rows[0]]
    if label not in header:
        raise DatasetError(f"{path}:1: no column {label!r}; the columns are {', '.join(header)}")
    label_column = header.index(label)
    feature_columns = [index for index in range(len(header)) if index != label_column]
    if not feature_columns:
        raise DatasetError(f"{path}:1: no feature columns besides the label column {label!r}")
    values = np.empty((len(rows) - 1, len(feature_columns)))
    labels: list[str] = []
    for row_index, row in enumerate(rows[1:]):
        line = row_index + 2
        if len(row) != len(header):
            raise DatasetError(f"{path}:{line}: has {len(row)} columns, the header has {len(header)}")
        for out, column in enumerate(feature_columns):
            text = row[column].strip()
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise DatasetError(
                    f"{path}:{line}: column {header[column]!r} is {text!r}; feature columns must hold finite "
                    f"numbers (is {header[column]!r} the label column? then pass label={header[column]})"
                )
            if abs(value) > MAX_AMOUNT:
                raise DatasetError(
                    f"{path}:{line}: column {header[column]!r} is {text[:24]}, above the limit of "
                    f"{MAX_AMOUNT:g} in magnitude; rescale the feature"
                )
            values[row_index, out] = value
        labels.append(row[label_column].strip())
    raw_classes = sorted(set(labels), key=_natural_key)
    if len(raw_classes) < 2:
        raise DatasetError(f"{path}: column {label!r} holds a single class; a classifier needs at least two")
    class_index = {name: index for index, name in enumerate(raw_classes)}
    y = np.array([class_index[name] for name in labels], dtype=np.int64)
    if split == "all":
        train = val = test = Split(values, y)
    else:
        train, val, test = (
            Split(values[index], y[index]) for index in stratified_split(y, fractions, split_seed)
        )
    options: dict[str, object] = {"path": str(path), "label": label, "split": split}
    if split == "stratified":
        options.update(split_seed=split_seed, fractions=list(fractions))
    return Dataset(
        name=make_identifier(path.stem, "data_"),
        train=train,
        val=val,
        test=test,
        feature_names=unique_identifiers([header[column] for column in feature_columns], "x_"),
        class_names=unique_identifiers(raw_classes, "class_"),
        source=f"CSV file {path} (label column {label!r})",
        options=options,
        notes=(),
    )
