"""Virus infection from blood gene expression: NCBI GEO series GSE73072 (public).

Ten probe intensities of infected volunteers, labelled by the challenge virus
(h1n1, h3n2, hrv, rsv). See ``data/virus/README.md`` for provenance, the
filtering rule and the split.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from importlib import resources
from pathlib import Path

import numpy as np

from .._errors import DatasetError
from .base import Dataset, Split, make_identifier

SOURCE = (
    "NCBI GEO series GSE73072 (public; Affymetrix GPL14604): blood expression of volunteers challenged "
    "with H1N1, H3N2, HRV or RSV; the 10 probes and selection of the ICML 2020 paper"
)
EXPRESSION_FILE = "icml2020dataset_GSE73072_4labels.csv"
SAMPLE_FILE = "icml2020dataset_GSE73072_sample.csv"
STUDIES = ("DEE1", "DEE2", "DEE3", "DEE4", "DEE5", "UVA", "DUKE")
CLASS_NAMES = ("h1n1", "h3n2", "hrv", "rsv")
# The authors' split: floor of 80% / 5% / 15% of the 698 examples = 558 / 34 / 104
# (the two left over are unused), cut from one seeded permutation.
SPLIT_FRACTIONS = (0.80, 0.05, 0.15)
SPLIT_SEED = 0
TITLE = re.compile(
    r"(?P<virus>H1N1|H3N2|HRV|RSV) (?P<study>DEE ?[1-5]|UVA|DUKE) Subject (?P<subject>\d+), "
    r"Hour (?P<hour>-?\d+(?:\.\d+)?)\Z"
)


def _data_files(data_dir: str | os.PathLike[str] | None):
    if data_dir is None:
        return resources.files("nn2crn.datasets").joinpath("data").joinpath("virus"), "the bundled copy"
    return Path(data_dir), str(data_dir)


def _read(folder, name: str, where: str) -> tuple[str, list[list[str]]]:
    path = folder.joinpath(name)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(
            f"virus: {name} is missing from {where}; reinstall nn2crn, or pass the folder holding the "
            f"GSE73072 extracts as data_dir=DIR"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise DatasetError(f"virus: cannot read {path} ({error})") from None
    return str(path), list(csv.reader(io.StringIO(text)))


def _number(text: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise DatasetError(f"{where}: expected a number, got {text!r}") from None


def _subjects(folder, where: str) -> dict[tuple[str, int], tuple[bool, float, float]]:
    """(study, subject) -> (infected, onset hour, offset hour)."""
    table: dict[tuple[str, int], tuple[bool, float, float]] = {}
    for study in STUDIES:
        path, rows = _read(folder, f"icml2020dataset_GSE73072_{study}.csv", where)
        for line, row in enumerate(rows[1:], start=2):
            if not row:
                continue
            if len(row) != 6:
                raise DatasetError(
                    f"{path}:{line}: expected 6 columns (subject, sham, symptomatic, infected, onset, "
                    f"offset), got {len(row)}"
                )
            subject = int(_number(row[0], f"{path}:{line}"))
            infected = _number(row[3], f"{path}:{line}") == 1
            onset = _number(row[4], f"{path}:{line}")
            offset = _number(row[5], f"{path}:{line}")
            table[(study, subject)] = (infected, onset, offset)
    return table


def virus_examples(
    *, data_dir: str | os.PathLike[str] | None = None
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """All samples that pass the filter, in the column order of the expression file.

    A sample is kept when its subject was infected and its hour lies in
    ``[onset, offset)`` of that subject's infection: 698 samples (h1n1 260,
    h3n2 193, hrv 151, rsv 94).

    Parameters
    ----------
    data_dir : path, optional
        Folder holding the GSE73072 extract files; default the bundled copy.

    Returns
    -------
    x : ndarray of shape (n_batch, 10)
        Raw log-expression values of the probes.
    y : ndarray of shape (n_batch,)
        Indices into ``CLASS_NAMES``.
    feature_names : tuple of str
        ``probe_10000_at`` … ``probe_10019_at``.
    """
    folder, where = _data_files(data_dir)
    expression_path, rows = _read(folder, EXPRESSION_FILE, where)
    if len(rows) < 3:
        raise DatasetError(f"{expression_path}: expected a header, probe rows and a label row")
    header, probe_rows, label_row = rows[0], rows[1:-1], rows[-1]
    samples = header[1:]
    for line, row in enumerate(rows, start=1):
        if len(row) != len(header):
            raise DatasetError(f"{expression_path}:{line}: has {len(row)} columns, expected {len(header)}")
    feature_names = tuple(make_identifier(row[0], "probe_") for row in probe_rows)
    values = np.array(
        [
            [
                _number(text, f"{expression_path}:{line} column {column + 2}")
                for column, text in enumerate(row[1:])
            ]
            for line, row in enumerate(probe_rows, start=2)
        ]
    ).T  # (n_samples, n_probes)
    labels = label_row[1:]

    sample_path, sample_rows = _read(folder, SAMPLE_FILE, where)
    columns = sample_rows[0]
    if "Accession" not in columns or "Title" not in columns:
        raise DatasetError(f"{sample_path}:1: expected columns Accession and Title")
    accession, title = columns.index("Accession"), columns.index("Title")
    titles = {row[accession]: (line, row[title]) for line, row in enumerate(sample_rows[1:], start=2) if row}
    subjects = _subjects(folder, where)

    keep: list[int] = []
    for column, sample in enumerate(samples):
        if sample not in titles:
            raise DatasetError(f"{sample_path}: sample {sample} of {EXPRESSION_FILE} has no row")
        line, text = titles[sample]
        match = TITLE.match(text)
        if match is None:
            raise DatasetError(
                f"{sample_path}:{line}: title {text!r} does not read like 'H1N1 DEE3 Subject 1, Hour -21'"
            )
        if match["virus"].lower() != labels[column]:
            raise DatasetError(
                f"{expression_path}: sample {sample} is labelled {labels[column]!r} but its title says "
                f"{match['virus']}"
            )
        study = match["study"].replace(" ", "")
        key = (study, int(match["subject"]))
        if key not in subjects:
            raise DatasetError(f"{sample_path}:{line}: no subject {key[1]} in the {study} subject table")
        infected, onset, offset = subjects[key]
        hour = float(match["hour"])
        if infected and not math.isnan(onset) and onset <= hour < offset:
            keep.append(column)

    x = values[keep]
    unknown = sorted({labels[column] for column in keep} - set(CLASS_NAMES))
    if unknown:
        raise DatasetError(
            f"{expression_path}: unknown label {unknown[0]!r}; expected {', '.join(CLASS_NAMES)}"
        )
    y = np.array([CLASS_NAMES.index(labels[column]) for column in keep], dtype=np.int64)
    return x, y, feature_names


def load_virus(*, data_dir: str | os.PathLike[str] | None = None) -> Dataset:
    """Load the GSE73072 virus-infection data (698 examples, 10 probes, 4 classes).

    The samples of :func:`virus_examples` are permuted with a fixed seed and cut
    into 558 train, 34 validation and 104 test examples (the authors' sizes: the
    floor of 80%, 5% and 15%; the 2 left over are unused).

    Parameters
    ----------
    data_dir : path, optional
        Folder holding the GSE73072 extract files; default the bundled copy.

    Returns
    -------
    Dataset
        Raw log-expression values; classes ``h1n1, h3n2, hrv, rsv``.
    """
    x, y, feature_names = virus_examples(data_dir=data_dir)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    counts = [math.floor(fraction * len(y)) for fraction in SPLIT_FRACTIONS]
    bounds = np.cumsum(counts)
    train, val, test = (order[start:stop] for start, stop in zip([0, *bounds[:-1]], bounds, strict=True))
    return Dataset(
        name="virus",
        train=Split(x[train], y[train]),
        val=Split(x[val], y[val]),
        test=Split(x[test], y[test]),
        feature_names=feature_names,
        class_names=CLASS_NAMES,
        source=SOURCE,
        options={} if data_dir is None else {"data_dir": str(data_dir)},
        notes=(
            f"virus: {len(y)} samples pass the filter; {len(y) - sum(counts)} left over by the split are unused",
        ),
    )
