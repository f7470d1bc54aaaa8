"""The shipped CNN and int:3 models: recorded accuracy, exact compilation, recipe commands."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn.compile import compile_network, reduce_crn
from nn2crn.crn import check_crn
from nn2crn.datasets import load_dataset
from nn2crn.nn import load_shipped_model
from nn2crn.nn.runs import RUNS
from nn2crn.simulate import stable_outputs
from tests.helpers import assert_close_relative

LAYER_RECIPES = tuple(run for run in RUNS if run.config.conv or run.config.weights.startswith("int:"))


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist", source="sample", download=False)


@pytest.mark.slow
@pytest.mark.parametrize("recipe", LAYER_RECIPES, ids=[recipe.name for recipe in LAYER_RECIPES])
def test_layer_model_is_exact_on_every_test_digit(recipe, mnist):
    network = load_shipped_model(recipe.name)
    assert network.training["hyperparameters"]["weights"] == recipe.config.weights
    x = network.transform(mnist.test.x)
    correct = int((network.forward(x).argmax(1) == mnist.test.y).sum())
    assert network.training["correct"]["test"] == f"{correct}/1000"
    crn = compile_network(network)
    reduced = reduce_crn(crn)
    assert check_crn(reduced).ok
    for variant in (crn, reduced):
        outputs = stable_outputs(variant, x)
        assert_close_relative(outputs, network.forward(x), magnitude=network.forward_magnitude(x))
        assert np.array_equal(outputs.argmax(1), network.forward(x).argmax(1))


def test_recipe_commands_name_the_layers():
    commands = {recipe.name: recipe.command() for recipe in LAYER_RECIPES}
    assert "--weights ternary" in commands["mnist-14x14-conv8-ternary"]
    assert commands["mnist-14x14-conv8-ternary"].endswith(
        "--conv 8 --kernel 3 --pool 2 -o mnist-14x14-conv8-ternary.json"
    )
    assert "--hidden 64 --weights int:3" in commands["mnist-196-64-10-int3"]
    assert commands["mnist-14x14-conv16-64-10-ternary"].endswith(
        "--conv 16 --kernel 3 --pool 2 --shift 1 --schedule cosine --layer-scale "
        "-o mnist-14x14-conv16-64-10-ternary.json"
    )
    assert "--shift" not in commands["mnist-14x14-conv8-ternary"]


def test_the_cnn_of_the_table_reaches_the_goal_with_ternary_weights():
    network = load_shipped_model("mnist-14x14-conv16-64-10-ternary")
    assert [layer.kind for layer in network.layers] == ["conv2d", "maxpool2d", "flatten", "dense", "dense"]
    for layer in network.layers:
        if hasattr(layer, "weight"):
            assert set(np.unique(layer.weight)) <= {-1.0, 0.0, 1.0}
    correct, total = map(int, network.training["correct"]["test"].split("/"))
    assert total == 1000 and correct >= 970
