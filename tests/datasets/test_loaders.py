"""load_dataset, IRIS and CSV files."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn import DatasetError
from nn2crn.datasets import DATASETS, dataset_names, load_dataset
from nn2crn.datasets.base import stratified_split


def test_iris_paper_setting_uses_all_150_everywhere():
    dataset = load_dataset("iris")
    assert dataset.split_sizes == {"train": 150, "val": 150, "test": 150}
    assert dataset.class_names == ("setosa", "versicolor", "virginica")
    assert dataset.feature_names == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert np.bincount(dataset.y_test).tolist() == [50, 50, 50]


def test_iris_stratified_split_is_balanced_disjoint_and_seeded():
    dataset = load_dataset("iris", split="stratified")
    assert dataset.split_sizes == {"train": 90, "val": 30, "test": 30}
    assert np.bincount(dataset.y_val).tolist() == [10, 10, 10]
    rows = [tuple(row) for split in dataset.splits().values() for row in split.x]
    assert len(rows) == 150
    again = load_dataset("iris", split="stratified")
    np.testing.assert_array_equal(dataset.x_train, again.x_train)
    other = load_dataset("iris", split="stratified", split_seed=1)
    assert not np.array_equal(dataset.x_train, other.x_train)


def test_stratified_split_keeps_every_example_once():
    y = np.repeat([0, 1, 2], [7, 11, 2])
    train, val, test = stratified_split(y, (0.8, 0.1, 0.1), seed=3)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(20))
    assert np.bincount(y[train], minlength=3).tolist() == [
        5,
        9,
        2,
    ]  # largest remainders: 5.6 -> 5, 0.7 -> 1, 0.7 -> 1


def test_unknown_dataset_and_option_have_fix_hints():
    with pytest.raises(DatasetError, match="unknown dataset 'cifar'; choose one of iris, virus, mnist, csv"):
        load_dataset("cifar")
    with pytest.raises(DatasetError, match="iris: unknown option 'label'; iris accepts split, split_seed"):
        load_dataset("iris", label="species")


def test_every_listed_dataset_is_loadable_by_name():
    assert [info.name for info in DATASETS] == list(dataset_names())


def write(tmp_path, text, name="flowers.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_with_label_column(tmp_path):
    lines = ["petal length (cm),kind,2nd"] + [f"{i / 10},{'b' if i % 2 else 'a'},{i}" for i in range(40)]
    dataset = load_dataset(str(write(tmp_path, "\n".join(lines) + "\n")), label="kind")
    assert dataset.name == "flowers"
    assert dataset.feature_names == ("petal_length_cm", "x_2nd")
    assert dataset.class_names == ("a", "b")
    assert dataset.split_sizes == {"train": 32, "val": 4, "test": 4}
    everything = load_dataset("csv", path=tmp_path / "flowers.csv", label="kind", split="all")
    assert everything.split_sizes == {"train": 40, "val": 40, "test": 40}
    assert everything.x_train[3].tolist() == [0.3, 3.0]


def test_csv_numeric_classes_are_sorted_naturally_and_made_identifiers(tmp_path):
    lines = ["f,label"] + [f"{i},{i % 11}" for i in range(44)]
    dataset = load_dataset(str(write(tmp_path, "\n".join(lines))), label="label", split="all")
    assert dataset.class_names[:3] == ("class_0", "class_1", "class_2")
    assert dataset.class_names[-1] == "class_10"


def test_csv_errors_name_file_line_and_fix(tmp_path):
    path = write(tmp_path, "a,b,kind\n1,2,x\n3,oops,y\n")
    with pytest.raises(DatasetError, match=r"flowers\.csv:3: column 'b' is 'oops'"):
        load_dataset(str(path), label="kind")
    with pytest.raises(
        DatasetError, match=r"flowers\.csv:1: no column 'species'; the columns are a, b, kind"
    ):
        load_dataset(str(path), label="species")
    with pytest.raises(DatasetError, match="label=COLUMN"):
        load_dataset(str(path))
    with pytest.raises(DatasetError, match="no such file"):
        load_dataset(str(tmp_path / "missing.csv"), label="kind")
    with pytest.raises(DatasetError, match="single class"):
        load_dataset(str(write(tmp_path, "a,kind\n1,x\n2,x\n", "one.csv")), label="kind")
    with pytest.raises(DatasetError, match=r"ragged\.csv:3: has 2 columns, the header has 3"):
        load_dataset(str(write(tmp_path, "a,b,kind\n1,2,x\n3,y\n", "ragged.csv")), label="kind")
