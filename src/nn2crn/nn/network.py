"""The network type and its JSON model file.

A :class:`Network` is an immutable stack of dense layers. Weights use the PyTorch
convention: shape (n_out, n_in). The model file format is documented in
``docs/formats.md``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from .._errors import ModelFileError
from .._frozen import freeze_json, thaw_json
from .._limits import load_json
from .._validation import as_batch, read_text_file

FORMAT_NAME = "nn2crn.network"
FORMAT_VERSION = 2
READ_VERSIONS = (1, 2)
ACTIVATIONS = ("relu", "linear", "leaky_relu", "hardtanh", "abs")
LAYER_KINDS = ("dense", "conv2d", "avgpool2d", "maxpool2d", "flatten")

ActivationName = Literal["relu", "linear", "leaky_relu", "hardtanh", "abs"]


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=np.float64)
    array.setflags(write=False)
    return array


def _pair(value: int | Sequence[int], what: str, minimum: int) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v >= minimum for v in pair):
        raise ModelFileError(f"{what} must be an integer >= {minimum} or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


@dataclass(frozen=True, eq=False)
class Activation:
    """A piecewise-linear activation, each built from ReLUs so that it compiles.

    ===============  =============================================
    ``relu``         max(x, 0)
    ``linear``       x
    ``leaky_relu``   alpha x + (1 - alpha) ReLU(x)  (alpha rational)
    ``hardtanh``     clip to [low, high]: ReLU(x - low) - ReLU(x - high) + low
    ``abs``          ReLU(x) + ReLU(-x)
    ===============  =============================================
    """

    kind: ActivationName = "relu"
    alpha: float = 0.0
    low: float = -1.0
    high: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in ACTIVATIONS:
            raise ModelFileError(f"activation must be one of {ACTIVATIONS}, got {self.kind!r}")
        for name in ("alpha", "low", "high"):
            value = float(getattr(self, name))
            if not math.isfinite(value):
                raise ModelFileError(f"activation {name} must be finite, got {value}")
            object.__setattr__(self, name, value)
        if self.kind == "hardtanh" and not self.low < self.high:
            raise ModelFileError(f"hardtanh needs low < high, got low={self.low}, high={self.high}")

    def __eq__(self, other: object) -> bool:
        # A plain name equals the parameterless activation: layer.activation == "relu" reads naturally.
        if isinstance(other, str):
            return self.kind == other and self.kind in ("relu", "linear", "abs")
        if not isinstance(other, Activation):
            return NotImplemented
        return (self.kind, self.alpha, self.low, self.high) == (
            other.kind,
            other.alpha,
            other.low,
            other.high,
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.alpha, self.low, self.high))

    def apply(self, values: np.ndarray) -> np.ndarray:
        """The activation of `values` (any shape), as a new array."""
        if self.kind == "relu":
            return np.maximum(values, 0.0)
        if self.kind == "linear":
            return np.array(values)
        if self.kind == "leaky_relu":
            return np.where(values >= 0, values, self.alpha * values)
        if self.kind == "hardtanh":
            return np.clip(values, self.low, self.high)
        return np.abs(values)

    def magnitude(self, magnitudes: np.ndarray) -> np.ndarray:
        """Bound on the magnitude of the terms the CRN sums for this activation."""
        if self.kind == "leaky_relu":
            return (abs(self.alpha) + abs(1 - self.alpha)) * magnitudes
        if self.kind == "hardtanh":
            return 2 * magnitudes + abs(self.low) + abs(self.high)
        if self.kind == "abs":
            return 2 * magnitudes
        return magnitudes

    def to_json(self) -> str | dict[str, Any]:
        if self.kind == "leaky_relu":
            return {"kind": "leaky_relu", "alpha": _plain_number(self.alpha)}
        if self.kind == "hardtanh":
            return {"kind": "hardtanh", "low": _plain_number(self.low), "high": _plain_number(self.high)}
        return self.kind


def _activation(value: str | Activation) -> Activation:
    return value if isinstance(value, Activation) else Activation(value)  # type: ignore[arg-type]


@dataclass(frozen=True, eq=False)
class Layer:
    """A dense layer ``activation(weight @ x + bias)``.

    Attributes
    ----------
    weight : ndarray of shape (n_out, n_in)
    bias : ndarray of shape (n_out,)
    activation : Activation
        Given as an :class:`Activation` or its name (``"relu"``, ``"linear"``, ...).
    """

    weight: np.ndarray
    bias: np.ndarray
    activation: Activation = Activation("relu")
    kind: ClassVar[str] = "dense"

    def __post_init__(self) -> None:
        weight = _frozen(self.weight)
        bias = _frozen(self.bias)
        if weight.ndim != 2:
            raise ModelFileError(f"weight must be 2D (n_out, n_in), got shape {weight.shape}")
        if bias.shape != (weight.shape[0],):
            raise ModelFileError(f"bias must have shape ({weight.shape[0]},), got {bias.shape}")
        if not (np.isfinite(weight).all() and np.isfinite(bias).all()):
            raise ModelFileError("weights and biases must be finite")
        object.__setattr__(self, "weight", weight)
        object.__setattr__(self, "bias", bias)
        object.__setattr__(self, "activation", _activation(self.activation))

    @property
    def n_in(self) -> int:
        return self.weight.shape[1]

    @property
    def n_out(self) -> int:
        return self.weight.shape[0]

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        if input_shape != (self.n_in,):
            raise ModelFileError(
                f"a dense layer of {self.n_in} inputs cannot take an input of shape {input_shape}"
                + ("; put a flatten layer before it" if len(input_shape) > 1 else "")
            )
        return (self.n_out,)

    def forward(self, values: np.ndarray) -> np.ndarray:
        return self.activation.apply(values @ self.weight.T + self.bias)

    def magnitude(self, values: np.ndarray) -> np.ndarray:
        return self.activation.magnitude(values @ np.abs(self.weight.T) + np.abs(self.bias))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Layer):
            return NotImplemented
        return (
            self.activation == other.activation
            and np.array_equal(self.weight, other.weight)
            and np.array_equal(self.bias, other.bias)
        )

    __hash__ = None  # type: ignore[assignment]


Dense = Layer


def _windows(values: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """(n_batch, channels, rows, columns) -> (n_batch, channels, out_rows, out_columns, kh, kw) views."""
    windows = np.lib.stride_tricks.sliding_window_view(values, kernel, axis=(2, 3))
    return windows[:, :, :: stride[0], :: stride[1]]


def _pooled_shape(
    input_shape: tuple[int, ...],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    what: str,
) -> tuple[int, int, int]:
    if len(input_shape) != 3:
        raise ModelFileError(
            f"{what} takes inputs of shape (channels, rows, columns), got shape {input_shape}"
        )
    channels, rows, columns = input_shape
    out_rows = (rows + 2 * padding[0] - kernel[0]) // stride[0] + 1
    out_columns = (columns + 2 * padding[1] - kernel[1]) // stride[1] + 1
    if out_rows < 1 or out_columns < 1:
        raise ModelFileError(
            f"{what}: kernel {kernel} does not fit an input of {rows}x{columns} with padding {padding}"
        )
    return channels, out_rows, out_columns


@dataclass(frozen=True, eq=False)
class Conv2d:
    """A 2D convolution ``activation(conv(x, weight) + bias)`` in PyTorch's convention.

    Attributes
    ----------
    weight : ndarray of shape (out_channels, in_channels, kernel_rows, kernel_columns)
    bias : ndarray of shape (out_channels,)
    stride, padding : pair of int
        Zero padding on every side, as ``torch.nn.Conv2d``.
    activation : Activation
    """

    weight: np.ndarray
    bias: np.ndarray
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    activation: Activation = Activation("relu")
    kind: ClassVar[str] = "conv2d"

    def __post_init__(self) -> None:
        weight = _frozen(self.weight)
        bias = _frozen(self.bias)
        if weight.ndim != 4:
            raise ModelFileError(
                f"conv2d weight must be 4D (out, in, rows, columns), got shape {weight.shape}"
            )
        if bias.shape != (weight.shape[0],):
            raise ModelFileError(f"bias must have shape ({weight.shape[0]},), got {bias.shape}")
        if not (np.isfinite(weight).all() and np.isfinite(bias).all()):
            raise ModelFileError("weights and biases must be finite")
        object.__setattr__(self, "weight", weight)
        object.__setattr__(self, "bias", bias)
        object.__setattr__(self, "stride", _pair(self.stride, "stride", 1))
        object.__setattr__(self, "padding", _pair(self.padding, "padding", 0))
        object.__setattr__(self, "activation", _activation(self.activation))

    @property
    def kernel(self) -> tuple[int, int]:
        return int(self.weight.shape[2]), int(self.weight.shape[3])

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(input_shape) == 3 and input_shape[0] != self.weight.shape[1]:
            raise ModelFileError(
                f"conv2d expects {self.weight.shape[1]} input channels, got shape {input_shape}"
            )
        _, rows, columns = _pooled_shape(input_shape, self.kernel, self.stride, self.padding, "conv2d")
        return int(self.weight.shape[0]), rows, columns

    def _convolve(self, values: np.ndarray, weight: np.ndarray) -> np.ndarray:
        rows, columns = self.padding
        padded = np.pad(values, ((0, 0), (0, 0), (rows, rows), (columns, columns)))
        return np.einsum(
            "ncrsij,ocij->nors", _windows(padded, self.kernel, self.stride), weight, optimize=True
        )

    def forward(self, values: np.ndarray) -> np.ndarray:
        return self.activation.apply(self._convolve(values, self.weight) + self.bias[None, :, None, None])

    def magnitude(self, values: np.ndarray) -> np.ndarray:
        convolved = self._convolve(values, np.abs(self.weight)) + np.abs(self.bias)[None, :, None, None]
        return self.activation.magnitude(convolved)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Conv2d):
            return NotImplemented
        return (
            self.activation == other.activation
            and self.stride == other.stride
            and self.padding == other.padding
            and np.array_equal(self.weight, other.weight)
            and np.array_equal(self.bias, other.bias)
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class AvgPool2d:
    """Average pooling, zero padding counted in the average (PyTorch's ``count_include_pad=True``).

    Linear with weights ``1 / (kernel_rows * kernel_columns)``; the compiler scales it to integers.
    """

    kernel: tuple[int, int]
    stride: tuple[int, int] | None = None
    padding: tuple[int, int] = (0, 0)
    kind: ClassVar[str] = "avgpool2d"

    def __post_init__(self) -> None:
        object.__setattr__(self, "kernel", _pair(self.kernel, "kernel", 1))
        stride = self.kernel if self.stride is None else self.stride
        object.__setattr__(self, "stride", _pair(stride, "stride", 1))
        object.__setattr__(self, "padding", _pair(self.padding, "padding", 0))

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return _pooled_shape(input_shape, self.kernel, self.stride, self.padding, "avgpool2d")  # type: ignore[arg-type]

    def forward(self, values: np.ndarray) -> np.ndarray:
        rows, columns = self.padding
        padded = np.pad(values, ((0, 0), (0, 0), (rows, rows), (columns, columns)))
        windows = _windows(padded, self.kernel, self.stride)  # type: ignore[arg-type]
        return windows.sum(axis=(4, 5)) / (self.kernel[0] * self.kernel[1])

    magnitude = forward


@dataclass(frozen=True)
class MaxPool2d:
    """Max pooling; padding never wins (PyTorch pads with -inf), so padding <= kernel / 2.

    Compiled as a balanced tree of ``max(a, b) = b + ReLU(a - b)``.
    """

    kernel: tuple[int, int]
    stride: tuple[int, int] | None = None
    padding: tuple[int, int] = (0, 0)
    kind: ClassVar[str] = "maxpool2d"

    def __post_init__(self) -> None:
        object.__setattr__(self, "kernel", _pair(self.kernel, "kernel", 1))
        stride = self.kernel if self.stride is None else self.stride
        object.__setattr__(self, "stride", _pair(stride, "stride", 1))
        object.__setattr__(self, "padding", _pair(self.padding, "padding", 0))
        if any(2 * pad > size for pad, size in zip(self.padding, self.kernel, strict=True)):
            raise ModelFileError(
                f"maxpool2d padding {self.padding} must be at most half the kernel {self.kernel}"
            )

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return _pooled_shape(input_shape, self.kernel, self.stride, self.padding, "maxpool2d")  # type: ignore[arg-type]

    def forward(self, values: np.ndarray) -> np.ndarray:
        rows, columns = self.padding
        padded = np.pad(values, ((0, 0), (0, 0), (rows, rows), (columns, columns)), constant_values=-np.inf)
        return _windows(padded, self.kernel, self.stride).max(axis=(4, 5))  # type: ignore[arg-type]

    def magnitude(self, values: np.ndarray) -> np.ndarray:
        # The tree sums b + (a - b) per level: terms grow at most twofold per level.
        levels = math.ceil(math.log2(max(2, self.kernel[0] * self.kernel[1])))
        rows, columns = self.padding
        padded = np.pad(values, ((0, 0), (0, 0), (rows, rows), (columns, columns)))
        return 2.0**levels * _windows(padded, self.kernel, self.stride).max(axis=(4, 5))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Flatten:
    """Channels, rows, columns to one row-major vector, as ``torch.flatten(x, 1)``."""

    kind: ClassVar[str] = "flatten"

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (int(np.prod(input_shape)),)

    def forward(self, values: np.ndarray) -> np.ndarray:
        return values.reshape(values.shape[0], -1)

    magnitude = forward


AnyLayer = Layer | Conv2d | AvgPool2d | MaxPool2d | Flatten


@dataclass(frozen=True, eq=False)
class InputTransform:
    """Standardization applied to raw features: ``x_net = (x_raw - mean) / scale``."""

    mean: np.ndarray
    scale: np.ndarray

    def __post_init__(self) -> None:
        mean = _frozen(self.mean)
        scale = _frozen(self.scale)
        if mean.ndim != 1 or mean.shape != scale.shape:
            raise ModelFileError(
                f"mean and scale must be 1D of equal length, got {mean.shape} and {scale.shape}"
            )
        if not (np.isfinite(mean).all() and np.isfinite(scale).all()) or (scale == 0).any():
            raise ModelFileError("mean and scale must be finite and scale non-zero")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "scale", scale)

    def apply(self, raw: np.ndarray) -> np.ndarray:
        return (raw - self.mean) / self.scale

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, InputTransform):
            return NotImplemented
        return np.array_equal(self.mean, other.mean) and np.array_equal(self.scale, other.scale)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class Network:
    """An immutable feed-forward network of dense, convolution, pooling and flatten layers.

    Attributes
    ----------
    layers : tuple of Layer, Conv2d, AvgPool2d, MaxPool2d or Flatten
        Consecutive layers; each must accept the previous layer's output shape.
    input_names, output_names : tuple of str
        Feature names and class labels. Default ``x0..`` and ``y0..``.
    input_transform : InputTransform or None
        Standardization of raw features; not part of the compiled CRN.
    training : Mapping
        Free-form record of how the network was made (kept in the model file);
        read-only, nested objects included (see :func:`nn2crn._frozen.freeze_json`).
    input_shape : tuple of int
        Shape of one input, e.g. ``(1, 14, 14)`` for images (channels, rows,
        columns); default ``(n_in,)`` of a first dense layer. Inputs are always
        given flattened in PyTorch's row-major order.
    """

    layers: tuple[AnyLayer, ...]
    input_names: tuple[str, ...] = ()
    output_names: tuple[str, ...] = ()
    input_transform: InputTransform | None = None
    training: Mapping[str, Any] = field(default_factory=dict)
    input_shape: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        if not layers:
            raise ModelFileError("a network needs at least one layer")
        input_shape = tuple(int(size) for size in self.input_shape)
        if not input_shape:
            first = layers[0]
            if not isinstance(first, Layer):
                raise ModelFileError(f"a network starting with a {first.kind} layer needs input_shape")
            input_shape = (first.n_in,)
        if any(size < 1 for size in input_shape):
            raise ModelFileError(f"input_shape must be positive sizes, got {input_shape}")
        shapes = [input_shape]
        for index, layer in enumerate(layers):
            try:
                shapes.append(tuple(layer.output_shape(shapes[-1])))
            except ValueError as error:
                if isinstance(layer, Layer) and len(shapes[-1]) == 1 and index:
                    raise ModelFileError(
                        f"layers[{index}] takes {layer.n_in} inputs but layers[{index - 1}] gives {shapes[-1][0]}"
                    ) from None
                raise ModelFileError(f"layers[{index}]: {error}") from None
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "input_shape", input_shape)
        object.__setattr__(self, "shapes", tuple(shapes))
        n_in, n_out = int(np.prod(input_shape)), int(np.prod(shapes[-1]))
        input_names = tuple(self.input_names) or tuple(f"x{i}" for i in range(n_in))
        output_names = tuple(self.output_names) or tuple(f"y{k}" for k in range(n_out))
        if len(input_names) != n_in:
            raise ModelFileError(f"input_names has {len(input_names)} names, expected {n_in}")
        if len(output_names) != n_out:
            raise ModelFileError(f"output_names has {len(output_names)} names, expected {n_out}")
        object.__setattr__(self, "input_names", input_names)
        object.__setattr__(self, "output_names", output_names)
        if self.input_transform is not None and self.input_transform.mean.shape != (n_in,):
            raise ModelFileError(f"input_transform must have {n_in} entries")
        object.__setattr__(self, "training", freeze_json(self.training))

    shapes: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)
    """Shape of the values before the first layer and after each layer."""

    @property
    def n_inputs(self) -> int:
        return int(np.prod(self.input_shape))

    @property
    def n_outputs(self) -> int:
        return int(np.prod(self.shapes[-1]))

    @property
    def widths(self) -> tuple[int, ...]:
        """Flat sizes of the input and after each layer except flatten, e.g. (4, 8, 3)."""
        return (
            self.n_inputs,
            *(
                int(np.prod(shape))
                for layer, shape in zip(self.layers, self.shapes[1:], strict=True)
                if layer.kind != "flatten"
            ),
        )

    @property
    def is_dense(self) -> bool:
        """Only dense layers with relu/linear activations: writable as a version 1 model file."""
        return all(
            isinstance(layer, Layer) and layer.activation.kind in ("relu", "linear") for layer in self.layers
        )

    def _propagate(self, inputs: object, step: str, absolute: bool) -> np.ndarray:
        values = as_batch(inputs, self.n_inputs, what="network inputs", column_names=self.input_names)
        if absolute:
            values = np.abs(values)
        values = values.reshape(values.shape[0], *self.input_shape)
        for layer in self.layers:
            values = getattr(layer, step)(values)
        return values.reshape(values.shape[0], -1)

    def forward(self, inputs: object) -> np.ndarray:
        """Numpy forward pass on network inputs (already transformed).

        Parameters
        ----------
        inputs : array-like of shape (n_batch, n_inputs)
            Flattened in PyTorch's order (channels, rows, columns, row-major).

        Returns
        -------
        ndarray of shape (n_batch, n_outputs)
        """
        return self._propagate(inputs, "forward", absolute=False)

    def forward_magnitude(self, inputs: object) -> np.ndarray:
        """Bound on the magnitude of the terms summed for each output, shape (n_batch, n_outputs).

        Propagates ``|x|`` through ``|W|`` and ``|b|``. Floating-point rounding in
        the forward pass, and in a CRN's dual rails, scales with this, so it is the
        natural yardstick for relative agreement.
        """
        return self._propagate(inputs, "magnitude", absolute=True)

    def transform(self, raw: object) -> np.ndarray:
        """Apply the input transform (if any) to raw features of shape (n_batch, n_inputs)."""
        values = as_batch(raw, self.n_inputs, what="raw features", column_names=self.input_names)
        if self.input_transform is None:
            return values
        return self.input_transform.apply(values)

    def predict(self, raw: object) -> np.ndarray:
        """Class indices (argmax of outputs) for raw features, shape (n_batch,)."""
        return np.argmax(self.forward(self.transform(raw)), axis=1)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Network):
            return NotImplemented
        return (
            self.layers == other.layers
            and self.input_shape == other.input_shape
            and self.input_names == other.input_names
            and self.output_names == other.output_names
            and self.input_transform == other.input_transform
        )

    __hash__ = None  # type: ignore[assignment]


# ---------------------------------------------------------------------------
# JSON model file


def _plain_number(value: float) -> int | float:
    # Integral floats are written as ints so ternary weights read as -1, 0, 1.
    value = float(value)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _plain(values: np.ndarray) -> list:
    return [_plain(row) for row in values] if values.ndim > 1 else [_plain_number(v) for v in values]


def _layer_to_dict(layer: AnyLayer, version: int) -> dict[str, Any]:
    data: dict[str, Any] = {} if version == 1 else {"kind": layer.kind}
    if isinstance(layer, (Layer, Conv2d)):
        data["weight"] = _plain(layer.weight)
        data["bias"] = _plain(layer.bias)
    if isinstance(layer, (AvgPool2d, MaxPool2d)):
        data["kernel"] = list(layer.kernel)
    if isinstance(layer, (Conv2d, AvgPool2d, MaxPool2d)):
        data["stride"] = list(layer.stride)  # type: ignore[arg-type]
        data["padding"] = list(layer.padding)
    if isinstance(layer, (Layer, Conv2d)):
        data["activation"] = layer.activation.to_json()
    return data


def network_to_dict(network: Network) -> dict[str, Any]:
    """The JSON-ready dict of the model file format.

    Dense ReLU/linear networks are written as version 1, which older nn2crn
    releases read too; anything else as version 2.
    """
    version = 1 if network.is_dense else FORMAT_VERSION
    data: dict[str, Any] = {"format": FORMAT_NAME, "version": version}
    if version >= 2:
        data["input_shape"] = list(network.input_shape)
    data["layers"] = [_layer_to_dict(layer, version) for layer in network.layers]
    data["input_names"] = list(network.input_names)
    data["output_names"] = list(network.output_names)
    if network.input_transform is not None:
        data["input_transform"] = {
            "mean": _plain(network.input_transform.mean),
            "scale": _plain(network.input_transform.scale),
        }
    if network.training:
        data["training"] = thaw_json(network.training)
    return data


def _number(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ModelFileError(f"{path}: expected a number, got {json.dumps(value)[:40]}")
    if not math.isfinite(value):
        raise ModelFileError(f"{path}: expected a finite number, got {value}")
    return float(value)


def _vector(value: object, path: str, length: int | None = None) -> np.ndarray:
    if not isinstance(value, list):
        raise ModelFileError(f"{path}: expected a list of numbers, got {type(value).__name__}")
    if length is not None and len(value) != length:
        raise ModelFileError(f"{path}: has {len(value)} entries, expected {length}")
    return np.array([_number(v, f"{path}[{i}]") for i, v in enumerate(value)], dtype=np.float64)


def _names(value: object, path: str, length: int) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ModelFileError(f"{path}: expected a list of strings")
    if len(value) != length:
        raise ModelFileError(f"{path}: has {len(value)} names, expected {length}")
    if len(set(value)) != len(value):
        raise ModelFileError(f"{path}: names must be unique")
    return tuple(value)


def _sizes(value: object, path: str, length: int, minimum: int) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value] * length
    if (
        not isinstance(value, list)
        or len(value) != length
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= minimum for v in value)
    ):
        raise ModelFileError(f"{path}: expected {length} integers >= {minimum}, got {json.dumps(value)[:40]}")
    return tuple(value)


def _dense_weight(raw: dict, path: str, previous_width: int | None) -> np.ndarray:
    weight_rows = raw.get("weight")
    if not isinstance(weight_rows, list) or not weight_rows:
        raise ModelFileError(f"{path}.weight: expected a non-empty list of rows")
    width = previous_width
    if width is None:
        first = weight_rows[0]
        width = len(first) if isinstance(first, list) else None
        if not width:
            raise ModelFileError(f"{path}.weight: row 0 must be a non-empty list of numbers")
    rows = []
    for row_index, row in enumerate(weight_rows):
        if not isinstance(row, list):
            raise ModelFileError(f"{path}.weight: row {row_index} is not a list")
        if len(row) != width:
            raise ModelFileError(
                f"{path}.weight: row {row_index} has {len(row)} entries, expected {width}"
                + (" (the width of the previous layer)" if previous_width is not None else "")
            )
        rows.append(_vector(row, f"{path}.weight[{row_index}]"))
    return np.array(rows)


def _nested(value: object, path: str, depth: int) -> np.ndarray:
    """A rectangular nested list of numbers of the given depth."""
    if depth == 1:
        return _vector(value, path)
    if not isinstance(value, list) or not value:
        raise ModelFileError(f"{path}: expected a non-empty nested list ({depth} levels)")
    parts = [_nested(item, f"{path}[{i}]", depth - 1) for i, item in enumerate(value)]
    for i, part in enumerate(parts):
        if part.shape != parts[0].shape:
            raise ModelFileError(f"{path}[{i}]: has shape {part.shape}, expected {parts[0].shape}")
    return np.array(parts)


def _activation_from(raw: object, path: str) -> Activation:
    if isinstance(raw, str):
        if raw not in ("relu", "linear", "abs"):
            hint = (
                " (give leaky_relu and hardtanh as objects with their parameters)"
                if raw in ACTIVATIONS
                else ""
            )
            raise ModelFileError(
                f"{path}: unknown activation {json.dumps(raw)}; expected one of relu, linear, abs, "
                f'{{"kind": "leaky_relu", "alpha": A}} or {{"kind": "hardtanh", "low": A, "high": B}}{hint}'
            )
        return Activation(raw)  # type: ignore[arg-type]
    if not isinstance(raw, dict):
        raise ModelFileError(f"{path}: expected an activation name or object, got {json.dumps(raw)[:40]}")
    kind = raw.get("kind")
    expected = {"leaky_relu": {"kind", "alpha"}, "hardtanh": {"kind", "low", "high"}}
    if kind not in ACTIVATIONS:
        raise ModelFileError(
            f"{path}.kind: unknown activation {json.dumps(kind)}; expected one of {', '.join(ACTIVATIONS)}"
        )
    keys = expected.get(kind, {"kind"})
    if set(raw) != keys:
        raise ModelFileError(f"{path}: a {kind} activation has exactly the keys {', '.join(sorted(keys))}")
    numbers = {key: _number(raw[key], f"{path}.{key}") for key in keys - {"kind"}}
    if kind == "hardtanh" and not numbers["low"] < numbers["high"]:
        raise ModelFileError(
            f"{path}: hardtanh needs low < high, got low={numbers['low']}, high={numbers['high']}"
        )
    return Activation(kind, **numbers)


_LAYER_KEYS = {
    "dense": {"weight", "bias", "activation"},
    "conv2d": {"weight", "bias", "stride", "padding", "activation"},
    "avgpool2d": {"kernel", "stride", "padding"},
    "maxpool2d": {"kernel", "stride", "padding"},
    "flatten": set(),
}


def _layer_from(raw: object, path: str, version: int, shape: tuple[int, ...] | None) -> AnyLayer:
    if not isinstance(raw, dict):
        raise ModelFileError(f"{path}: expected an object with weight, bias, activation")
    kind = raw.get("kind", "dense") if version >= 2 else "dense"
    if kind not in LAYER_KINDS:
        raise ModelFileError(
            f"{path}.kind: unknown layer kind {json.dumps(kind)}; expected one of {', '.join(LAYER_KINDS)}"
        )
    allowed = _LAYER_KEYS[kind] | ({"kind"} if version >= 2 else set())
    extra = sorted(set(raw) - allowed)
    if extra:
        listed = ", ".join(sorted(_LAYER_KEYS[kind])) or "no other keys"
        raise ModelFileError(f"{path}.{extra[0]}: unknown key; a {kind} layer has {listed}")
    if kind == "flatten":
        return Flatten()
    if kind in ("avgpool2d", "maxpool2d"):
        if "kernel" not in raw:
            raise ModelFileError(f"{path}.kernel: missing; give [rows, columns]")
        kernel = _sizes(raw["kernel"], f"{path}.kernel", 2, 1)
        stride = _sizes(raw.get("stride", list(kernel)), f"{path}.stride", 2, 1)
        padding = _sizes(raw.get("padding", [0, 0]), f"{path}.padding", 2, 0)
        if kind == "maxpool2d" and any(2 * p > k for p, k in zip(padding, kernel, strict=True)):
            raise ModelFileError(f"{path}.padding: must be at most half the kernel {list(kernel)}")
        return (AvgPool2d if kind == "avgpool2d" else MaxPool2d)(kernel, stride, padding)  # type: ignore[arg-type]
    if kind == "dense":
        previous = shape[0] if shape is not None and len(shape) == 1 else None
        weight = _dense_weight(raw, path, previous)
    else:
        if "weight" not in raw:
            raise ModelFileError(f"{path}.weight: missing; give [out_channels][in_channels][rows][columns]")
        weight = _nested(raw["weight"], f"{path}.weight", 4)
    if "bias" not in raw:
        raise ModelFileError(
            f"{path}.bias: missing; give one number per {'row of weight' if kind == 'dense' else 'output channel'}"
        )
    bias = _vector(raw["bias"], f"{path}.bias", weight.shape[0])
    activation = _activation_from(raw.get("activation", "relu"), f"{path}.activation")
    if version == 1 and activation.kind not in ("relu", "linear"):
        raise ModelFileError(
            f'{path}.activation: unknown activation "{activation.kind}"; expected one of relu, linear '
            f"(version 1; write version 2 for more)"
        )
    if kind == "dense":
        return Layer(weight, bias, activation)
    stride = _sizes(raw.get("stride", [1, 1]), f"{path}.stride", 2, 1)
    padding = _sizes(raw.get("padding", [0, 0]), f"{path}.padding", 2, 0)
    return Conv2d(weight, bias, stride, padding, activation)  # type: ignore[arg-type]


def network_from_dict(data: object, source: str = "model") -> Network:
    """Build a :class:`Network` from the model-file dict (version 1 or 2), validating every field.

    Raises
    ------
    ModelFileError
        Naming the JSON path of the first problem, e.g.
        ``layers[1].weight: row 3 has 7 entries, expected 8``.
    """
    prefix = f"{source}: "
    try:
        if not isinstance(data, dict):
            raise ModelFileError("top level: expected a JSON object")
        if data.get("format") != FORMAT_NAME:
            raise ModelFileError(f'format: expected "{FORMAT_NAME}", got {json.dumps(data.get("format"))}')
        version = data.get("version")
        if version not in READ_VERSIONS or isinstance(version, bool):
            raise ModelFileError(
                f"version: unsupported version {json.dumps(version)}; this nn2crn reads "
                f"versions {', '.join(map(str, READ_VERSIONS))}"
            )
        known = {"format", "version", "layers", "input_names", "output_names", "input_transform", "training"}
        if version >= 2:
            known.add("input_shape")
        unknown = sorted(set(data) - known)
        if unknown:
            raise ModelFileError(f"{unknown[0]}: unknown key; expected one of {sorted(known)}")
        raw_layers = data.get("layers")
        if not isinstance(raw_layers, list) or not raw_layers:
            raise ModelFileError("layers: expected a non-empty list of layers")
        shape: tuple[int, ...] | None = None
        if "input_shape" in data:
            raw_shape = data["input_shape"]
            length = len(raw_shape) if isinstance(raw_shape, list) else 0
            if length not in (1, 3):
                raise ModelFileError("input_shape: expected [n_inputs] or [channels, rows, columns]")
            shape = _sizes(raw_shape, "input_shape", length, 1)
        layers: list[AnyLayer] = []
        for index, raw in enumerate(raw_layers):
            layer = _layer_from(raw, f"layers[{index}]", version, shape)
            if shape is None and isinstance(layer, Layer):
                shape = (layer.n_in,)
            if shape is None:
                raise ModelFileError(
                    f"layers[{index}]: a network starting with {layer.kind} needs input_shape"
                )
            try:
                shape = tuple(layer.output_shape(shape))
            except ValueError as error:
                raise ModelFileError(f"layers[{index}]: {error}") from None
            layers.append(layer)
        assert shape is not None  # raw_layers is non-empty, so the loop has set it
        first_shape = data.get("input_shape") or [layers[0].n_in]  # type: ignore[union-attr]
        n_in, n_out = int(np.prod(first_shape)), int(np.prod(shape))
        input_names = _names(data["input_names"], "input_names", n_in) if "input_names" in data else ()
        output_names = _names(data["output_names"], "output_names", n_out) if "output_names" in data else ()
        transform = None
        if "input_transform" in data:
            raw_transform = data["input_transform"]
            if not isinstance(raw_transform, dict) or set(raw_transform) != {"mean", "scale"}:
                raise ModelFileError("input_transform: expected an object with exactly mean and scale")
            mean = _vector(raw_transform["mean"], "input_transform.mean", n_in)
            scale = _vector(raw_transform["scale"], "input_transform.scale", n_in)
            if (scale == 0).any():
                raise ModelFileError(f"input_transform.scale[{int(np.argmax(scale == 0))}]: must be non-zero")
            transform = InputTransform(mean, scale)
        training = data.get("training", {})
        if not isinstance(training, dict):
            raise ModelFileError("training: expected an object")
        return Network(tuple(layers), input_names, output_names, transform, training, tuple(first_shape))
    except ModelFileError as error:
        raise ModelFileError(prefix + str(error)) from None


def load_network(path: str | os.PathLike[str]) -> Network:
    """Read and validate a model JSON file."""
    path = Path(path)
    text = read_text_file(
        path,
        lambda message: ModelFileError(f"{path}: {message}"),
        missing_hint="give the path of a model JSON file",
        unreadable="cannot read model file",
        max_line_chars=None,  # minified JSON is one long line
    )
    try:
        data = load_json(text, lambda message: ModelFileError(f"{path}: {message}"))
    except json.JSONDecodeError as error:
        raise ModelFileError(
            f"{path}:{error.lineno}:{error.colno}: not valid JSON ({error.msg}); a model file is "
            f'a JSON object with "format": "{FORMAT_NAME}"'
        ) from None
    return network_from_dict(data, source=str(path))


def refuse_special_file(path: Path) -> None:
    """Outputs replace regular files only: never a device, a folder or a symlink."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise ModelFileError(f"{path}: is not a regular file; give a new file name for the output")


def save_network(network: Network, path: str | os.PathLike[str]) -> None:
    """Write `network` as a model JSON file."""
    from .._writing import write_output

    write_output(path, json.dumps(network_to_dict(network), indent=1) + "\n")


def random_ternary_network(
    widths: Sequence[int],
    *,
    rng: np.random.Generator,
    zero_fraction: float = 1 / 3,
    bias_scale: float = 1.0,
    binary: bool = False,
) -> Network:
    """A random network with weights in {-1, 0, +1} (or {-1, +1}), ReLU hidden layers, linear output.

    Used by tests, benchmarks and the depth study.
    """
    layers = []
    for index in range(len(widths) - 1):
        shape = (widths[index + 1], widths[index])
        if binary:
            weight = rng.choice([-1.0, 1.0], size=shape)
        else:
            weight = rng.choice(
                [-1.0, 0.0, 1.0],
                size=shape,
                p=[(1 - zero_fraction) / 2, zero_fraction, (1 - zero_fraction) / 2],
            )
        bias = rng.normal(0.0, bias_scale, size=shape[0])
        activation = Activation("linear" if index == len(widths) - 2 else "relu")
        layers.append(Layer(weight, bias, activation))
    return Network(tuple(layers))
