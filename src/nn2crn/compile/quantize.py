"""Quantizing a float network to weights k / D, so that it compiles exactly.

The compiler then scales each layer by its least common denominator (a divisor
of D) and records the product in the outputs' scale. Biases stay real.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .._errors import CompileError
from ..nn import Network
from ..nn.network import Activation, AnyLayer, Conv2d, Layer


@dataclass(frozen=True)
class Quantization:
    """What :func:`quantize_network` did.

    Attributes
    ----------
    network : Network
        Weights (and leaky_relu slopes) rounded to the nearest multiple of 1/denominator.
    denominator : int
    n_weights, n_changed : int
        How many weights there are, and how many the rounding changed.
    max_weight_error : float
        Largest ``|w - round(w D) / D|``.
    """

    network: Network
    denominator: int
    n_weights: int
    n_changed: int
    max_weight_error: float


@dataclass(frozen=True)
class AccuracyLoss:
    """Accuracy of a network before and after quantization on labelled examples."""

    n_examples: int
    accuracy_before: float
    accuracy_after: float
    max_output_change: float

    @property
    def lost(self) -> float:
        return self.accuracy_before - self.accuracy_after


def quantize_network(network: Network, denominator: int) -> Quantization:
    """Round every weight of `network` to the nearest k / `denominator`.

    Parameters
    ----------
    network : Network
    denominator : int
        From 1 to 1024 (the compiler's largest denominator).

    Returns
    -------
    Quantization

    Raises
    ------
    CompileError
        If `denominator` is out of range.
    """
    if (
        isinstance(denominator, bool)
        or not isinstance(denominator, (int, np.integer))
        or not 1 <= denominator <= 1024
    ):
        raise CompileError(f"denominator: expected an integer from 1 to 1024, got {denominator!r}")
    layers: list[AnyLayer] = []
    n_weights = n_changed = 0
    max_error = 0.0
    for layer in network.layers:
        if not isinstance(layer, (Layer, Conv2d)):
            layers.append(layer)
            continue
        rounded = np.round(layer.weight * denominator) / denominator
        n_weights += rounded.size
        n_changed += int((rounded != layer.weight).sum())
        max_error = max(max_error, float(np.max(np.abs(rounded - layer.weight), initial=0.0)))
        activation = layer.activation
        if activation.kind == "leaky_relu":
            activation = Activation("leaky_relu", alpha=round(activation.alpha * denominator) / denominator)
        layers.append(replace(layer, weight=rounded, activation=activation))
    quantized = Network(
        tuple(layers),
        network.input_names,
        network.output_names,
        network.input_transform,
        {**network.training, "quantized_to_denominator": int(denominator)},
        network.input_shape,
    )
    return Quantization(quantized, int(denominator), n_weights, n_changed, max_error)


def accuracy_loss(original: Network, quantized: Network, raw_inputs: object, labels: object) -> AccuracyLoss:
    """Accuracies of `original` and `quantized` on raw inputs (n_batch, n_inputs) with labels (n_batch,)."""
    labels = np.asarray(labels)
    before = original.forward(original.transform(raw_inputs))
    after = quantized.forward(quantized.transform(raw_inputs))
    return AccuracyLoss(
        len(labels),
        float(np.mean(before.argmax(axis=1) == labels)) if len(labels) else float("nan"),
        float(np.mean(after.argmax(axis=1) == labels)) if len(labels) else float("nan"),
        float(np.max(np.abs(after - before), initial=0.0)),
    )
