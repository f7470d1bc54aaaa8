"""Algorithm 1 of Vasić et al. (ICML 2020), generalized: a piecewise-linear network as a CRN.

Every layer is unrolled at compile time into two kinds of reactions on
dual-rail species (value = ``p - n``):

* **fan-out**: one reaction per source species and rail, ``X^s -> sum |w| Z^(s sign w)``;
  integer weights become stoichiometric coefficients;
* **ReLU module**: ``z_p -> m + h_p`` and ``m + z_n -> h_n``, so ``h = max(0, z)``.

Rational weights use the positive homogeneity of ReLU: layer l is multiplied
by ``c_l``, the least common denominator of its weights, and its biases by
``C_l = c_1 ... c_l``; the outputs come out scaled by ``C_L``, which the
declared outputs record as their ``scale``. Leaky ReLU with ``alpha = p/q``
multiplies the scale by q. Max pooling is a balanced tree of
``max(a, b) = b + ReLU(a - b)``.

Species names (stable, documented in docs/formats.md). Layers count from 1;
``{e}`` is the element index: ``j`` for a flat layer, ``{c}_{i}_{j}``
(channel, row, column) for an image-shaped one:

====================  ===========================================================
``x{i}p, x{i}n``      dual-rail input i (``x{i}p`` only with shifted inputs)
``z{l}_{e}p/n``       pre-activation of element e of layer l
``m{l}_{e}``          the ReLU module's intermediate (relu layers)
``a{l}_{e}_{k}p/n``   input of ReLU part k of leaky_relu, hardtanh or abs
``m{l}_{e}_{k}``      its ReLU intermediate
``r{l}_{e}_{k}p/n``   its ReLU output
``t{l}_{e}_{n}p/n``   max-pool tree node n: the difference a - b
``m{l}_{e}_{n}``      its ReLU intermediate
``s{l}_{e}_{n}p/n``   its ReLU output
``o{l}_{e}_{n}p/n``   the running maximum b + ReLU(a - b)
``h{l}_{e}p/n``       output of element e of layer l
``y{k}p, y{k}n``      network output k (flattened)
====================  ===========================================================

A layer whose activation is ``linear`` writes straight into its ``h`` pair;
the last layer writes into the ``y`` pairs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .._errors import CompileError
from ..crn import CRN, RawInputs, Reaction, Signal
from ..crn.crn import TermsCSR
from ..nn import Network
from ..nn.network import Activation, AvgPool2d, Conv2d, Flatten, Layer, MaxPool2d

MAX_DENOMINATOR = 1024
"""Weights must be rationals p/q with q up to this (or be quantized with ``denominator``)."""

DEFAULT_MAX_RANGE = 1e6
"""Largest scaled bias, coefficient or output scale compiled without asking."""


@dataclass(frozen=True)
class _Node:
    """A dual-rail value (``negative`` is None for a single-rail input)."""

    positive: str
    negative: str | None


@dataclass(frozen=True)
class _DualNode(_Node):
    """A value with both rails: every node the builder makes (all but the network's inputs)."""

    negative: str


def _shift_vector(
    shift_inputs: float | Sequence[float] | np.ndarray | None, n_inputs: int
) -> np.ndarray | None:
    if shift_inputs is None:
        return None
    low = np.asarray(shift_inputs, dtype=np.float64)
    if low.size == 1:
        low = low.reshape(())
    if low.ndim == 0:
        low = np.full(n_inputs, float(low))
    if low.shape != (n_inputs,):
        raise CompileError(
            f"shift_inputs: expected one lower bound or {n_inputs} (one per input), got {low.size}"
        )
    if not np.isfinite(low).all():
        raise CompileError("shift_inputs: lower bounds must be finite numbers")
    return low


def as_fraction(value: float, where: str, max_denominator: int = MAX_DENOMINATOR) -> Fraction:
    """`value` as the exact rational p/q (q <= `max_denominator`) whose float it is.

    Raises
    ------
    CompileError
        If no such rational rounds to `value`, naming `where`.
    """
    fraction = Fraction(float(value)).limit_denominator(max_denominator)
    if float(fraction) != float(value):
        raise CompileError(
            f"{where} = {float(value)!r} is not a rational with a denominator <= {max_denominator}; "
            f"quantize the weights to a denominator (denominator=D), or retrain with "
            f"weights=ternary or weights=int:K"
        )
    return fraction


def _weight_lcd(values: np.ndarray, where: str) -> int:
    """Least common denominator of the rational forms of `values`; names the first bad weight."""
    unique = np.unique(values)
    denominators = []
    for value in unique.tolist():
        try:
            denominators.append(as_fraction(value, where).denominator)
        except CompileError as error:
            flat = int(np.flatnonzero(values.ravel() == value)[0])
            position = "".join(f"[{i}]" for i in np.unravel_index(flat, values.shape))
            count = int((values == value).sum())
            raise CompileError(
                str(error).replace(where, f"{where}{position}", 1) + f" ({count} such weights in this layer)"
            ) from None
    return math.lcm(*denominators) if denominators else 1


def _scaled_integers(values: np.ndarray, lcd: int) -> np.ndarray:
    """``values * lcd`` exactly, for values whose rational forms divide `lcd`."""
    unique, inverse = np.unique(values, return_inverse=True)
    integers = np.array(
        [float(Fraction(value).limit_denominator(MAX_DENOMINATOR) * lcd) for value in unique.tolist()]
    )
    return integers[inverse.ravel()].reshape(values.shape)


def _element_names(shape: tuple[int, ...]) -> list[str]:
    if len(shape) == 1:
        return [str(k) for k in range(shape[0])]
    return ["_".join(map(str, index)) for index in np.ndindex(*shape)]


def _window_indices(
    input_shape: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every (output element, kernel position) pair inside the input: (output flat index,
    input flat index without channel, kernel flat index); channels are handled by the caller."""
    _, rows, columns = input_shape
    out_rows = (rows + 2 * padding[0] - kernel[0]) // stride[0] + 1
    out_columns = (columns + 2 * padding[1] - kernel[1]) // stride[1] + 1
    r, s, i, j = np.meshgrid(
        np.arange(out_rows), np.arange(out_columns), np.arange(kernel[0]), np.arange(kernel[1]), indexing="ij"
    )
    row = r * stride[0] + i - padding[0]
    column = s * stride[1] + j - padding[1]
    inside = (row >= 0) & (row < rows) & (column >= 0) & (column < columns)
    position = (r * out_columns + s)[inside]
    return position, (row * columns + column)[inside], (i * kernel[1] + j)[inside]


def unrolled_affine(
    layer: Layer | Conv2d | AvgPool2d, input_shape: tuple[int, ...]
) -> tuple[TermsCSR, np.ndarray]:
    """A dense, convolution or average-pooling layer as ``W_flat @ x_flat + b_flat``.

    Returns
    -------
    matrix : TermsCSR of shape (n_out, n_in)
        The nonzero weights over the flattened (channels, rows, columns) values (numpy
        CSR arrays: compiling a dense network needs no scipy).
    bias : ndarray of shape (n_out,)
    """
    if isinstance(layer, Layer):
        weight = np.asarray(layer.weight, dtype=np.float64)
        rows, columns = np.nonzero(weight)
        indptr = np.zeros(weight.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=weight.shape[0]), out=indptr[1:])
        return TermsCSR(indptr, columns.astype(np.int64), weight[rows, columns], weight.shape), np.array(
            layer.bias
        )
    import scipy.sparse as sp

    channels, rows_in, columns_in = input_shape
    # AvgPool2d's __post_init__ has replaced a stride of None by the kernel, as here.
    stride = layer.kernel if layer.stride is None else layer.stride
    position, source, offset = _window_indices(input_shape, layer.kernel, stride, layer.padding)
    n_positions = int(np.prod(layer.output_shape(input_shape)[1:]))
    if isinstance(layer, AvgPool2d):
        # Each channel averages its own windows; zero padding counts in the divisor.
        channel = np.repeat(np.arange(channels), len(position))
        out = channel * n_positions + np.tile(position, channels)
        into = channel * rows_in * columns_in + np.tile(source, channels)
        values = np.full(len(out), 1.0 / (layer.kernel[0] * layer.kernel[1]))
        matrix = sp.csr_array(
            (values, (out, into)), shape=(channels * n_positions, channels * rows_in * columns_in)
        )
        return TermsCSR.from_scipy(matrix), np.zeros(channels * n_positions)
    out_channels, in_channels = layer.weight.shape[:2]
    kernel_size = layer.kernel[0] * layer.kernel[1]
    flat_weight = layer.weight.reshape(out_channels, in_channels, kernel_size)
    o, c, k = np.meshgrid(
        np.arange(out_channels), np.arange(in_channels), np.arange(len(position)), indexing="ij"
    )
    values = flat_weight[o, c, offset[k]].ravel()
    out = (o * n_positions + position[k]).ravel()
    into = (c * rows_in * columns_in + source[k]).ravel()
    keep = values != 0
    matrix = sp.csr_array(
        (values[keep], (out[keep], into[keep])),
        shape=(out_channels * n_positions, in_channels * rows_in * columns_in),
    )
    return TermsCSR.from_scipy(matrix), np.repeat(layer.bias, n_positions)


class _Builder:
    """Collects species, reactions and initial amounts; fan-outs are emitted once per source."""

    def __init__(self) -> None:
        self.species: list[str] = []
        self.reactions: list[Reaction] = []
        self.initial: dict[str, float] = {}
        self.consumers: dict[_Node, dict[_DualNode, float]] = {}

    def node(self, name: str, *, register: bool = True) -> _DualNode:
        node = _DualNode(f"{name}p", f"{name}n")
        if register:
            self.species.extend((node.positive, node.negative))
        return node

    def connect(self, source: _Node, target: _DualNode, weight: float) -> None:
        if weight:
            targets = self.consumers.setdefault(source, {})
            targets[target] = targets.get(target, 0.0) + weight

    def connect_matrix(
        self, sources: Sequence[_Node], targets: Sequence[_DualNode], matrix: TermsCSR
    ) -> None:
        # Column-major order (the CSC arrays) by a stable sort: each source's targets by row.
        order = np.argsort(matrix.indices, kind="stable")
        target_rows, weights = matrix.rows[order].tolist(), matrix.data[order].tolist()
        bounds = np.zeros(matrix.shape[1] + 1, dtype=np.int64)
        np.cumsum(np.bincount(matrix.indices, minlength=matrix.shape[1]), out=bounds[1:])
        bounds_list = bounds.tolist()
        for index, source in enumerate(sources):
            start, stop = bounds_list[index], bounds_list[index + 1]
            if start == stop:
                continue
            entries = self.consumers.setdefault(source, {})
            for row, weight in zip(target_rows[start:stop], weights[start:stop], strict=True):
                target = targets[row]
                entries[target] = entries.get(target, 0.0) + weight

    def flush(self, sources: Sequence[_Node]) -> None:
        """One fan-out reaction per rail of each source: +w keeps the sign, -w flips it."""
        for source in sources:
            entries = self.consumers.pop(source, None)
            if not entries:
                continue
            same, flipped = [], []
            for target, weight in entries.items():
                if weight == 0:
                    continue
                count = int(abs(weight))
                keep = weight > 0
                same.append((target.positive if keep else target.negative, count))
                flipped.append((target.negative if keep else target.positive, count))
            if not same:
                continue
            self.reactions.append(Reaction._trusted(((source.positive, 1),), tuple(same), 1.0))
            if source.negative is not None:
                self.reactions.append(Reaction._trusted(((source.negative, 1),), tuple(flipped), 1.0))

    def bias(self, node: _DualNode, value: float) -> None:
        if value > 0:
            self.initial[node.positive] = self.initial.get(node.positive, 0.0) + float(value)
        elif value < 0:
            self.initial[node.negative] = self.initial.get(node.negative, 0.0) - float(value)

    def relu(self, z: _DualNode, intermediate: str, h: _DualNode) -> None:
        self.reactions.append(Reaction(((z.positive, 1),), ((intermediate, 1), (h.positive, 1))))
        self.reactions.append(Reaction(((intermediate, 1), (z.negative, 1)), ((h.negative, 1),)))


class _Range:
    """Refuses numbers beyond the stated dynamic range, naming the layer."""

    def __init__(self, max_range: float) -> None:
        if not (math.isfinite(max_range) and max_range >= 1):
            raise CompileError(f"max_range: expected a number >= 1, got {max_range!r}")
        self.max_range = max_range

    def check(self, index: int, what: str, values: np.ndarray | float, scale: Fraction) -> None:
        largest = float(np.max(np.abs(values), initial=0.0))
        if largest > self.max_range:
            raise CompileError(
                f"layers[{index}]: the largest {what} is {largest:.6g} after scaling by {scale} to integer "
                f"weights, beyond the dynamic range {self.max_range:g}; quantize to a smaller denominator "
                f"(denominator=D) or allow it with max_range=R"
            )


def _activation_fraction(activation: Activation, index: int) -> Fraction:
    return as_fraction(activation.alpha, f"layers[{index}].activation.alpha")


def _activate(
    builder: _Builder,
    activation: Activation,
    index: int,
    names: list[str],
    out_names: list[str],
    matrix: TermsCSR,
    bias: np.ndarray,
    sources: Sequence[_Node],
    scale: Fraction,
    limits: _Range,
) -> tuple[list[_DualNode], Fraction]:
    """Fan the sources into the layer (already-integer `matrix`, scaled `bias`) and apply `activation`."""
    number = index + 1
    kind = activation.kind
    alpha = _activation_fraction(activation, index) if kind == "leaky_relu" else None
    if alpha is not None and alpha == 0:
        kind = "relu"
    if alpha is not None and alpha == 1:
        kind = "linear"
    if kind == "linear":
        outputs = [builder.node(name) for name in out_names]
        builder.connect_matrix(sources, outputs, matrix)
        builder.flush(sources)
        for node, value in zip(outputs, bias, strict=True):
            builder.bias(node, value)
        return outputs, scale
    if kind == "relu":
        z_nodes = []
        for name in names:
            z_nodes.append(builder.node(f"z{number}_{name}"))
            builder.species.append(f"m{number}_{name}")
        outputs = [builder.node(name) for name in out_names]
        builder.connect_matrix(sources, z_nodes, matrix)
        builder.flush(sources)
        for node, value in zip(z_nodes, bias, strict=True):
            builder.bias(node, value)
        for name, z, h in zip(names, z_nodes, outputs, strict=True):
            builder.relu(z, f"m{number}_{name}", h)
        return outputs, scale

    # leaky_relu, hardtanh and abs: z fans out into ReLU parts and a pass-through.
    z_nodes = [builder.node(f"z{number}_{name}") for name in names]
    builder.connect_matrix(sources, z_nodes, matrix)
    builder.flush(sources)
    for node, value in zip(z_nodes, bias, strict=True):
        builder.bias(node, value)
    n_parts = 1 if kind == "leaky_relu" else 2
    parts = []
    for name in names:
        element = []
        for k in range(n_parts):
            a = builder.node(f"a{number}_{name}_{k}")
            builder.species.append(f"m{number}_{name}_{k}")
            element.append((a, builder.node(f"r{number}_{name}_{k}")))
        parts.append(element)
    outputs = [builder.node(name) for name in out_names]
    if kind == "leaky_relu":
        # q h = p z + (q - p) ReLU(z): the scale grows by q.
        slope = _activation_fraction(activation, index)
        p, q = slope.numerator, slope.denominator
        limits.check(index, "leaky_relu coefficient", np.array([p, q - p]), scale * q)
        for z, ((a, _),), h in zip(z_nodes, parts, outputs, strict=True):
            builder.connect(z, a, 1.0)
            builder.connect(z, h, float(p))
        relu_to_output = [float(q - p)]
        scale = scale * q
    elif kind == "hardtanh":
        # clip(z, low, high) = ReLU(z - low) - ReLU(z - high) + low, in units of the scale.
        low, high = activation.low * float(scale), activation.high * float(scale)
        limits.check(index, "hardtanh bound", np.array([low, high]), scale)
        for z, ((a0, _), (a1, _)), h in zip(z_nodes, parts, outputs, strict=True):
            builder.connect(z, a0, 1.0)
            builder.connect(z, a1, 1.0)
            builder.bias(a0, -low)
            builder.bias(a1, -high)
            builder.bias(h, low)
        relu_to_output = [1.0, -1.0]
    else:
        # |z| = ReLU(z) + ReLU(-z)
        for z, ((a0, _), (a1, _)), _h in zip(z_nodes, parts, outputs, strict=True):
            builder.connect(z, a0, 1.0)
            builder.connect(z, a1, -1.0)
        relu_to_output = [1.0, 1.0]
    builder.flush(z_nodes)
    for name, element, h in zip(names, parts, outputs, strict=True):
        for k, ((a, r), weight) in enumerate(zip(element, relu_to_output, strict=True)):
            builder.relu(a, f"m{number}_{name}_{k}", r)
            builder.connect(r, h, weight)
        builder.flush([r for _, r in element])
    return outputs, scale


def _max_pool(
    builder: _Builder,
    layer: MaxPool2d,
    index: int,
    input_shape: tuple[int, ...],
    sources: Sequence[_Node],
    names: list[str],
    out_names: list[str],
) -> list[_DualNode]:
    """Each window's maximum by a balanced tree of ``max(a, b) = b + ReLU(a - b)``."""
    number = index + 1
    channels, rows, columns = input_shape
    stride = layer.kernel if layer.stride is None else layer.stride  # as MaxPool2d's __post_init__
    position, source, _ = _window_indices(input_shape, layer.kernel, stride, layer.padding)
    n_positions = len(names) // channels
    windows: list[list[int]] = [[] for _ in range(len(names))]
    for channel in range(channels):
        for out, into in zip(position.tolist(), source.tolist(), strict=True):
            windows[channel * n_positions + out].append(channel * rows * columns + into)
    outputs = [builder.node(name) for name in out_names]
    layer_inputs = set(sources)
    for window, name, output in zip(windows, names, outputs, strict=True):
        level: list[_Node] = [sources[k] for k in window]
        if len(level) == 1:
            builder.connect(level[0], output, 1.0)
        counter = 0
        while len(level) > 1:
            following: list[_Node] = []
            paired = len(level) // 2 * 2
            for first in range(0, paired, 2):
                a, b = level[first], level[first + 1]
                t = builder.node(f"t{number}_{name}_{counter}")
                builder.species.append(f"m{number}_{name}_{counter}")
                s = builder.node(f"s{number}_{name}_{counter}")
                o = output if len(level) == 2 else builder.node(f"o{number}_{name}_{counter}")
                builder.connect(a, t, 1.0)
                builder.connect(b, t, -1.0)
                builder.connect(b, o, 1.0)
                builder.relu(t, f"m{number}_{name}_{counter}", s)
                builder.connect(s, o, 1.0)
                builder.flush([s])
                following.append(o)
                counter += 1
            # An odd one out moves up a level unpaired.
            following.extend(level[paired:])
            # Running maxima made in this window have all their consumers now; the
            # layer's inputs may sit in other windows too, so they fan out last.
            builder.flush([node for node in level[:paired] if node not in layer_inputs])
            level = following
    builder.flush(sources)
    return outputs


def compile_network(
    network: Network,
    *,
    shift_inputs: float | Sequence[float] | np.ndarray | None = None,
    max_range: float = DEFAULT_MAX_RANGE,
) -> CRN:
    """Compile a network with integer or rational weights into a non-competitive, feed-forward CRN.

    Parameters
    ----------
    network : Network
        Dense, conv2d, avgpool2d, maxpool2d and flatten layers with relu, linear,
        leaky_relu (rational alpha), hardtanh or abs activations. Weights must be
        rationals with denominators up to 1024 (use
        :func:`nn2crn.compile.quantize_network` for float weights); biases may be
        any real.
    shift_inputs : float or array-like of shape (n_inputs,), optional
        Known lower bounds ``low`` of the inputs. Inputs then become single-rail
        species fed with ``x - low >= 0`` and the shift is folded into the first
        bias: ``b <- b + W @ low``. The first layer must be dense, conv2d or avgpool2d.
    max_range : float
        Refuse a network whose scaled biases, integer coefficients or output
        scale exceed this.

    Returns
    -------
    CRN
        Declared inputs ``x0..`` (the flattened network inputs, or ``x - low``
        with `shift_inputs`) and outputs ``y0..`` with ``scale`` = the product
        of the layers' scale factors; stable outputs equal ``network.forward(x)``.

    Raises
    ------
    CompileError
        A weight that is not a small rational (named by layer and position), a
        number beyond `max_range`, or shifted inputs into a pooling layer.
    """
    limits = _Range(max_range)
    low = _shift_vector(shift_inputs, network.n_inputs)
    builder = _Builder()
    sources: Sequence[_Node]
    if low is None:
        sources = [_Node(f"x{i}p", f"x{i}n") for i in range(network.n_inputs)]
        inputs = tuple(Signal(f"x{i}", ((f"x{i}p", 1),), ((f"x{i}n", 1),)) for i in range(network.n_inputs))
    else:
        sources = [_Node(f"x{i}p", None) for i in range(network.n_inputs)]
        inputs = tuple(Signal(f"x{i}", ((f"x{i}p", 1),)) for i in range(network.n_inputs))
    builder.species.extend(
        name for node in sources for name in (node.positive, node.negative) if name is not None
    )
    # Trailing flatten layers change nothing: the last real layer writes the y species.
    last_real = max(
        (i for i, layer in enumerate(network.layers) if not isinstance(layer, Flatten)), default=-1
    )
    scale = Fraction(1)
    for index, layer in enumerate(network.layers):
        number = index + 1
        last = index == last_real
        input_shape, output_shape = network.shapes[index], network.shapes[index + 1]
        names = _element_names(output_shape)
        out_names = [f"y{k}" for k in range(len(names))] if last else [f"h{number}_{name}" for name in names]
        if isinstance(layer, Flatten):
            continue
        if index == 0 and low is not None and isinstance(layer, MaxPool2d):
            raise CompileError(
                "shift_inputs: the first layer is maxpool2d, into which a shift cannot be folded; "
                "compile without shift_inputs"
            )
        if isinstance(layer, MaxPool2d):
            sources = _max_pool(builder, layer, index, input_shape, sources, names, out_names)
            continue
        matrix, bias = unrolled_affine(layer, input_shape)
        if index == 0 and low is not None:
            bias = bias + np.bincount(
                matrix.rows, weights=matrix.data * low[matrix.indices], minlength=len(bias)
            )
        weights = np.asarray(layer.weight if isinstance(layer, (Layer, Conv2d)) else matrix.data)
        lcd = _weight_lcd(weights, f"layers[{index}].weight")
        integer = TermsCSR(matrix.indptr, matrix.indices, _scaled_integers(matrix.data, lcd), matrix.shape)
        scale = scale * lcd
        scaled_bias = bias * float(scale)
        limits.check(index, "integer weight", integer.data, scale)
        limits.check(index, "scaled bias", scaled_bias, scale)
        limits.check(index, "output scale", float(scale), scale)
        activation = layer.activation if isinstance(layer, (Layer, Conv2d)) else Activation("linear")
        sources, scale = _activate(
            builder, activation, index, names, out_names, integer, scaled_bias, sources, scale, limits
        )
    # A network of flatten layers only has its inputs as outputs.
    outputs = tuple(
        Signal(f"y{k}", ((node.positive, 1),), ((node.negative, 1),) if node.negative else (), float(scale))
        for k, node in enumerate(sources)
    )
    return CRN(
        tuple(builder.reactions),
        builder.initial,
        inputs,
        outputs,
        tuple(builder.species),
        _raw_inputs(network, low),
    )


def _raw_inputs(network: Network, low: np.ndarray | None) -> RawInputs | None:
    """The model's input transform as the CRN records it (with a shift folded into the mean)."""
    transform = network.input_transform
    if transform is None:
        return None
    mean, scale = np.asarray(transform.mean), np.asarray(transform.scale)
    if low is not None:
        # (raw - mean) / scale - low == (raw - (mean + low * scale)) / scale
        mean = mean + low * scale
    return RawInputs(tuple(network.input_names), tuple(mean.tolist()), tuple(scale.tolist()))
