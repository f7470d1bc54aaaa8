"""Training CNNs with the nn2crn.torch modules: shift augmentation, cosine schedule, folded layer scales."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nn2crn.datasets import load_dataset
from nn2crn.datasets.base import Dataset, Split

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from nn2crn.nn.train import TrainConfig, _shift_images, train_network  # noqa: E402


@pytest.fixture(scope="module")
def digits() -> Dataset:
    """300/100/100 of the bundled 14x14 MNIST digits: enough to train for an epoch or two."""
    mnist = load_dataset("mnist", source="sample", download=False)

    def first(split: Split, n: int) -> Split:
        return Split(split.x[:n], split.y[:n])

    return dataclasses.replace(
        mnist, train=first(mnist.train, 300), val=first(mnist.val, 100), test=first(mnist.test, 100)
    )


def cnn(**overrides) -> TrainConfig:
    settings = {
        "hidden": (),
        "conv": (3, 4),
        "weights": "ternary",
        "threshold": 0.35,
        "epochs": 2,
        "batch_size": 32,
        "lr_start": 0.003,
        "lr_end": 3e-4,
        "loss": "xent",
        "seed": 3,
    }
    return TrainConfig(**{**settings, **overrides})


def test_shift_moves_each_image_by_its_own_offset_and_fills_background():
    images = torch.arange(3 * 25, dtype=torch.float32).view(3, 25) + 1
    shifted = _shift_images(torch, images, 1, -7.0, torch.Generator().manual_seed(0)).view(3, 5, 5)
    original = images.view(3, 5, 5)
    for image, moved in zip(original, shifted, strict=True):
        matches = [
            (row_shift, column_shift)
            for row_shift in (-1, 0, 1)
            for column_shift in (-1, 0, 1)
            if torch.equal(
                moved[
                    max(0, -row_shift) : 5 - max(0, row_shift),
                    max(0, -column_shift) : 5 - max(0, column_shift),
                ],
                image[
                    max(0, row_shift) : 5 - max(0, -row_shift),
                    max(0, column_shift) : 5 - max(0, -column_shift),
                ],
            )
        ]
        assert len(matches) == 1
        n_background = int((moved == -7.0).sum())
        row_shift, column_shift = matches[0]
        assert n_background == 25 - (5 - abs(row_shift)) * (5 - abs(column_shift))


def test_cosine_schedule_runs_from_start_to_end_through_the_midpoint():
    config = TrainConfig(epochs=5, lr_start=0.1, lr_end=0.001, schedule="cosine")
    rates = [config.learning_rate(epoch) for epoch in range(5)]
    assert rates[0] == pytest.approx(0.1) and rates[-1] == pytest.approx(0.001)
    assert rates[2] == pytest.approx((0.1 + 0.001) / 2)
    assert all(np.diff(rates) < 0)


def test_new_settings_are_refused_where_they_do_not_apply():
    with pytest.raises(ValueError, match="shift must be >= 0, and is for conv networks only, got 1"):
        TrainConfig(hidden=(4,), shift=1)
    with pytest.raises(ValueError, match="layer_scale is for conv and int:K networks only"):
        TrainConfig(hidden=(4,), weights="ternary", layer_scale=True)
    with pytest.raises(ValueError, match="schedule must be one of"):
        TrainConfig(schedule="step")


def test_folded_layer_scales_leave_ternary_weights_and_scale_the_outputs(digits):
    result = train_network(digits, cnn(layer_scale=True, shift=1, schedule="cosine"))
    network = result.network
    for layer in network.layers:
        if hasattr(layer, "weight"):
            assert set(np.unique(layer.weight)) <= {-1.0, 0.0, 1.0}
    x = network.transform(digits.test.x)
    with torch.no_grad():
        trained = result.model(torch.tensor(x, dtype=torch.float32)).double().numpy()
    exported = network.forward(x)
    # The exported network computes the trained model divided by the product of the layer scales.
    product = float(np.prod([m.scale for m in result.model if type(m).__name__ == "LayerScale"]))
    np.testing.assert_allclose(exported * product, trained, rtol=1e-4, atol=1e-4 * np.abs(trained).max())
    assert np.array_equal(exported.argmax(1), trained.argmax(1))
    settings = network.training["hyperparameters"]
    assert (settings["shift"], settings["schedule"], settings["layer_scale"]) == (1, "cosine", True)


def test_default_settings_are_not_recorded_and_training_repeats_exactly(digits):
    first, second = train_network(digits, cnn(shift=1)), train_network(digits, cnn(shift=1))
    assert first.network == second.network
    assert [record.loss for record in first.history] == [record.loss for record in second.history]
    settings = first.network.training["hyperparameters"]
    assert settings["shift"] == 1 and "schedule" not in settings and "layer_scale" not in settings
    unshifted = train_network(digits, cnn())
    assert [record.loss for record in unshifted.history] != [record.loss for record in first.history]
