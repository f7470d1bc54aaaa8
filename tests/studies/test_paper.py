"""The paper's experiments as a study: keys, the registered runs' settings and data, model selection."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn import InputDataError
from nn2crn.datasets import load_dataset
from nn2crn.nn import InputTransform, Network, random_ternary_network
from nn2crn.nn.runs import EXPERIMENTS
from nn2crn.studies import paper as paper_module
from nn2crn.studies.paper import experiment_network, resolve_keys, train_config


def iris_network(training: dict | None = None) -> Network:
    iris = load_dataset("iris")
    random = random_ternary_network((4, 8, 3), rng=np.random.default_rng(5), binary=True)
    transform = InputTransform(iris.x_train.mean(axis=0), iris.x_train.std(axis=0))
    return Network(random.layers, iris.feature_names, iris.class_names, transform, training or {})


def test_resolve_keys():
    assert resolve_keys(["all"]) == ("iris", "virus", "mnist")
    assert resolve_keys([]) == ("iris", "virus", "mnist")
    assert resolve_keys(["mnist", "iris", "iris"]) == ("iris", "mnist")
    assert resolve_keys(["int3", "all", "cnn"]) == ("iris", "virus", "mnist", "cnn", "int3")
    with pytest.raises(
        InputDataError, match="unknown experiment 'cifar'; choose from iris, virus, mnist, cnn, int3 or all"
    ):
        resolve_keys(["cifar"])


def test_train_config_uses_the_shipped_record_else_the_paper_settings():
    recorded = iris_network(
        {
            "hyperparameters": {
                "hidden": [5],
                "weights": "ternary",
                "threshold": 0.2,
                "epochs": 7,
                "batch_size": 9,
                "lr_start": 0.02,
                "lr_end": 0.001,
                "dropout_input": 0.1,
                "loss": "hinge",
            },
            "seed": 42,
        }
    )
    config = train_config(EXPERIMENTS["iris"], recorded)
    assert (config.hidden, config.weights, config.threshold, config.epochs, config.seed) == (
        (5,),
        "ternary",
        0.2,
        7,
        42,
    )
    assert config.dropout_input == 0.1
    default = train_config(EXPERIMENTS["virus"], None)
    assert (default.hidden, default.weights, default.epochs, default.lr_start, default.lr_end) == (
        (8,),
        "ternary",
        500,
        0.01,
        3e-5,
    )


@pytest.mark.torch
def test_train_flag_trains_with_the_recorded_settings(monkeypatch):
    pytest.importorskip("torch")
    recorded = iris_network(
        {
            "hyperparameters": {
                "hidden": [5],
                "weights": "ternary",
                "threshold": 0.15,
                "epochs": 3,
                "batch_size": 32,
            },
            "dataset": {"name": "iris", "options": {"split": "stratified", "split_seed": 1}},
            "seed": 4,
        }
    )
    monkeypatch.setattr(paper_module, "shipped_network", lambda experiment: recorded)
    network, data, provenance = experiment_network(EXPERIMENTS["iris"], train=True)
    assert network.widths == (4, 5, 3)
    assert network.training["seed"] == 4 and network.training["hyperparameters"]["epochs"] == 3
    assert data.split_sizes == {"train": 90, "val": 30, "test": 30}
    assert "recorded settings" in provenance


def test_recorded_dataset_options_map_onto_the_loader():
    mnist = EXPERIMENTS["mnist"]
    network = iris_network(
        {"dataset": {"name": "mnist", "options": {"source": "sample", "image_size": 28, "x": 1}}}
    )
    assert paper_module.dataset_options(mnist, network) == {
        "source": "sample",
        "downscale_to_14": False,
        "download": False,
    }
    # The registry holds what produced the shipped MNIST model: the bundled sample (it was "auto" in the
    # second, conflicting registry that report/reproduce.py used to keep).
    assert paper_module.dataset_options(mnist, None) == {"source": "sample", "download": False}
    assert paper_module.dataset_options(EXPERIMENTS["iris"], None) == {"split": "all"}


def test_each_experiment_simulates_its_own_number_of_ode_examples_unless_told(monkeypatch):
    from nn2crn.studies import paper

    seen: dict[str, int] = {}
    monkeypatch.setattr(paper, "experiment_network", lambda run, **options: (None, None, ""))

    def record(key, network, data, *, ode_examples, **options):
        seen[key] = ode_examples
        return key

    monkeypatch.setattr(paper, "run_experiment", record)
    assert paper.run_paper_experiments(["cnn", "int3", "mnist"]) == ("cnn", "int3", "mnist")
    assert seen == {"cnn": 100, "int3": 1000, "mnist": 1000}  # the CNN's 32,876 species: 100 digits
    paper.run_paper_experiments(["cnn", "int3"], ode_examples=7)
    assert seen == {"cnn": 7, "int3": 7, "mnist": 1000}
