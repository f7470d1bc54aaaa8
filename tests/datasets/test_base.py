"""The Dataset type: examples of a split or of all splits, read-only options."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn import DatasetError
from nn2crn.datasets import load_dataset
from nn2crn.datasets.base import Dataset, Split


def _dataset(options: dict) -> Dataset:
    def split(values: list[float]) -> Split:
        return Split(np.array(values)[:, None], np.zeros(len(values), dtype=np.int64))

    return Dataset("toy", split([1, 2]), split([3]), split([4, 5]), ("f",), ("a",), "made up", options)


def test_all_concatenates_the_splits_in_order():
    dataset = _dataset({})
    assert dataset.examples("all").x.ravel().tolist() == [1, 2, 3, 4, 5]
    assert dataset.examples("val").x.ravel().tolist() == [3]


def test_all_counts_a_repeated_split_once():
    # the paper's IRIS setting uses the same 150 examples for train, val and test
    iris = load_dataset("iris")
    assert iris.examples("all").n_examples == 150
    assert np.array_equal(iris.examples("all").y, iris.test.y)


def test_unknown_split_names_the_choices():
    with pytest.raises(DatasetError, match="split: unknown split 'dev'; choose one of train, val, test, all"):
        _dataset({}).examples("dev")


def test_options_are_read_only_and_constructor_errors_are_dataset_errors():
    dataset = _dataset({"split": "all", "sizes": [1, 2]})
    with pytest.raises(TypeError):
        dataset.options["split"] = "stratified"  # type: ignore[index]
    assert dataset.options == {"split": "all", "sizes": [1, 2]}
    with pytest.raises(DatasetError, match="x must be 2D"):
        Split(np.ones(3), np.zeros(3))
