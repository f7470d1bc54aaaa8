"""Algorithm 1 of Vasić et al. (ICML 2020): a ternary-weight ReLU network as a CRN.

Species names (stable, documented in docs/formats.md); layers count from 1,
nodes from 0:

=================  ==================================================
``x{i}p, x{i}n``   dual-rail input i (``x{i}p`` only with shifted inputs)
``z{l}_{j}p/n``    pre-activation of hidden node j in layer l
``m{l}_{j}``       the ReLU module's intermediate
``h{l}_{j}p/n``    output of hidden node j in layer l
``y{k}p, y{k}n``   network output k
=================  ==================================================

A hidden layer whose activation is ``linear`` writes straight into its
``h`` pair; the last layer writes into the ``y`` pair (through a ReLU module
if its activation is ``relu``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._errors import CompileError
from ..crn import CRN, RawInputs, Reaction, Signal
from ..nn import Network


def _check_weights(network: Network) -> None:
    for index, layer in enumerate(network.layers):
        bad = ~np.isin(layer.weight, (-1.0, 0.0, 1.0))
        if bad.any():
            row, column = (int(v) for v in np.argwhere(bad)[0])
            raise CompileError(
                f"layers[{index}].weight[{row}][{column}] = {float(layer.weight[row, column])!r}: only weights in "
                f"{{-1, 0, +1}} can be compiled ({int(bad.sum())} such weights in this layer); train with "
                f"--weights binary or ternary, or binarize the model first"
            )


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


def compile_network(
    network: Network, *, shift_inputs: float | Sequence[float] | np.ndarray | None = None
) -> CRN:
    """Compile a network with weights in {-1, 0, +1} into a non-competitive, feed-forward CRN.

    Parameters
    ----------
    network : Network
        ReLU or linear layers with weights in {-1, 0, +1}; biases may be any real.
    shift_inputs : float or array-like of shape (n_inputs,), optional
        Known lower bounds ``low`` of the inputs. Inputs then become single-rail
        species fed with ``x - low >= 0`` and the shift is folded into the first
        bias: ``b <- b + W @ low``.

    Returns
    -------
    CRN
        Declared inputs ``x0..`` (values of the network inputs, or ``x - low``
        with `shift_inputs`) and outputs ``y0..``; stable outputs equal
        ``network.forward(x)``.

    Raises
    ------
    CompileError
        A weight outside {-1, 0, +1}, named by layer and position.
    """
    _check_weights(network)
    low = _shift_vector(shift_inputs, network.n_inputs)
    reactions: list[Reaction] = []
    initial: dict[str, float] = {}

    if low is None:
        sources = [(f"x{i}p", f"x{i}n") for i in range(network.n_inputs)]
        inputs = tuple(Signal(f"x{i}", ((f"x{i}p", 1),), ((f"x{i}n", 1),)) for i in range(network.n_inputs))
    else:
        sources = [(f"x{i}p", None) for i in range(network.n_inputs)]
        inputs = tuple(Signal(f"x{i}", ((f"x{i}p", 1),)) for i in range(network.n_inputs))
    n_layers = len(network.layers)
    outputs: tuple[Signal, ...] = ()
    species_order: list[str] = [name for pair in sources for name in pair if name is not None]

    for index, layer in enumerate(network.layers):
        number = index + 1
        last = index == n_layers - 1
        bias = np.array(layer.bias)
        if index == 0 and low is not None:
            bias = bias + layer.weight @ low
        out_names = [
            (f"y{j}p", f"y{j}n") if last else (f"h{number}_{j}p", f"h{number}_{j}n")
            for j in range(layer.n_out)
        ]
        relu = layer.activation == "relu"
        targets = [(f"z{number}_{j}p", f"z{number}_{j}n") for j in range(layer.n_out)] if relu else out_names

        # One fan-out reaction per source node and sign: w = +1 keeps the sign, -1 flips it.
        positive_targets = np.array([pair[0] for pair in targets], dtype=object)
        negative_targets = np.array([pair[1] for pair in targets], dtype=object)
        for source_index, (positive, negative) in enumerate(sources):
            column = layer.weight[:, source_index]
            nonzero = np.flatnonzero(column)
            if len(nonzero) == 0:
                continue
            keeps = column[nonzero] > 0
            ones = [1] * len(nonzero)
            # Targets are distinct species, so the terms are already aggregated.
            same = np.where(keeps, positive_targets[nonzero], negative_targets[nonzero]).tolist()
            reactions.append(Reaction._trusted(((positive, 1),), tuple(zip(same, ones, strict=True)), 1.0))
            if negative is not None:
                flipped = np.where(keeps, negative_targets[nonzero], positive_targets[nonzero]).tolist()
                reactions.append(
                    Reaction._trusted(((negative, 1),), tuple(zip(flipped, ones, strict=True)), 1.0)
                )

        for j, value in enumerate(bias):
            if value > 0:
                initial[targets[j][0]] = float(value)
            elif value < 0:
                initial[targets[j][1]] = float(-value)

        if relu:
            for j in range(layer.n_out):
                z_positive, z_negative = targets[j]
                intermediate = f"m{number}_{j}"
                y_positive, y_negative = out_names[j]
                reactions.append(Reaction(((z_positive, 1),), ((intermediate, 1), (y_positive, 1))))
                reactions.append(Reaction(((intermediate, 1), (z_negative, 1)), ((y_negative, 1),)))
                species_order.extend((z_positive, z_negative, intermediate))
        species_order.extend(name for pair in out_names for name in pair)
        sources = out_names
        if last:
            outputs = tuple(Signal(f"y{j}", ((p, 1),), ((n, 1),)) for j, (p, n) in enumerate(out_names))
    return CRN(tuple(reactions), initial, inputs, outputs, tuple(species_order), _raw_inputs(network, low))


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
