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
from typing import Any, Literal

import numpy as np

from .._errors import ModelFileError
from .._limits import load_json
from .._validation import as_batch, read_text_file

FORMAT_NAME = "nn2crn.network"
FORMAT_VERSION = 1
ACTIVATIONS = ("relu", "linear")

Activation = Literal["relu", "linear"]


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=np.float64)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Layer:
    """A dense layer ``activation(weight @ x + bias)``.

    Attributes
    ----------
    weight : ndarray of shape (n_out, n_in)
    bias : ndarray of shape (n_out,)
    activation : {"relu", "linear"}
    """

    weight: np.ndarray
    bias: np.ndarray
    activation: Activation = "relu"

    def __post_init__(self) -> None:
        weight = _frozen(self.weight)
        bias = _frozen(self.bias)
        if weight.ndim != 2:
            raise ValueError(f"weight must be 2D (n_out, n_in), got shape {weight.shape}")
        if bias.shape != (weight.shape[0],):
            raise ValueError(f"bias must have shape ({weight.shape[0]},), got {bias.shape}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if not (np.isfinite(weight).all() and np.isfinite(bias).all()):
            raise ValueError("weights and biases must be finite")
        object.__setattr__(self, "weight", weight)
        object.__setattr__(self, "bias", bias)

    @property
    def n_in(self) -> int:
        return self.weight.shape[1]

    @property
    def n_out(self) -> int:
        return self.weight.shape[0]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Layer):
            return NotImplemented
        return (
            self.activation == other.activation
            and np.array_equal(self.weight, other.weight)
            and np.array_equal(self.bias, other.bias)
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class InputTransform:
    """Standardization applied to raw features: ``x_net = (x_raw - mean) / scale``."""

    mean: np.ndarray
    scale: np.ndarray

    def __post_init__(self) -> None:
        mean = _frozen(self.mean)
        scale = _frozen(self.scale)
        if mean.ndim != 1 or mean.shape != scale.shape:
            raise ValueError(f"mean and scale must be 1D of equal length, got {mean.shape} and {scale.shape}")
        if not (np.isfinite(mean).all() and np.isfinite(scale).all()) or (scale == 0).any():
            raise ValueError("mean and scale must be finite and scale non-zero")
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
    """An immutable feed-forward network of dense layers.

    Attributes
    ----------
    layers : tuple of Layer
        Consecutive layers; ``layers[i+1].n_in == layers[i].n_out``.
    input_names, output_names : tuple of str
        Feature names and class labels. Default ``x0..`` and ``y0..``.
    input_transform : InputTransform or None
        Standardization of raw features; not part of the compiled CRN.
    training : dict
        Free-form record of how the network was made (kept in the model file).
    """

    layers: tuple[Layer, ...]
    input_names: tuple[str, ...] = ()
    output_names: tuple[str, ...] = ()
    input_transform: InputTransform | None = None
    training: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        if not layers:
            raise ValueError("a network needs at least one layer")
        for index in range(1, len(layers)):
            if layers[index].n_in != layers[index - 1].n_out:
                raise ValueError(
                    f"layers[{index}] takes {layers[index].n_in} inputs but layers[{index - 1}] "
                    f"gives {layers[index - 1].n_out}"
                )
        object.__setattr__(self, "layers", layers)
        n_in, n_out = layers[0].n_in, layers[-1].n_out
        input_names = tuple(self.input_names) or tuple(f"x{i}" for i in range(n_in))
        output_names = tuple(self.output_names) or tuple(f"y{k}" for k in range(n_out))
        if len(input_names) != n_in:
            raise ValueError(f"input_names has {len(input_names)} names, expected {n_in}")
        if len(output_names) != n_out:
            raise ValueError(f"output_names has {len(output_names)} names, expected {n_out}")
        object.__setattr__(self, "input_names", input_names)
        object.__setattr__(self, "output_names", output_names)
        if self.input_transform is not None and self.input_transform.mean.shape != (n_in,):
            raise ValueError(f"input_transform must have {n_in} entries")
        object.__setattr__(self, "training", dict(self.training))

    @property
    def n_inputs(self) -> int:
        return self.layers[0].n_in

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_out

    @property
    def widths(self) -> tuple[int, ...]:
        """Layer widths including input and output, e.g. (4, 8, 3)."""
        return (self.n_inputs, *(layer.n_out for layer in self.layers))

    def forward(self, inputs: object) -> np.ndarray:
        """Numpy forward pass on network inputs (already transformed).

        Parameters
        ----------
        inputs : array-like of shape (n_batch, n_inputs)

        Returns
        -------
        ndarray of shape (n_batch, n_outputs)
        """
        values = as_batch(inputs, self.n_inputs, what="network inputs", column_names=self.input_names)
        for layer in self.layers:
            values = values @ layer.weight.T + layer.bias
            if layer.activation == "relu":
                np.maximum(values, 0.0, out=values)
        return values

    def forward_magnitude(self, inputs: object) -> np.ndarray:
        """Bound on the magnitude of the terms summed for each output, shape (n_batch, n_outputs).

        Propagates ``|x|`` through ``|W|`` and ``|b|``. Floating-point rounding in
        the forward pass, and in a CRN's dual rails, scales with this, so it is the
        natural yardstick for relative agreement.
        """
        values = np.abs(as_batch(inputs, self.n_inputs, what="network inputs", column_names=self.input_names))
        for layer in self.layers:
            values = values @ np.abs(layer.weight.T) + np.abs(layer.bias)
        return values

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
            and self.input_names == other.input_names
            and self.output_names == other.output_names
            and self.input_transform == other.input_transform
        )

    __hash__ = None  # type: ignore[assignment]


# ---------------------------------------------------------------------------
# JSON model file


def network_to_dict(network: Network) -> dict[str, Any]:
    """The JSON-ready dict of the model file format."""

    def plain(values: np.ndarray) -> list:
        # Integral floats are written as ints so ternary weights read as -1, 0, 1.
        return (
            [plain(row) for row in values]
            if values.ndim > 1
            else [int(v) if float(v).is_integer() and abs(v) < 2**53 else float(v) for v in values]
        )

    data: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "layers": [
            {"weight": plain(layer.weight), "bias": plain(layer.bias), "activation": layer.activation}
            for layer in network.layers
        ],
        "input_names": list(network.input_names),
        "output_names": list(network.output_names),
    }
    if network.input_transform is not None:
        data["input_transform"] = {
            "mean": plain(network.input_transform.mean),
            "scale": plain(network.input_transform.scale),
        }
    if network.training:
        data["training"] = dict(network.training)
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


def network_from_dict(data: object, source: str = "model") -> Network:
    """Build a :class:`Network` from the model-file dict, validating every field.

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
        if data.get("version") != FORMAT_VERSION:
            raise ModelFileError(
                f"version: unsupported version {json.dumps(data.get('version'))}; this nn2crn reads "
                f"version {FORMAT_VERSION}"
            )
        known = {"format", "version", "layers", "input_names", "output_names", "input_transform", "training"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ModelFileError(f"{unknown[0]}: unknown key; expected one of {sorted(known)}")
        raw_layers = data.get("layers")
        if not isinstance(raw_layers, list) or not raw_layers:
            raise ModelFileError("layers: expected a non-empty list of layers")
        layers = []
        previous_width: int | None = None
        for index, raw in enumerate(raw_layers):
            path = f"layers[{index}]"
            if not isinstance(raw, dict):
                raise ModelFileError(f"{path}: expected an object with weight, bias, activation")
            extra = sorted(set(raw) - {"weight", "bias", "activation"})
            if extra:
                raise ModelFileError(f"{path}.{extra[0]}: unknown key; expected weight, bias, activation")
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
            weight = np.array(rows)
            if "bias" not in raw:
                raise ModelFileError(f"{path}.bias: missing; give one number per row of weight")
            bias = _vector(raw["bias"], f"{path}.bias", len(rows))
            activation = raw.get("activation", "relu")
            if activation not in ACTIVATIONS:
                raise ModelFileError(
                    f"{path}.activation: unknown activation {json.dumps(activation)}; expected one of "
                    f"{', '.join(ACTIVATIONS)}"
                )
            layers.append(Layer(weight, bias, activation))
            previous_width = len(rows)
        n_in, n_out = layers[0].n_in, layers[-1].n_out
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
        return Network(tuple(layers), input_names, output_names, transform, training)
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
        activation = "linear" if index == len(widths) - 2 else "relu"
        layers.append(Layer(weight, bias, activation))
    return Network(tuple(layers))
