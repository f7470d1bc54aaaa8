"""The GSE73072 virus loader: filtering rule, class counts and the fixed split."""

from __future__ import annotations

import shutil
from importlib import resources

import numpy as np
import pytest

from nn2crn import DatasetError
from nn2crn.datasets import load_dataset, load_virus, virus_examples


def bundled_folder():
    return resources.files("nn2crn.datasets").joinpath("data").joinpath("virus")


def test_filter_keeps_698_examples_with_the_papers_class_counts():
    x, y, feature_names = virus_examples()
    assert x.shape == (698, 10)
    assert np.bincount(y).tolist() == [260, 193, 151, 94]
    assert feature_names[0] == "probe_10000_at" and feature_names[-1] == "probe_10019_at"


def test_split_is_558_34_104_with_four_classes_and_disjoint():
    dataset = load_dataset("virus")
    assert dataset.split_sizes == {"train": 558, "val": 34, "test": 104}
    assert dataset.class_names == ("h1n1", "h3n2", "hrv", "rsv")
    assert dataset.n_features == 10
    for split in dataset.splits().values():
        assert set(np.unique(split.y)) == {0, 1, 2, 3}
    rows = [tuple(row) for split in dataset.splits().values() for row in split.x]
    assert len(set(rows)) == 696  # no example is in two splits
    all_x, _, _ = virus_examples()
    assert set(rows) <= {tuple(row) for row in all_x}


def test_split_is_fixed():
    first, second = load_virus(), load_virus()
    for name in ("train", "val", "test"):
        np.testing.assert_array_equal(getattr(first, name).x, getattr(second, name).x)
        np.testing.assert_array_equal(getattr(first, name).y, getattr(second, name).y)


def copy_bundled(tmp_path):
    for entry in bundled_folder().iterdir():
        if entry.name.endswith(".csv"):
            with resources.as_file(entry) as source:
                shutil.copy(source, tmp_path / entry.name)
    return tmp_path


def test_data_dir_copy_gives_the_same_dataset(tmp_path):
    folder = copy_bundled(tmp_path)
    np.testing.assert_array_equal(load_virus(data_dir=folder).x_test, load_virus().x_test)


def test_missing_file_names_it_and_how_to_fix(tmp_path):
    folder = copy_bundled(tmp_path)
    (folder / "icml2020dataset_GSE73072_DUKE.csv").unlink()
    with pytest.raises(DatasetError, match=r"DUKE\.csv is missing .*data_dir=DIR"):
        load_virus(data_dir=folder)


def test_bad_title_names_file_and_line(tmp_path):
    folder = copy_bundled(tmp_path)
    path = folder / "icml2020dataset_GSE73072_sample.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace("Subject 1, Hour 0", "Subj 1 at hour zero")
    path.write_text("".join(lines))
    with pytest.raises(DatasetError, match=r"sample\.csv:3: title"):
        load_virus(data_dir=folder)


def test_label_that_contradicts_the_title_is_rejected(tmp_path):
    folder = copy_bundled(tmp_path)
    path = folder / "icml2020dataset_GSE73072_4labels.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[-1] = lines[-1].replace(",h1n1,", ",rsv,", 1)
    path.write_text("".join(lines))
    with pytest.raises(DatasetError, match="labelled 'rsv' but its title says H1N1"):
        load_virus(data_dir=folder)
