"""The network type: layers, activations and the forward pass.

A :class:`Network` is an immutable stack of layers (dense, conv2d, pooling, flatten). Weights use the PyTorch
convention: shape (n_out, n_in). Its JSON model file lives in
:mod:`nn2crn.nn.model_file`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

from .._errors import ModelFileError
from .._frozen import freeze_json
from .._validation import as_batch

ACTIVATIONS = ("relu", "linear", "leaky_relu", "hardtanh", "abs")
LAYER_KINDS = ("dense", "conv2d", "avgpool2d", "maxpool2d", "flatten")

ActivationName = Literal["relu", "linear", "leaky_relu", "hardtanh", "abs"]


def _plain_number(value: float) -> int | float:
    # Integral floats are written as ints so ternary weights read as -1, 0, 1.
    value = float(value)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


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


def _window_reduce(
    values: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], reduce: np.ufunc
) -> np.ndarray:
    """`reduce` (np.maximum or np.add) over each window of (n_batch, channels, rows, columns).

    One strided slice per kernel offset: a few whole-array passes, where reducing the
    window axes of :func:`_windows` walks tiny strided axes and is about 4x slower.
    """
    out_rows = (values.shape[2] - kernel[0]) // stride[0] + 1
    out_columns = (values.shape[3] - kernel[1]) // stride[1] + 1
    result: np.ndarray | None = None
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            part = values[
                :,
                :,
                i : i + stride[0] * (out_rows - 1) + 1 : stride[0],
                j : j + stride[1] * (out_columns - 1) + 1 : stride[1],
            ]
            result = np.array(part) if result is None else reduce(result, part, out=result)
    assert result is not None  # kernels are at least 1x1 (checked when the layer is made)
    return result


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
        convolved = self._convolve(values, self.weight)
        convolved += self.bias[None, :, None, None]
        return self.activation.apply(convolved)

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
        total = _window_reduce(padded, self.kernel, self.stride, np.add)  # type: ignore[arg-type]
        total /= self.kernel[0] * self.kernel[1]
        return total

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
        return _window_reduce(padded, self.kernel, self.stride, np.maximum)  # type: ignore[arg-type]

    def magnitude(self, values: np.ndarray) -> np.ndarray:
        # The tree sums b + (a - b) per level: terms grow at most twofold per level.
        levels = math.ceil(math.log2(max(2, self.kernel[0] * self.kernel[1])))
        rows, columns = self.padding
        padded = np.pad(values, ((0, 0), (0, 0), (rows, rows), (columns, columns)))
        return 2.0**levels * _window_reduce(padded, self.kernel, self.stride, np.maximum)  # type: ignore[arg-type]


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
