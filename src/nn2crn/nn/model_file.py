"""The JSON model file of a :class:`~nn2crn.nn.network.Network` (format in ``docs/formats.md``).

Version 1 holds dense layers only; version 2 adds layer kinds (conv2d, pooling, flatten) and
activation objects. Reading validates every field once and names its JSON path in errors.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import ModelFileError
from .._frozen import thaw_json
from .._limits import load_json
from .._validation import read_text_file
from .network import (
    ACTIVATIONS,
    LAYER_KINDS,
    Activation,
    AnyLayer,
    AvgPool2d,
    Conv2d,
    Flatten,
    InputTransform,
    Layer,
    MaxPool2d,
    Network,
    _plain_number,
)

FORMAT_NAME = "nn2crn.network"
FORMAT_VERSION = 2
READ_VERSIONS = (1, 2)


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
    if set(map(type, value)) <= {int, float}:  # the common case, converted at once
        try:
            vector = np.array(value, dtype=np.float64)
        except OverflowError:
            vector = None
        if vector is not None and np.isfinite(vector).all():
            return vector
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
