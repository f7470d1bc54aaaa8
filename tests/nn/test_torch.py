"""nn2crn.torch: quantized modules, from_torch, to_torch."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nn2crn import ModelFileError  # noqa: E402
from nn2crn.compile import compile_network  # noqa: E402
from nn2crn.crn import check_crn  # noqa: E402
from nn2crn.nn.torch import (  # noqa: E402
    Abs,
    IntConv2d,
    IntLinear,
    TernaryConv2d,
    TernaryLinear,
    clip_shadow_weights,
    from_torch,
    to_torch,
)
from nn2crn.simulate import stable_outputs  # noqa: E402
from tests.helpers import assert_close_relative  # noqa: E402

pytestmark = pytest.mark.torch


def model() -> torch.nn.Sequential:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        TernaryConv2d(1, 3, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        IntConv2d(3, 2, 1, levels=2),
        torch.nn.Hardtanh(-1.0, 2.0),
        torch.nn.AvgPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Dropout(0.5),
        IntLinear(2 * 2 * 2, 4, levels=3),
        torch.nn.LeakyReLU(0.5),
        TernaryLinear(4, 3, threshold=None),
        Abs(),
    ).double()


def test_quantized_modules_train_straight_through_and_clip():
    layer = IntLinear(4, 2, levels=3).double()
    levels = layer.quantized_weight() * 3
    assert torch.equal(levels, levels.round()) and levels.abs().max() <= 3
    loss = layer(torch.ones(5, 4, dtype=torch.float64)).sum()
    loss.backward()
    assert torch.equal(layer.weight.grad, torch.full((2, 4), 5.0, dtype=torch.float64))  # identity STE
    with torch.no_grad():
        layer.weight.mul_(10)
    clip_shadow_weights(layer)
    assert layer.weight.abs().max() <= 1
    ternary = TernaryLinear(6, 6, threshold=0.5).quantized_weight()
    assert set(ternary.unique().tolist()) <= {-1.0, 0.0, 1.0}


def test_float32_integer_levels_come_out_as_exact_rationals():
    # nn2crn train uses float32 modules: float32(2/3) would not be a small-denominator rational.
    torch.manual_seed(1)
    module = torch.nn.Sequential(
        IntConv2d(1, 2, 3, levels=3), torch.nn.Flatten(), IntLinear(2 * 2 * 2, 3, levels=3)
    )
    network = from_torch(module, input_shape=(1, 4, 4))
    for layer in (network.layers[0], network.layers[2]):
        counts = layer.weight * 3
        assert np.array_equal(counts, np.round(counts)) and np.abs(counts).max() <= 3
        assert np.any(np.abs(counts) == 2)  # a level that float32 cannot hold exactly
        assert np.array_equal(layer.weight, np.round(counts) / 3)  # float64 k / 3
    x = np.random.default_rng(0).normal(size=(6, 16))
    crn = compile_network(network)
    assert_close_relative(stable_outputs(crn, x), network.forward(x), 1e-9)
    with torch.no_grad():
        expected = module(torch.from_numpy(x).float().reshape(6, 1, 4, 4)).double().numpy()
    np.testing.assert_allclose(network.forward(x), expected, rtol=1e-5, atol=1e-5)


def test_from_torch_computes_the_module_and_compiles_exactly():
    net_module = model().eval()
    network = from_torch(net_module, input_shape=(1, 8, 8))
    assert [layer.kind for layer in network.layers] == [
        "conv2d",
        "maxpool2d",
        "conv2d",
        "avgpool2d",
        "flatten",
        "dense",
        "dense",
    ]
    assert network.layers[-1].activation == "abs"
    x = np.random.default_rng(0).normal(size=(5, 64))
    with torch.no_grad():
        expected = net_module(torch.from_numpy(x).reshape(5, 1, 8, 8)).numpy()
    np.testing.assert_allclose(network.forward(x), expected, rtol=1e-12, atol=1e-12)
    crn = compile_network(network)
    assert check_crn(crn).ok
    assert_close_relative(stable_outputs(crn, x), expected, magnitude=network.forward_magnitude(x))
    back = to_torch(network)
    with torch.no_grad():
        np.testing.assert_allclose(back(torch.from_numpy(x)).numpy(), expected, rtol=1e-12, atol=1e-12)


def test_nn2crn_torch_is_the_public_name():
    import nn2crn.torch

    assert nn2crn.torch.from_torch is from_torch and nn2crn.torch.TernaryLinear is TernaryLinear


def test_from_torch_reads_an_mlp_state_dict():
    mlp = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).double()
    network = from_torch(mlp.state_dict())
    x = np.random.default_rng(1).normal(size=(4, 3))
    with torch.no_grad():
        np.testing.assert_allclose(network.forward(x), mlp(torch.from_numpy(x)).numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    ("module", "message"),
    [
        (
            torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid()),
            r"module \[1\] \(Sigmoid\): unsupported layer; use Linear",
        ),
        (
            torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3, dilation=2)),
            r"module \[0\] \(Conv2d\): only zero padding given as numbers, dilation 1",
        ),
        (
            torch.nn.Sequential(torch.nn.MaxPool2d(2, ceil_mode=True)),
            r"module \[0\] \(MaxPool2d\): ceil_mode and dilation are not supported",
        ),
        (
            torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3)),
            r"module \[0\] \(Conv2d\): give input_shape=\(channels, rows, columns\)",
        ),
        (
            {"0.weight": torch.ones(1, 1, 3, 3)},
            r"state_dict entry 0\.weight has shape \(1, 1, 3, 3\); a state_dict gives only MLPs",
        ),
    ],
)
def test_unsupported_modules_are_refused_by_index_and_type(module, message):
    with pytest.raises(ModelFileError, match=message):
        from_torch(module)
