"""The dataset-options codec: loader keywords, recorded descriptions and train flags agree."""

from __future__ import annotations

import pytest

from nn2crn import DatasetError
from nn2crn.datasets import load_dataset
from nn2crn.datasets.options import (
    accepted_options,
    check_options,
    option_flags,
    option_for_flag,
    options_from_record,
)


def test_accepted_options_follow_the_loaders():
    assert accepted_options("iris") == ("split", "split_seed")
    assert accepted_options("virus") == ("data_dir",)
    assert accepted_options("mnist") == ("source", "data_dir", "downscale_to_14", "download", "progress")
    assert accepted_options("csv") == ("path", "label", "split", "split_seed", "fractions")


def test_unknown_options_are_refused_with_the_accepted_ones():
    with pytest.raises(DatasetError, match="iris: unknown option 'source'; iris accepts split, split_seed"):
        check_options("iris", {"source": "sample"})
    with pytest.raises(DatasetError, match="virus: unknown option 'split'; virus accepts data_dir"):
        load_dataset("virus", split="all")


def test_a_loaded_dataset_records_options_that_load_it_again():
    iris = load_dataset("iris", split="stratified", split_seed=3)
    again = load_dataset("iris", **options_from_record("iris", iris.options))
    assert again.split_sizes == iris.split_sizes and (again.test.x == iris.test.x).all()


def test_records_decode_to_loader_keywords_dropping_what_the_loader_does_not_take():
    assert options_from_record("mnist", {"source": "sample", "image_size": 28, "x": 1}) == {
        "source": "sample",
        "downscale_to_14": False,
    }
    assert options_from_record("mnist", {"image_size": 14}) == {"downscale_to_14": True}
    assert options_from_record("virus", {"split": "all"}) == {}


def test_flags_round_trip_through_the_codec():
    assert option_flags({"split": "all"}) == ("--split all",)
    assert option_flags({"source": "sample", "download": False, "downscale_to_14": False}) == (
        "--mnist-source sample",
        "--no-download",
        "--image-size 28",
    )
    assert option_flags({"download": True}) == ()
    assert option_for_flag("--image-size").name == "downscale_to_14"
    assert option_for_flag("--split").datasets == ("iris", "csv")
