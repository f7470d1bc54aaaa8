"""freeze_json / thaw_json: read-only metadata that writes the same JSON."""

from __future__ import annotations

import json
import pickle

import pytest

from nn2crn._frozen import FrozenList, freeze_json, thaw_json


def test_frozen_values_are_read_only_and_round_trip_to_the_same_json():
    record = {"hidden": [5, 3], "dataset": {"options": {"split": "all"}, "sizes": [[1, 2]]}, "seed": 7}
    frozen = freeze_json(record)
    with pytest.raises(TypeError):
        frozen["dataset"]["options"]["split"] = "x"
    assert isinstance(frozen["hidden"], FrozenList) and frozen == record
    assert json.dumps(thaw_json(frozen)) == json.dumps(record)


def test_frozen_list_equals_its_list_and_its_tuple_and_hashes():
    frozen = FrozenList([1, 2])
    assert frozen == [1, 2] and [1, 2] == frozen and frozen == (1, 2) and frozen != [2, 1]
    assert hash(frozen) == hash((1, 2))


def test_frozen_values_pickle_and_hash():
    frozen = freeze_json({"split": "all", "hidden": [4, 2], "nested": {"seed": 1}})
    assert pickle.loads(pickle.dumps(frozen)) == frozen
    assert hash(frozen) == hash(freeze_json({"nested": {"seed": 1}, "hidden": [4, 2], "split": "all"}))
    with pytest.raises(AttributeError, match="read-only"):
        frozen._items = {}
