"""Fisher's IRIS data, from scikit-learn's bundled copy (150 examples, 4 features, 3 classes)."""

from __future__ import annotations

import numpy as np

from .._errors import DatasetError
from .base import Dataset, Split, stratified_split

SOURCE = (
    "R. A. Fisher's Iris data (UCI), scikit-learn's bundled copy (sklearn.datasets.load_iris, BSD licence)"
)
FEATURE_NAMES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
SPLITS = ("all", "stratified")


def load_iris(*, split: str = "all", split_seed: int = 0) -> Dataset:
    """Load IRIS.

    Parameters
    ----------
    split : {"all", "stratified"}
        ``"all"`` (the paper's setting): train, validation and test are all 150
        examples. ``"stratified"``: a seeded stratified 60/20/20 split (90/30/30).
    split_seed : int
        Seed of the stratified split.

    Returns
    -------
    Dataset
        Features in centimetres, classes ``setosa, versicolor, virginica``.
    """
    if split not in SPLITS:
        raise DatasetError(f"iris: unknown split {split!r}; use one of {', '.join(SPLITS)}")
    try:
        from sklearn.datasets import load_iris as sklearn_load_iris
    except ImportError:
        raise DatasetError(
            "iris: needs scikit-learn for its bundled copy; install it with pip install 'nn2crn[data]'"
        ) from None
    bunch = sklearn_load_iris()
    x = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target, dtype=np.int64)
    class_names = tuple(str(name) for name in bunch.target_names)
    if split == "all":
        everything = Split(x, y)
        train = val = test = everything
        notes: tuple[str, ...] = (
            "iris: train, validation and test are all 150 examples (the paper's setting)",
        )
    else:
        parts = stratified_split(y, (0.6, 0.2, 0.2), split_seed)
        train, val, test = (Split(x[index], y[index]) for index in parts)
        notes = ()
    return Dataset(
        name="iris",
        train=train,
        val=val,
        test=test,
        feature_names=FEATURE_NAMES,
        class_names=class_names,
        source=SOURCE,
        options={"split": split, **({"split_seed": split_seed} if split == "stratified" else {})},
        notes=notes,
    )
