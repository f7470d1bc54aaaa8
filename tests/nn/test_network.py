"""Network type and the JSON model file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nn2crn import ModelFileError
from nn2crn.nn import (
    InputTransform,
    Layer,
    Network,
    load_network,
    network_from_dict,
    network_to_dict,
    random_ternary_network,
    save_network,
)


def good_model() -> dict:
    return {
        "format": "nn2crn.network",
        "version": 1,
        "layers": [
            {"weight": [[1, -1], [0, 1], [1, 1]], "bias": [0.5, -1, 0], "activation": "relu"},
            {"weight": [[1, 0, -1]], "bias": [0.25], "activation": "linear"},
        ],
        "input_names": ["a", "b"],
        "output_names": ["yes"],
        "input_transform": {"mean": [1.0, 2.0], "scale": [0.5, 4.0]},
    }


def test_forward_pass_and_transform():
    network = network_from_dict(good_model())
    raw = np.array([[2.0, 6.0], [0.0, 0.0]])
    x = (raw - [1.0, 2.0]) / [0.5, 4.0]
    hidden = np.maximum(0, x @ np.array([[1, -1], [0, 1], [1, 1]]).T + [0.5, -1, 0])
    expected = hidden @ np.array([[1, 0, -1]]).T + 0.25
    assert np.allclose(network.forward(network.transform(raw)), expected)
    assert network.widths == (2, 3, 1)


def test_model_file_round_trip(tmp_path, rng):
    network = random_ternary_network((4, 5, 3), rng=rng)
    network = Network(
        network.layers,
        ("a", "b", "c", "d"),
        ("p", "q", "r"),
        InputTransform(rng.normal(size=4), rng.uniform(0.5, 2, size=4)),
        {"seed": 3},
    )
    path = tmp_path / "model.json"
    save_network(network, path)
    back = load_network(path)
    assert back == network
    assert back.training == {"seed": 3}
    data = json.loads(path.read_text())
    assert all(isinstance(w, int) for row in data["layers"][0]["weight"] for w in row)


def mutate(path: str, value):
    data = good_model()
    target = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is KeyError:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("format", "other", 'format: expected "nn2crn.network"'),
        ("version", 3, "version: unsupported version 3"),
        ("layers", [], "layers: expected a non-empty list"),
        ("layers.1.weight", [[1, 0, -1, 1]], r"layers\[1\]\.weight: row 0 has 4 entries, expected 3"),
        ("layers.0.weight.2", [1], r"layers\[0\]\.weight: row 2 has 1 entries, expected 2"),
        ("layers.0.weight.1", [0, "x"], r"layers\[0\]\.weight\[1\]\[1\]: expected a number"),
        ("layers.0.bias", [0, 1], r"layers\[0\]\.bias: has 2 entries, expected 3"),
        ("layers.0.bias", KeyError, r"layers\[0\]\.bias: missing"),
        ("layers.1.activation", "tanh", r'layers\[1\]\.activation: unknown activation "tanh"'),
        ("layers.0.extra", 1, r"layers\[0\]\.extra: unknown key"),
        ("input_names", ["a"], "input_names: has 1 names, expected 2"),
        ("output_names", ["a", "b"], "output_names: has 2 names, expected 1"),
        (
            "input_transform",
            {"mean": [0, 0]},
            "input_transform: expected an object with exactly mean and scale",
        ),
        ("input_transform.scale", [1.0, 0.0], r"input_transform\.scale\[1\]: must be non-zero"),
        ("colour", "blue", "colour: unknown key"),
    ],
)
def test_malformed_model_files_name_the_json_path(path, value, message):
    with pytest.raises(ModelFileError, match=message):
        network_from_dict(mutate(path, value))


def test_non_finite_numbers_are_refused(tmp_path):
    path = tmp_path / "nan.json"
    path.write_text(json.dumps(good_model()).replace("0.25", "NaN"))
    with pytest.raises(
        ModelFileError, match=r"nan.json: NaN is not a number JSON allows; every number must be finite"
    ):
        load_network(path)
    with pytest.raises(ModelFileError, match=r"layers\[1\]\.bias\[0\]: expected a finite number"):
        network_from_dict(json.loads(json.dumps(good_model()).replace("0.25", "NaN")))


def test_invalid_json_names_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "format": "nn2crn.network",\n  "version": 1,,\n}')
    with pytest.raises(ModelFileError, match=r"broken.json:3:16: not valid JSON"):
        load_network(path)


def test_missing_model_file(tmp_path):
    with pytest.raises(ModelFileError, match="no such file"):
        load_network(tmp_path / "absent.json")


def test_layers_must_chain():
    with pytest.raises(ValueError, match="takes 3 inputs"):
        Network((Layer(np.ones((2, 2)), np.zeros(2)), Layer(np.ones((1, 3)), np.zeros(1))))


def test_network_to_dict_is_json_serializable(rng):
    json.dumps(network_to_dict(random_ternary_network((3, 2, 2), rng=rng)))


def test_training_record_is_read_only_and_written_unchanged(tmp_path, rng):
    record = {"seed": 3, "hyperparameters": {"hidden": [4]}, "dataset": {"options": {"split": "all"}}}
    network = random_ternary_network([2, 4, 2], rng=rng)
    network = Network(network.layers, training=record)
    with pytest.raises(TypeError):
        network.training["hyperparameters"]["hidden"] = [5]  # type: ignore[index]
    assert network.training == record
    path = tmp_path / "model.json"
    save_network(network, path)
    assert json.loads(path.read_text())["training"] == record
    assert load_network(path).training == record
    import pickle

    assert pickle.loads(pickle.dumps(network)).training == record  # e.g. sent to a worker process


def test_network_invariants_raise_model_file_errors(rng):
    layer = random_ternary_network([2, 2], rng=rng).layers[0]
    with pytest.raises(ModelFileError, match="input_names has 1 names, expected 2"):
        Network((layer,), input_names=("a",))
