"""Compiling conv/pool/flatten layers, piecewise-linear activations and rational weights."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn2crn import CompileError
from nn2crn.compile import accuracy_loss, compile_network, quantize_network, reduce_crn
from nn2crn.crn import check_crn, format_crn, parse_crn
from nn2crn.nn import Layer, Network
from nn2crn.nn.network import Activation, AvgPool2d, Conv2d, Flatten, MaxPool2d
from nn2crn.simulate import stable_outputs
from tests.helpers import assert_close_relative

ALPHAS = (0.5, 0.25, 1.5, -1 / 3, 0.1, 0.0, 1.0)


@st.composite
def activations(draw):
    kind = draw(st.sampled_from(("relu", "linear", "leaky_relu", "hardtanh", "abs")))
    if kind == "leaky_relu":
        return Activation("leaky_relu", alpha=draw(st.sampled_from(ALPHAS)))
    if kind == "hardtanh":
        low = draw(st.floats(-3, 1))
        return Activation("hardtanh", low=low, high=low + draw(st.floats(0.25, 3)))
    return Activation(kind)


def weights(draw, rng, shape):
    """Integers -2..2, or rationals k/q with q in 1..4 (q drawn per layer)."""
    denominator = draw(st.sampled_from((1, 1, 2, 3, 4)))
    return rng.integers(-2 * denominator, 2 * denominator + 1, size=shape) / denominator


@st.composite
def networks_and_inputs(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    channels, rows, columns = draw(st.integers(1, 2)), draw(st.integers(3, 6)), draw(st.integers(3, 6))
    shape: tuple[int, ...] = (channels, rows, columns)
    layers = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(("conv2d", "avgpool2d", "maxpool2d")))
        kernel = (draw(st.integers(1, min(3, shape[1]))), draw(st.integers(1, min(3, shape[2]))))
        stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
        padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
        if kind == "conv2d":
            out_channels = draw(st.integers(1, 3))
            layer = Conv2d(
                weights(draw, rng, (out_channels, shape[0], *kernel)),
                rng.normal(0, 1, out_channels),
                stride,
                padding,
                draw(activations()),
            )
        elif kind == "avgpool2d":
            layer = AvgPool2d(kernel, stride, padding)
        else:
            layer = MaxPool2d(kernel, stride, padding)
        shape = layer.output_shape(shape)
        layers.append(layer)
    layers.append(Flatten())
    width = int(np.prod(shape))
    for _ in range(draw(st.integers(0, 2))):
        out = draw(st.integers(1, 5))
        layers.append(Layer(weights(draw, rng, (out, width)), rng.normal(0, 1, out), draw(activations())))
        width = out
    if draw(st.booleans()):
        layers.append(Layer(weights(draw, rng, (2, width)), rng.normal(0, 1, 2), "linear"))
    network = Network(tuple(layers), input_shape=(channels, rows, columns))
    inputs = rng.normal(0.0, 2.0, size=(draw(st.integers(1, 6)), network.n_inputs))
    return network, inputs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks_and_inputs())
def test_every_layer_and_activation_compiles_exactly(case):
    network, inputs = case
    expected = network.forward(inputs)
    magnitude = network.forward_magnitude(inputs)
    compiled = compile_network(network)
    for crn in (compiled, reduce_crn(compiled)):
        report = check_crn(crn)
        assert report.feed_forward and report.non_competitive and report.outputs_only_produced
        assert_close_relative(stable_outputs(crn, inputs), expected, magnitude=magnitude)


def test_numpy_forward_pass_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    conv = Conv2d(rng.integers(-2, 3, (3, 2, 3, 2)) / 2, rng.normal(size=3), (2, 1), (1, 1), "relu")
    layers = (conv, MaxPool2d((2, 2), (1, 2), (1, 0)), AvgPool2d((2, 2), (1, 1), (1, 1)), Flatten())
    network = Network(layers, input_shape=(2, 7, 6))
    x = rng.normal(size=(4, 2, 7, 6))
    with torch.no_grad():
        t = torch.from_numpy(x)
        t = torch.relu(
            torch.nn.functional.conv2d(t, torch.tensor(conv.weight), torch.tensor(conv.bias), (2, 1), (1, 1))
        )
        t = torch.nn.functional.max_pool2d(t, (2, 2), (1, 2), (1, 0))
        t = torch.nn.functional.avg_pool2d(t, (2, 2), (1, 1), (1, 1)).flatten(1)
    np.testing.assert_allclose(network.forward(x.reshape(4, -1)), t.numpy(), rtol=1e-12, atol=1e-12)


def test_rational_weights_scale_the_outputs_and_the_text_format_keeps_the_scale():
    network = Network(
        (
            Layer(np.array([[1 / 3, -1.0], [0.5, 0.25]]), np.array([0.1, -0.2]), "relu"),
            Layer(np.array([[2 / 3, 1.0]]), np.array([0.3]), Activation("leaky_relu", alpha=0.25)),
        )
    )
    crn = compile_network(network)
    # layer 1: lcd 12; layer 2: lcd 3, leaky slope 1/4 multiplies by 4
    assert crn.outputs[0].scale == 12 * 3 * 4
    assert check_crn(crn).max_coefficient == 12  # -1 * 12 in layer 1
    back = parse_crn(format_crn(crn))
    assert back.outputs == crn.outputs
    x = np.array([[1.0, -2.0], [3.0, 0.5]])
    assert_close_relative(stable_outputs(back, x), network.forward(x))


def test_integer_weights_become_stoichiometric_coefficients():
    network = Network((Layer(np.array([[3.0, -2.0]]), np.array([0.0]), "linear"),))
    crn = compile_network(network)
    assert str(crn.reactions[0]) == "x0p -> 3 y0p"
    assert str(crn.reactions[2]) == "x1p -> 2 y0n"
    assert check_crn(crn).max_coefficient == 3
    assert crn.outputs[0].scale == 1.0


def test_max_pool_is_a_balanced_tree_with_readable_names():
    network = Network((MaxPool2d((2, 2)), Flatten()), input_shape=(1, 2, 2))
    crn = compile_network(network)
    relus = [r for r in crn.reactions if r.order == 2]
    assert len(relus) == 3  # three comparisons for four values, two levels
    assert {"t1_0_0_0_0p", "s1_0_0_0_2p", "o1_0_0_0_1p", "y0p"} <= set(crn.species)
    x = np.array([[1.0, -4.0, 2.5, 0.0], [-1.0, -2.0, -3.0, -0.5]])
    assert_close_relative(stable_outputs(crn, x), [[2.5], [-0.5]])


def test_conv_species_follow_channel_row_column_names():
    conv = Conv2d(np.ones((2, 1, 2, 2)), np.zeros(2), activation="relu")
    crn = compile_network(Network((conv, Flatten()), input_shape=(1, 3, 3)))
    assert {"z1_1_0_1p", "m1_1_1_1", "y7p"} <= set(crn.species)
    assert crn.n_inputs == 9


def test_dynamic_range_refusal_gives_the_number():
    network = Network((Layer(np.array([[1 / 1024]]), np.array([5000.0]), "linear"),))
    with pytest.raises(
        CompileError,
        match=r"layers\[0\]: the largest scaled bias is 5\.12e\+06 after scaling by 1024 to integer weights, "
        r"beyond the dynamic range 1e\+06; quantize to a smaller denominator",
    ):
        compile_network(network)
    assert compile_network(network, max_range=1e7).outputs[0].scale == 1024


def test_shift_into_max_pool_is_refused():
    network = Network((MaxPool2d((2, 2)), Flatten()), input_shape=(1, 2, 2))
    with pytest.raises(
        CompileError, match="the first layer is maxpool2d, into which a shift cannot be folded"
    ):
        compile_network(network, shift_inputs=0.0)


def test_non_rational_leaky_slope_is_refused():
    network = Network((Layer(np.eye(1), np.zeros(1), Activation("leaky_relu", alpha=0.0123456789)),))
    with pytest.raises(
        CompileError, match=r"layers\[0\]\.activation\.alpha = 0\.0123456789 is not a rational"
    ):
        compile_network(network)


def test_quantizing_a_float_network_reports_what_it_changes(rng):
    network = Network(
        (
            Layer(rng.normal(size=(6, 4)), rng.normal(size=6), "relu"),
            Layer(rng.normal(size=(3, 6)), np.zeros(3), "linear"),
        )
    )
    with pytest.raises(CompileError, match="is not a rational"):
        compile_network(network)
    result = quantize_network(network, 4)
    assert result.n_weights == 42 and result.n_changed == 42
    assert 0 < result.max_weight_error <= 1 / 8
    assert all(
        Fraction(w).limit_denominator(4) * 4 == round(w * 4)
        for layer in result.network.layers
        for w in layer.weight.ravel()
    )
    crn = compile_network(result.network)
    x = rng.normal(size=(20, 4))
    assert_close_relative(stable_outputs(crn, x), result.network.forward(x))
    labels = network.forward(x).argmax(axis=1)
    loss = accuracy_loss(network, result.network, x, labels)
    assert loss.accuracy_before == 1.0 and loss.lost == 1.0 - loss.accuracy_after
    with pytest.raises(CompileError, match="denominator: expected an integer from 1 to 1024, got 0"):
        quantize_network(network, 0)
