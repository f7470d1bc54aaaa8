"""ONNX models to and from :class:`Network` (needs the ``onnx`` extra).

Import reads a chain of Gemm, MatMul (+ Add), Conv, Relu, LeakyRelu, Clip,
Abs, MaxPool, AveragePool, Flatten / Reshape (to a flat vector) nodes;
Identity and Dropout are skipped, and a BatchNormalization right after a Gemm
or Conv is folded into its weights and biases. Anything else is refused with
the node's name and op, and what to do. Export writes the same ops (float32).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import ModelFileError
from .network import Activation, AvgPool2d, Conv2d, Flatten, Layer, MaxPool2d, Network

MAX_DENOMINATOR = 1024


def _onnx():
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise ModelFileError(
            "ONNX import and export need the onnx package: pip install 'nn2crn[onnx]'"
        ) from None
    return onnx, numpy_helper


def _is_small_rational(values: np.ndarray) -> tuple[bool, float]:
    from fractions import Fraction

    for value in np.unique(values).tolist():
        if float(Fraction(value).limit_denominator(MAX_DENOMINATOR)) != value:
            return False, value
    return True, 0.0


def _snap_to_rationals(values: np.ndarray) -> np.ndarray:
    """Weights stored as float32 (as ONNX usually does) become the p/q (q <= 1024) they round from.

    float32(2/3) is not the float64 2/3 the compiler recognizes; a value is
    replaced only when p/q rounds to exactly the same float32.
    """
    from fractions import Fraction

    unique, inverse = np.unique(values, return_inverse=True)
    snapped = unique.copy()
    for index, value in enumerate(unique.tolist()):
        fraction = float(Fraction(value).limit_denominator(MAX_DENOMINATOR))
        if np.float32(fraction) == np.float32(value) and float(np.float32(value)) == value:
            snapped[index] = fraction
    return snapped[inverse.ravel()].reshape(values.shape)


class _Reader:
    def __init__(self, model: Any, source: str) -> None:
        onnx, numpy_helper = _onnx()
        self.source = source
        self.helper = onnx.helper
        graph = model.graph
        self.constants: dict[str, np.ndarray] = {}
        known_types = set(onnx.TensorProto.DataType.values())
        for tensor in graph.initializer:
            if tensor.data_type not in known_types:  # found by fuzzing: onnx's own lookup raises KeyError
                raise ModelFileError(
                    f"{source}: initializer {tensor.name!r} has unknown element type {tensor.data_type}; "
                    "re-export the model with float32 weights"
                )
            try:
                self.constants[tensor.name] = numpy_helper.to_array(tensor)
            except (ValueError, TypeError) as error:  # found by fuzzing: data that disagrees with its dims
                raise ModelFileError(
                    f"{source}: initializer {tensor.name!r} is malformed ({error}); re-export the model"
                ) from None
        self.numpy_helper = numpy_helper
        self.graph = graph

    def fail(self, node: Any, message: str) -> ModelFileError:
        return ModelFileError(f"{self.source}: node {node.name or '(unnamed)'} ({node.op_type}): {message}")

    def attributes(self, node: Any) -> dict[str, Any]:
        return {attribute.name: self.helper.get_attribute_value(attribute) for attribute in node.attribute}

    def constant(self, node: Any, name: str, what: str) -> np.ndarray:
        if name not in self.constants:
            raise self.fail(node, f"its {what} ({name}) must be a constant initializer")
        return np.asarray(self.constants[name], dtype=np.float64)

    def fold(self, node: Any) -> None:
        """Evaluate a node whose inputs are all constants (e.g. the quantization of shadow weights)."""
        from onnx.reference import ReferenceEvaluator

        feeds = {name: self.constants[name] for name in node.input if name}
        try:
            outputs = ReferenceEvaluator(node).run(None, feeds)
        except (ValueError, TypeError, IndexError, KeyError, RuntimeError) as error:
            # The reference evaluator reports a node that cannot run (wrong arity, shapes) this way.
            raise self.fail(node, f"its constant inputs cannot be evaluated ({error})") from None
        for name, value in zip(node.output, outputs, strict=False):
            self.constants[name] = np.asarray(value)


def _pads(node_pads: list[int] | None, reader: _Reader, node: Any) -> tuple[int, int]:
    if not node_pads:
        return (0, 0)
    top, left, bottom, right = node_pads
    if (top, left) != (bottom, right):
        raise reader.fail(node, f"asymmetric padding {node_pads} is not supported; pad both sides equally")
    return int(top), int(left)


def read_onnx(path: str | os.PathLike[str], *, require_rational: bool = True) -> Network:
    """Read an ONNX model file as a :class:`Network`.

    Parameters
    ----------
    path : path-like
    require_rational : bool
        Refuse weights that are not rationals with denominators up to 1024 (the
        compiler's limit), naming the node. With False they are kept as floats
        (quantize them with ``quantize_network(network, denominator)`` before compiling).

    Raises
    ------
    ModelFileError
        Unreadable file, more than one input or output, an unsupported op,
        a BatchNormalization that cannot be folded, or non-rational weights:
        naming the node and its op.
    """
    onnx, _ = _onnx()
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file; give the path of an .onnx model")
    from google.protobuf.message import DecodeError

    try:
        # Weights stored as external data are read from the model's own folder; onnx
        # refuses locations outside it with a ValidationError (atheris found an empty one).
        model = onnx.load(str(path))
    except (OSError, ValueError, DecodeError, onnx.checker.ValidationError) as error:
        raise ModelFileError(f"{path}: not a readable ONNX model ({error})") from None
    return network_from_onnx(model, source=str(path), require_rational=require_rational)


def network_from_onnx(model: Any, *, source: str = "onnx model", require_rational: bool = True) -> Network:
    """As :func:`read_onnx`, for a loaded ``onnx.ModelProto``."""
    reader = _Reader(model, source)
    try:
        return _layer_chain(reader, source, require_rational)
    except ModelFileError:
        raise
    except (ValueError, IndexError) as error:
        # Found by fuzzing: tensors whose shapes disagree with each other (a bias longer than
        # its weight's rows, a truncated pads list) fail inside numpy, not in a check of ours.
        raise ModelFileError(
            f"{source}: the graph's tensors have inconsistent shapes ({error}); re-export the model"
        ) from None


def _layer_chain(reader: _Reader, source: str, require_rational: bool) -> Network:
    """The network of the single chain of supported nodes in `reader`'s graph."""
    graph = reader.graph
    inputs = [value for value in graph.input if value.name not in reader.constants]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise ModelFileError(
            f"{source}: expected one input and one output, got {len(inputs)} and {len(graph.output)}"
        )
    dims = [dim.dim_value for dim in inputs[0].type.tensor_type.shape.dim][1:]
    if len(dims) not in (1, 3) or not all(d > 0 for d in dims):
        raise ModelFileError(
            f"{source}: input {inputs[0].name} must have a fixed shape (batch, features) or "
            f"(batch, channels, rows, columns), got {dims}"
        )
    input_shape: tuple[int, ...] = tuple(dims)
    shape = input_shape
    current = inputs[0].name
    layers: list[Any] = []
    # the producer of each layer, for messages and for BatchNorm folding
    producers: list[Any] = []
    last_affine_open = False  # the last layer is affine with no activation yet
    for node in graph.node:
        op = node.op_type
        data_inputs = [name for name in node.input if name and name not in reader.constants]
        if not data_inputs:
            # Constants, and computations on weights only (torch exports the quantization
            # of shadow weights this way): evaluate them now.
            reader.fold(node)
            continue
        if data_inputs != [current]:
            raise reader.fail(
                node, f"takes {data_inputs}, but only a single chain of layers from {current} is supported"
            )
        attributes = reader.attributes(node)
        output = node.output[0]
        layer: Any = None
        if op in ("Identity", "Dropout"):
            current = output
            continue
        if op in ("Relu", "LeakyRelu", "Clip", "Abs"):
            if op == "Relu":
                activation = Activation("relu")
            elif op == "LeakyRelu":
                activation = Activation("leaky_relu", alpha=float(attributes.get("alpha", 0.01)))
            elif op == "Abs":
                activation = Activation("abs")
            else:
                bounds = [reader.constant(node, name, "bound") for name in node.input[1:] if name]
                low = float(attributes.get("min", bounds[0] if bounds else -np.inf))
                high = float(attributes.get("max", bounds[1] if len(bounds) > 1 else np.inf))
                if not (np.isfinite(low) and np.isfinite(high)):
                    if np.isfinite(high) or low != 0:
                        raise reader.fail(
                            node, f"Clip needs finite bounds (or min 0 only), got [{low}, {high}]"
                        )
                    activation = Activation("relu")
                else:
                    activation = Activation("hardtanh", low=low, high=high)
            if last_affine_open:
                previous = layers[-1]
                fields = {"weight": previous.weight, "bias": previous.bias, "activation": activation}
                if isinstance(previous, Conv2d):
                    fields.update(stride=previous.stride, padding=previous.padding)
                layers[-1] = type(previous)(**fields)
            else:
                layers.append(_identity(shape, activation))
                producers.append(node)
            last_affine_open = False
            current = output
            continue
        if op == "BatchNormalization":
            if not last_affine_open:
                raise reader.fail(
                    node,
                    "cannot be folded: it does not directly follow a Gemm or Conv; fold BatchNorm into the "
                    "layer before it (or remove it) before exporting",
                )
            scale, bias, mean, variance = (
                reader.constant(node, name, "parameter") for name in node.input[1:5]
            )
            factor = scale / np.sqrt(variance + float(attributes.get("epsilon", 1e-5)))
            previous = layers[-1]
            weight = previous.weight * factor.reshape(-1, *([1] * (previous.weight.ndim - 1)))
            folded_bias = (previous.bias - mean) * factor + bias
            fields = {"weight": weight, "bias": folded_bias, "activation": previous.activation}
            if isinstance(previous, Conv2d):
                fields.update(stride=previous.stride, padding=previous.padding)
            layers[-1] = type(previous)(**fields)
            producers[-1] = node
            current = output
            continue
        if op in ("Gemm", "MatMul"):
            if len(shape) != 1:
                raise reader.fail(
                    node, f"takes a flat input, but the values have shape {shape}; add a Flatten"
                )
            weight = reader.constant(node, node.input[1], "weight")
            if op == "Gemm":
                if attributes.get("transA", 0):
                    raise reader.fail(node, "transA is not supported")
                weight = weight if attributes.get("transB", 0) else weight.T
                weight = weight * float(attributes.get("alpha", 1.0))
                bias = (
                    reader.constant(node, node.input[2], "bias") * float(attributes.get("beta", 1.0))
                    if len(node.input) > 2 and node.input[2]
                    else np.zeros(weight.shape[0])
                )
            else:
                weight = weight.T
                bias = np.zeros(weight.shape[0])
            layer = Layer(weight, np.broadcast_to(bias, (weight.shape[0],)), Activation("linear"))
        elif op == "Add":
            if not (last_affine_open and isinstance(layers[-1], Layer)):
                raise reader.fail(node, "only an Add of a bias right after MatMul is supported")
            addend = [name for name in node.input if name in reader.constants]
            if not addend:
                raise reader.fail(node, "needs a constant bias as its second input")
            bias = reader.constant(node, addend[0], "bias")
            previous = layers[-1]
            layers[-1] = Layer(
                previous.weight,
                previous.bias + np.broadcast_to(bias, previous.bias.shape),
                Activation("linear"),
            )
            producers[-1] = node
            current = output
            continue
        elif op == "Conv":
            if attributes.get("group", 1) != 1 or any(d != 1 for d in attributes.get("dilations", [1, 1])):
                raise reader.fail(node, "groups and dilations are not supported")
            if attributes.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                raise reader.fail(node, "auto_pad is not supported; export with explicit pads")
            weight = reader.constant(node, node.input[1], "weight")
            bias = (
                reader.constant(node, node.input[2], "bias")
                if len(node.input) > 2 and node.input[2]
                else np.zeros(weight.shape[0])
            )
            strides = tuple(attributes.get("strides", [1, 1]))
            layer = Conv2d(
                weight, bias, strides, _pads(attributes.get("pads"), reader, node), Activation("linear")
            )
        elif op in ("MaxPool", "AveragePool"):
            if attributes.get("ceil_mode", 0) or any(d != 1 for d in attributes.get("dilations", [1, 1])):
                raise reader.fail(node, "ceil_mode and dilations are not supported")
            if (
                op == "AveragePool"
                and not attributes.get("count_include_pad", 0)
                and attributes.get("pads")
                and any(attributes["pads"])
            ):
                raise reader.fail(
                    node, "padding excluded from the average (count_include_pad=0) is not supported"
                )
            kernel = tuple(attributes["kernel_shape"])
            strides = tuple(attributes.get("strides", kernel))
            pads = _pads(attributes.get("pads"), reader, node)
            layer = (MaxPool2d if op == "MaxPool" else AvgPool2d)(kernel, strides, pads)
        elif op in ("Flatten", "Reshape"):
            if op == "Flatten" and attributes.get("axis", 1) != 1:
                raise reader.fail(node, "only axis=1 is supported")
            if op == "Reshape":
                target = reader.constant(node, node.input[1], "shape").astype(np.int64)
                if (
                    not layers
                    and len(shape) == 1
                    and len(target) == 4
                    and int(np.prod(target[1:])) == shape[0]
                ):
                    # Flat inputs reshaped to images (as export-onnx writes): the inputs stay flat.
                    input_shape = shape = tuple(int(size) for size in target[1:])
                    current = output
                    continue
                if len(target) != 2 or target[1] not in (-1, int(np.prod(shape))):
                    raise reader.fail(
                        node, f"only a reshape to (batch, -1) is supported, got {target.tolist()}"
                    )
            layer = Flatten()
        else:
            raise reader.fail(
                node,
                "unsupported op; nn2crn compiles Gemm/MatMul+Add, Conv, Relu, LeakyRelu, Clip, Abs, MaxPool, "
                "AveragePool, Flatten/Reshape, Identity/Dropout and BatchNormalization after Gemm/Conv; "
                "replace it (e.g. train with TernaryLinear from nn2crn.torch)",
            )
        try:
            shape = tuple(layer.output_shape(shape))
        except ValueError as error:
            raise reader.fail(node, str(error)) from None
        layers.append(layer)
        producers.append(node)
        last_affine_open = isinstance(layer, (Layer, Conv2d))
        current = output
    if current != graph.output[0].name:
        raise ModelFileError(
            f"{source}: the graph output {graph.output[0].name} is not the end of the layer chain"
        )
    if not layers:
        raise ModelFileError(f"{source}: the graph has no layers")
    for index, layer in enumerate(layers):
        if isinstance(layer, (Layer, Conv2d)):
            fields = {
                "weight": _snap_to_rationals(layer.weight),
                "bias": layer.bias,
                "activation": layer.activation,
            }
            if isinstance(layer, Conv2d):
                fields.update(stride=layer.stride, padding=layer.padding)
            layers[index] = type(layer)(**fields)
    if require_rational:
        for layer, node in zip(layers, producers, strict=True):
            if isinstance(layer, (Layer, Conv2d)):
                ok, value = _is_small_rational(layer.weight)
                if not ok:
                    raise reader.fail(
                        node,
                        f"weight {value!r} is not a rational with a denominator <= {MAX_DENOMINATOR}"
                        + (" after folding BatchNorm" if node.op_type == "BatchNormalization" else "")
                        + "; retrain with TernaryLinear/TernaryConv2d or IntLinear from nn2crn.torch, or import "
                        "it with require_rational=False and quantize the weights to denominator=D",
                    )
    return Network(tuple(layers), (), (), None, {"imported_from": source}, input_shape)


def network_to_onnx(network: Network, *, opset: int = 17) -> Any:
    """An ``onnx.ModelProto`` computing ``network.forward`` in float32 on flat inputs (batch, n_inputs)."""
    onnx, numpy_helper = _onnx()
    helper = onnx.helper
    nodes, initializers = [], []
    counter = iter(range(10**9))

    def constant(values: np.ndarray, name: str, dtype=np.float32) -> str:
        initializers.append(numpy_helper.from_array(np.asarray(values, dtype=dtype), name))
        return name

    def add(op: str, inputs: list[str], **attributes: Any) -> str:
        index = next(counter)
        output = f"t{index}"
        nodes.append(helper.make_node(op, inputs, [output], name=f"{op.lower()}{index}", **attributes))
        return output

    current = "input"
    if len(network.input_shape) > 1:
        current = add(
            "Reshape", [current, constant(np.array([-1, *network.input_shape]), "input_shape", np.int64)]
        )
    for number, layer in enumerate(network.layers):
        if isinstance(layer, Layer):
            current = add(
                "Gemm",
                [current, constant(layer.weight, f"w{number}"), constant(layer.bias, f"b{number}")],
                transB=1,
            )
        elif isinstance(layer, Conv2d):
            rows, columns = layer.padding
            current = add(
                "Conv",
                [current, constant(layer.weight, f"w{number}"), constant(layer.bias, f"b{number}")],
                kernel_shape=list(layer.kernel),
                strides=list(layer.stride),
                pads=[rows, columns, rows, columns],
            )
        elif isinstance(layer, (MaxPool2d, AvgPool2d)):
            rows, columns = layer.padding
            extra = {"count_include_pad": 1} if isinstance(layer, AvgPool2d) else {}
            current = add(
                "MaxPool" if isinstance(layer, MaxPool2d) else "AveragePool",
                [current],
                kernel_shape=list(layer.kernel),
                strides=list(layer.stride),  # type: ignore[arg-type]
                pads=[rows, columns, rows, columns],
                **extra,
            )
        else:
            current = add("Flatten", [current], axis=1)
        if isinstance(layer, (Layer, Conv2d)):
            activation = layer.activation
            if activation.kind == "relu":
                current = add("Relu", [current])
            elif activation.kind == "leaky_relu":
                current = add("LeakyRelu", [current], alpha=activation.alpha)
            elif activation.kind == "hardtanh":
                bounds = [
                    constant(np.array(activation.low), f"low{number}"),
                    constant(np.array(activation.high), f"high{number}"),
                ]
                current = add("Clip", [current, *bounds])
            elif activation.kind == "abs":
                current = add("Abs", [current])
    if len(network.shapes[-1]) > 1:
        current = add("Flatten", [current], axis=1)
    nodes[-1].output[0] = "output" if nodes else current
    graph = helper.make_graph(
        nodes,
        "nn2crn",
        [helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, ["batch", network.n_inputs])],
        [helper.make_tensor_value_info("output", onnx.TensorProto.FLOAT, ["batch", network.n_outputs])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="nn2crn")
    onnx.checker.check_model(model)
    return model


def write_onnx(network: Network, path: str | os.PathLike[str]) -> None:
    """Write `network` as an ONNX file atomically (see :mod:`nn2crn._writing`)."""
    from .._writing import write_output
    from .model_file import refuse_special_file

    # The binary model never goes to a device or through a symlink (pinned by issue 11's tests).
    refuse_special_file(Path(path))
    write_output(path, network_to_onnx(network).SerializeToString())


def _identity(shape: tuple[int, ...], activation: Activation) -> Layer | Conv2d:
    """An activation with no layer before it to carry it: an identity layer."""
    if len(shape) == 1:
        return Layer(np.eye(shape[0]), np.zeros(shape[0]), activation)
    channels = shape[0]
    return Conv2d(
        np.eye(channels).reshape(channels, channels, 1, 1), np.zeros(channels), activation=activation
    )
