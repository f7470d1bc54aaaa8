"""Model JSON version 2: layer kinds, activations, shapes; version 1 still loads."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nn2crn import ModelFileError
from nn2crn.nn import Layer, Network, load_network, network_from_dict, network_to_dict, save_network
from nn2crn.nn.network import Activation, AvgPool2d, Conv2d, Flatten, MaxPool2d


def cnn() -> Network:
    rng = np.random.default_rng(0)
    conv = Conv2d(
        rng.integers(-1, 2, (2, 1, 3, 3)),
        rng.normal(size=2),
        (1, 1),
        (1, 1),
        Activation("leaky_relu", alpha=0.25),
    )
    return Network(
        (
            conv,
            MaxPool2d((2, 2)),
            AvgPool2d((1, 2), (1, 1)),
            Flatten(),
            Layer(
                rng.integers(-3, 4, (3, 2 * 2 * 1)) / 3,
                rng.normal(size=3),
                Activation("hardtanh", low=-1, high=2.5),
            ),
            Layer(np.ones((2, 3)), np.zeros(2), "abs"),
        ),
        input_shape=(1, 4, 4),
    )


def test_version_2_round_trip(tmp_path):
    network = cnn()
    assert network.shapes == ((1, 4, 4), (2, 4, 4), (2, 2, 2), (2, 2, 1), (4,), (3,), (2,))
    assert network.widths == (16, 32, 8, 4, 3, 2)
    path = tmp_path / "cnn.json"
    save_network(network, path)
    data = json.loads(path.read_text())
    assert data["version"] == 2 and data["input_shape"] == [1, 4, 4]
    assert [layer["kind"] for layer in data["layers"]] == [
        "conv2d",
        "maxpool2d",
        "avgpool2d",
        "flatten",
        "dense",
        "dense",
    ]
    assert data["layers"][0]["activation"] == {"kind": "leaky_relu", "alpha": 0.25}
    back = load_network(path)
    assert back == network
    x = np.random.default_rng(1).normal(size=(3, 16))
    np.testing.assert_array_equal(back.forward(x), network.forward(x))


def test_dense_relu_networks_are_still_written_as_version_1():
    network = Network((Layer(np.ones((2, 2)), np.zeros(2)), Layer(np.ones((1, 2)), np.zeros(1), "linear")))
    data = network_to_dict(network)
    assert data["version"] == 1 and "input_shape" not in data and "kind" not in data["layers"][0]
    assert network_from_dict(data) == network


def test_activations_compute_their_formulas():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(Activation("leaky_relu", alpha=0.25).apply(x), [-0.5, -0.125, 0, 0.5, 3])
    np.testing.assert_array_equal(Activation("hardtanh", low=-1, high=1).apply(x), [-1, -0.5, 0, 0.5, 1])
    np.testing.assert_array_equal(Activation("abs").apply(x), [2, 0.5, 0, 0.5, 3])
    assert Activation("relu") == "relu" and Activation("hardtanh") != "hardtanh"


def v2(layers, input_shape=(1, 4, 4)) -> dict:
    return {"format": "nn2crn.network", "version": 2, "input_shape": list(input_shape), "layers": layers}


FLAT = {"kind": "flatten"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            v2([{"kind": "pool"}]),
            r'layers\[0\]\.kind: unknown layer kind "pool"; expected one of dense, conv2d',
        ),
        (v2([{"kind": "maxpool2d"}]), r"layers\[0\]\.kernel: missing; give \[rows, columns\]"),
        (
            v2([{"kind": "maxpool2d", "kernel": [2, 2], "padding": [2, 0]}]),
            r"layers\[0\]\.padding: must be at most half the kernel",
        ),
        (
            v2([{"kind": "maxpool2d", "kernel": [5, 5]}]),
            r"layers\[0\]: maxpool2d: kernel \(5, 5\) does not fit an input of 4x4",
        ),
        (v2([{"kind": "avgpool2d", "kernel": [2, 0]}]), r"layers\[0\]\.kernel: expected 2 integers >= 1"),
        (
            v2([{"kind": "flatten", "weight": []}]),
            r"layers\[0\]\.weight: unknown key; a flatten layer has no other keys",
        ),
        (
            v2([{"kind": "conv2d", "weight": [[[[1]]]], "bias": [0, 1]}]),
            r"layers\[0\]\.bias: has 2 entries, expected 1",
        ),
        (
            v2([{"kind": "conv2d", "weight": [[[[1, 2]], [[1]]]], "bias": [0]}]),
            r"layers\[0\]\.weight\[0\]\[1\]: has shape",
        ),
        (
            v2([{"kind": "conv2d", "weight": [[[[1]], [[1]]]], "bias": [0]}]),
            r"layers\[0\]: conv2d expects 2 input channels",
        ),
        (
            v2([{"kind": "dense", "weight": [[1]], "bias": [0]}]),
            r"layers\[0\]: a dense layer of 1 inputs cannot take an input of shape \(1, 4, 4\); put a flatten layer before it",
        ),
        (
            v2([FLAT, {"kind": "dense", "weight": [[1] * 16], "bias": [0], "activation": "leaky_relu"}]),
            r"layers\[1\]\.activation: unknown activation \"leaky_relu\".*give leaky_relu and hardtanh as objects",
        ),
        (
            v2(
                [
                    FLAT,
                    {
                        "kind": "dense",
                        "weight": [[1] * 16],
                        "bias": [0],
                        "activation": {"kind": "hardtanh", "low": 1, "high": 0},
                    },
                ]
            ),
            r"layers\[1\]\.activation: hardtanh needs low < high",
        ),
        (
            v2(
                [
                    FLAT,
                    {
                        "kind": "dense",
                        "weight": [[1] * 16],
                        "bias": [0],
                        "activation": {"kind": "leaky_relu"},
                    },
                ]
            ),
            r"layers\[1\]\.activation: a leaky_relu activation has exactly the keys alpha, kind",
        ),
        (
            v2([FLAT], input_shape=(2, 3)),
            r"input_shape: expected \[n_inputs\] or \[channels, rows, columns\]",
        ),
        (
            {"format": "nn2crn.network", "version": 2, "layers": [FLAT]},
            r"layers\[0\]: a network starting with flatten needs input_shape",
        ),
        (
            {
                "format": "nn2crn.network",
                "version": 1,
                "layers": [{"weight": [[1]], "bias": [0], "activation": {"kind": "abs"}}],
            },
            r"layers\[0\]\.activation: unknown activation \"abs\"; expected one of relu, linear \(version 1",
        ),
        (
            {"format": "nn2crn.network", "version": 1, "input_shape": [1], "layers": []},
            r"input_shape: unknown key",
        ),
    ],
)
def test_malformed_version_2_files_name_the_json_path(data, message):
    with pytest.raises(ModelFileError, match=message):
        network_from_dict(data)
