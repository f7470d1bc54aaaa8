"""The dataset type shared by every loader: a named train/validation/test split.

Features are raw (not standardized); the trainer fits the standardization on the
training split and stores it in the model file as the network's input transform.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._errors import DatasetError
from .._frozen import freeze_json

SPLIT_NAMES = ("train", "val", "test")
EXAMPLE_SETS = (*SPLIT_NAMES, "all")


def _frozen(array: object, dtype: type) -> np.ndarray:
    array = np.array(array, dtype=dtype)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Split:
    """Examples of one split.

    Attributes
    ----------
    x : ndarray of shape (n_batch, n_features), float64
        Raw features.
    y : ndarray of shape (n_batch,), int64
        Class indices into :attr:`Dataset.class_names`.
    """

    x: np.ndarray
    y: np.ndarray

    def __post_init__(self) -> None:
        x = _frozen(self.x, np.float64)
        y = _frozen(self.y, np.int64)
        if x.ndim != 2:
            raise DatasetError(f"x must be 2D (n_batch, n_features), got shape {x.shape}")
        if y.shape != (x.shape[0],):
            raise DatasetError(f"y must have shape ({x.shape[0]},), got {y.shape}")
        if not np.isfinite(x).all():
            raise DatasetError("x must be finite")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    @property
    def n_examples(self) -> int:
        return self.x.shape[0]

    def __len__(self) -> int:
        return self.x.shape[0]


@dataclass(frozen=True, eq=False)
class Dataset:
    """A classification dataset split into train, validation and test examples.

    Attributes
    ----------
    name : str
        Short name, e.g. ``"virus"``.
    train, val, test : Split
        The three splits. They may share examples (the paper's IRIS setting uses
        all 150 examples for each).
    feature_names : tuple of str
        One identifier per feature column (``[A-Za-z_][A-Za-z0-9_]*``).
    class_names : tuple of str
        One identifier per class; ``y`` holds indices into this tuple.
    source : str
        Where the data comes from (provenance, licence).
    options : Mapping
        The loader options that produced this dataset (recorded in model files);
        read-only and picklable (see :func:`nn2crn._frozen.freeze_json`).
    notes : tuple of str
        Messages worth showing a user, e.g. that a bundled sample is used.
    """

    name: str
    train: Split
    val: Split
    test: Split
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    source: str
    options: Mapping[str, Any]
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "feature_names", tuple(self.feature_names))
        object.__setattr__(self, "class_names", tuple(self.class_names))
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "options", freeze_json(dict(self.options)))
        n_features = len(self.feature_names)
        for split_name in SPLIT_NAMES:
            split = getattr(self, split_name)
            if split.x.shape[1] != n_features:
                raise DatasetError(
                    f"{split_name}.x has {split.x.shape[1]} columns but there are {n_features} feature names"
                )
            if split.n_examples and (split.y.min() < 0 or split.y.max() >= len(self.class_names)):
                raise DatasetError(f"{split_name}.y must hold class indices in [0, {len(self.class_names)})")
        if len(set(self.feature_names)) != n_features or len(set(self.class_names)) != len(self.class_names):
            raise DatasetError("feature and class names must be unique")

    # Flat accessors, handy in notebooks: dataset.x_train etc.
    @property
    def x_train(self) -> np.ndarray:
        return self.train.x

    @property
    def y_train(self) -> np.ndarray:
        return self.train.y

    @property
    def x_val(self) -> np.ndarray:
        return self.val.x

    @property
    def y_val(self) -> np.ndarray:
        return self.val.y

    @property
    def x_test(self) -> np.ndarray:
        return self.test.x

    @property
    def y_test(self) -> np.ndarray:
        return self.test.y

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def split_sizes(self) -> dict[str, int]:
        """``{"train": n, "val": n, "test": n}``."""
        return {name: getattr(self, name).n_examples for name in SPLIT_NAMES}

    def splits(self) -> dict[str, Split]:
        """``{"train": Split, "val": Split, "test": Split}``."""
        return {name: getattr(self, name) for name in SPLIT_NAMES}

    def examples(self, split: str) -> Split:
        """The examples of one split, or of ``"all"`` splits together.

        Parameters
        ----------
        split : {"train", "val", "test", "all"}
            ``"all"`` concatenates train, validation and test in that order,
            skipping a split whose features equal an earlier one's (the paper's
            IRIS setting uses the same 150 examples for every split).

        Returns
        -------
        Split

        Raises
        ------
        DatasetError
            `split` is not one of the names above.
        """
        if split in SPLIT_NAMES:
            return getattr(self, split)
        if split != "all":
            raise DatasetError(f"split: unknown split {split!r}; choose one of {', '.join(EXAMPLE_SETS)}")
        parts: list[Split] = []
        for part in (self.train, self.val, self.test):
            if not any(np.array_equal(part.x, seen.x) for seen in parts):
                parts.append(part)
        return Split(np.concatenate([part.x for part in parts]), np.concatenate([part.y for part in parts]))


_NON_WORD = re.compile(r"[^A-Za-z0-9_]+")


def make_identifier(text: str, prefix: str) -> str:
    """Turn `text` into an identifier: non-word runs become ``_``; a leading digit gets `prefix`.

    >>> make_identifier("sepal length (cm)", "x")
    'sepal_length_cm'
    >>> make_identifier("10000_at", "probe_")
    'probe_10000_at'
    """
    name = _NON_WORD.sub("_", text.strip()).strip("_")
    if not name or name[0].isdigit():
        name = prefix + name
    return name


def unique_identifiers(texts: Sequence[str], prefix: str) -> tuple[str, ...]:
    """:func:`make_identifier` for each text, with ``_2``, ``_3`` … appended to repeats."""
    names: list[str] = []
    seen: set[str] = set()
    for text in texts:
        base = make_identifier(text, prefix)
        name, count = base, 1
        while name in seen:
            count += 1
            name = f"{base}_{count}"
        seen.add(name)
        names.append(name)
    return tuple(names)


def stratified_split(
    y: np.ndarray, fractions: tuple[float, float, float], seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of a seeded stratified train/val/test split.

    Each class is shuffled and cut in the given proportions, rounded by largest
    remainder (ties go to the earlier split), so every split keeps the class
    balance and every example is in exactly one split.

    Parameters
    ----------
    y : ndarray of shape (n_batch,)
        Class indices.
    fractions : (train, val, test), summing to 1.
    seed : int

    Returns
    -------
    train, val, test : ndarrays of indices, each sorted.
    """
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        counts = np.floor(np.array(fractions) * len(members)).astype(int)
        for index in np.argsort(-(np.array(fractions) * len(members) - counts), kind="stable"):
            if counts.sum() == len(members):
                break
            counts[index] += 1
        bounds = np.cumsum(counts)
        for part, chunk in zip(parts, np.split(members, bounds[:-1]), strict=True):
            part.append(chunk)
    train, val, test = (np.sort(np.concatenate(part)) for part in parts)
    return train, val, test
