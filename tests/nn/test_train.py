"""The BinaryConnect trainer: determinism, quantized exports, and agreement with PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn.datasets import load_dataset
from nn2crn.nn import load_network, save_network

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from nn2crn.nn.train import TrainConfig, train_network  # noqa: E402


@pytest.fixture(scope="module")
def iris():
    return load_dataset("iris", split="stratified")


def tiny(**overrides) -> TrainConfig:
    settings = {"hidden": (5,), "epochs": 4, "batch_size": 16, "lr_start": 0.01, "lr_end": 0.001, "seed": 7}
    return TrainConfig(**{**settings, **overrides})


def test_same_seed_same_network_and_history(iris):
    config = tiny(weights="ternary", dropout_input=0.1, dropout_hidden=0.1)
    first, second = train_network(iris, config), train_network(iris, config)
    assert first.network == second.network
    assert [r.loss for r in first.history] == [r.loss for r in second.history]
    assert first.network.training == second.network.training
    other = train_network(iris, tiny(weights="ternary", dropout_input=0.1, dropout_hidden=0.1, seed=8))
    assert other.network != first.network


def test_training_leaves_the_global_torch_rng_alone(iris):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    train_network(iris, tiny(dropout_hidden=0.2))
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(("kind", "allowed"), [("binary", {-1.0, 1.0}), ("ternary", {-1.0, 0.0, 1.0})])
def test_exported_weights_are_exactly_quantized(iris, kind, allowed):
    result = train_network(iris, tiny(weights=kind, hidden=(6, 4), threshold=0.3))
    network = result.network
    assert network.widths == (4, 6, 4, 3)
    assert [layer.activation for layer in network.layers] == ["relu", "relu", "linear"]
    for layer in network.layers:
        assert set(np.unique(layer.weight)) <= allowed
    if kind == "ternary":
        assert network.training["weight_counts"]["0"] > 0  # threshold 0.3 on U(-1, 1) shadow weights
    for index in range(len(network.layers)):  # shadow weights stay clipped; biases are free
        assert float(result.model.shadow_weight(index).detach().abs().max()) <= 1.0


@pytest.mark.parametrize("loss", ["hinge", "xent"])
def test_json_forward_reproduces_pytorch_eval_outputs(iris, tmp_path, loss):
    result = train_network(iris, tiny(weights="ternary", hidden=(7, 5), loss=loss, dropout_hidden=0.3))
    save_network(result.network, tmp_path / "model.json")
    loaded = load_network(tmp_path / "model.json")
    assert loaded == result.network
    raw = np.concatenate([iris.x_train, iris.x_test])
    standardized = loaded.transform(raw)
    with torch.no_grad():
        expected = result.model(torch.tensor(standardized)).numpy()
    np.testing.assert_allclose(loaded.forward(standardized), expected, rtol=0, atol=1e-5)


def test_input_transform_is_the_training_standardization(iris):
    network = train_network(iris, tiny()).network
    np.testing.assert_allclose(network.input_transform.mean, iris.x_train.mean(axis=0))
    np.testing.assert_allclose(network.input_transform.scale, iris.x_train.std(axis=0))
    assert network.input_names == iris.feature_names
    assert network.output_names == iris.class_names


def test_training_record_matches_the_exported_network(iris):
    result = train_network(iris, tiny(epochs=6), extra_record={"note": "test"})
    record = result.network.training
    assert record["dataset"]["name"] == "iris"
    assert record["dataset"]["split_sizes"] == {"train": 90, "val": 30, "test": 30}
    assert record["seed"] == 7 and record["hyperparameters"]["hidden"] == [5]
    assert "threshold" not in record["hyperparameters"]  # binary weights
    assert set(record["versions"]) >= {"nn2crn", "torch", "numpy", "python"}
    assert record["note"] == "test"
    for name in ("train", "val", "test"):
        split = getattr(iris, name)
        correct = int((result.network.predict(split.x) == split.y).sum())
        assert record["correct"][name] == f"{correct}/{split.n_examples}"
        assert record["accuracy"][name] == pytest.approx(correct / split.n_examples, abs=1e-6)
    assert 1 <= record["best_epoch"] <= 6
    best = result.history[result.best_epoch]
    assert best.is_best and best.val_accuracy == pytest.approx(result.accuracies["val"])
    assert max(r.val_accuracy for r in result.history) == best.val_accuracy


def test_learning_rate_decays_exponentially_from_start_to_end():
    config = TrainConfig(epochs=5, lr_start=0.1, lr_end=0.001)
    rates = [config.learning_rate(epoch) for epoch in range(5)]
    assert rates[0] == pytest.approx(0.1) and rates[-1] == pytest.approx(0.001)
    np.testing.assert_allclose(np.diff(np.log(rates)), np.log(0.01) / 4)


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="hidden widths must be >= 1"):
        TrainConfig(hidden=(0,))
    with pytest.raises(ValueError, match="weights must be binary, ternary or int:K"):
        TrainConfig(weights="real")
    with pytest.raises(ValueError, match=r"weights must be binary, ternary or int:K \(K >= 1\), got 'int:0'"):
        TrainConfig(weights="int:0")
    with pytest.raises(ValueError, match="dropout"):
        TrainConfig(dropout_input=1.0)


def test_straight_through_estimator_passes_gradients_to_shadow_weights(iris):
    # One step of training must move shadow weights even though sign() has zero derivative.
    result = train_network(iris, tiny(epochs=1, weights="binary"))
    generator = torch.Generator().manual_seed(7)
    initial = torch.rand(5 * 4, generator=generator, dtype=torch.float64) * 2 - 1
    assert not torch.equal(result.model.shadow_weight(0).detach().ravel(), initial)


def test_vectorized_adam_matches_torch_adam_with_scaled_groups_and_clipping():
    from nn2crn.nn.train import _Adam

    class Flat(torch.nn.Module):
        def __init__(self):
            super().__init__()
            generator = torch.Generator().manual_seed(0)
            self.theta = torch.nn.Parameter(torch.rand(7, generator=generator, dtype=torch.float64) * 2 - 1)
            self.register_buffer("lr_scale", torch.tensor([3.0] * 4 + [1.0] * 3, dtype=torch.float64))
            self.register_buffer("is_weight", torch.tensor([True] * 4 + [False] * 3))

    ours = Flat()
    weights = torch.nn.Parameter(ours.theta.detach()[:4].clone())
    biases = torch.nn.Parameter(ours.theta.detach()[4:].clone())
    reference = torch.optim.Adam([{"params": [weights], "lr": 0.3}, {"params": [biases], "lr": 0.1}])
    optimizer = _Adam(torch, ours)
    target = torch.tensor([5.0, -5.0, 0.2, -0.1, 2.0, -3.0, 0.5], dtype=torch.float64)
    for step in range(25):
        rate = 0.1 * 0.9**step
        ((ours.theta - target) ** 2).sum().backward()
        optimizer.step(rate)
        reference.zero_grad()
        ((torch.cat([weights, biases]) - target) ** 2).sum().backward()
        reference.param_groups[0]["lr"], reference.param_groups[1]["lr"] = 3 * rate, rate
        reference.step()
        with torch.no_grad():
            weights.clamp_(-1, 1)
        torch.testing.assert_close(
            ours.theta.detach(), torch.cat([weights, biases]).detach(), rtol=1e-12, atol=1e-12
        )
    assert ours.theta[0] == 1.0 and ours.theta[4] > 1.0  # weights clipped, biases free


def test_empty_validation_split_selects_on_training_data(iris):
    import dataclasses

    from nn2crn.datasets import Split

    no_val = dataclasses.replace(iris, val=Split(np.empty((0, 4)), np.empty(0, dtype=np.int64)))
    result = train_network(no_val, tiny(epochs=3))
    record = result.network.training
    assert record["accuracy"]["val"] is None and record["correct"]["val"] == "0/0"
    assert result.history[result.best_epoch].val_accuracy == result.history[result.best_epoch].train_accuracy


def test_a_diverging_loss_is_refused_with_the_epoch(iris):
    from nn2crn.nn.train import TrainingDivergedError

    with pytest.raises(TrainingDivergedError, match=r"training diverged at epoch 1: the loss is nan"):
        train_network(iris, tiny(lr_start=1e300, lr_end=1e300, epochs=2))


def test_features_too_large_to_standardize_are_refused(iris):
    import dataclasses

    from nn2crn import DatasetError

    x = iris.train.x.copy()
    x[3, 1] = 1e300  # finite, but its square overflows: training would see infinities
    broken = dataclasses.replace(iris, train=dataclasses.replace(iris.train, x=x))
    with pytest.raises(DatasetError, match=r"features are too large to standardize"):
        train_network(broken, tiny())
