"""PyTorch modules with compilable weights, and :func:`from_torch` (needs the ``train`` extra).

``TernaryLinear`` / ``TernaryConv2d`` use weights in {-1, 0, +1} and
``IntLinear`` / ``IntConv2d`` weights k/K for k in -K..K: real-valued *shadow*
weights are clipped to [-1, 1] (call :func:`clip_shadow_weights` after each
optimizer step) and quantized in the forward pass; the backward pass is the
straight-through estimator (the gradient of the quantized weight goes to the
shadow weight). The compiler scales k/K weights to integers k with the output
scale K per layer, so ``int:K`` networks compile to coefficients up to K.

Use them in your own training loop, then ``from_torch(model)`` gives a
:class:`~nn2crn.nn.Network` to compile::

    model = torch.nn.Sequential(TernaryConv2d(1, 8, 3, padding=1), torch.nn.ReLU(),
                                torch.nn.MaxPool2d(2), torch.nn.Flatten(), TernaryLinear(392, 10))
    ...  # train; call clip_shadow_weights(model) after optimizer.step()
    network = from_torch(model, input_shape=(1, 14, 14))

The nn2crn trainer uses the same quantizers and modules.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from .._errors import ModelFileError
from .network import Activation, AvgPool2d, Conv2d, Flatten, Layer, MaxPool2d, Network


class _Ternarize(torch.autograd.Function):
    """sign(w) (+1 at 0), or 0 where |w| < threshold; identity backward (STE)."""

    @staticmethod
    def forward(ctx, weight, threshold):  # noqa: ANN001, ANN205 - torch's signature
        ones = torch.ones_like(weight)
        quantized = torch.where(weight >= 0, ones, -ones)
        if threshold is not None:
            quantized = torch.where(weight.abs() < threshold, torch.zeros_like(weight), quantized)
        return quantized

    @staticmethod
    def backward(ctx, grad_output):  # noqa: ANN001, ANN205
        return grad_output, None


class _RoundLevels(torch.autograd.Function):
    """round(w K) / K on [-1, 1]; identity backward (STE)."""

    @staticmethod
    def forward(ctx, weight, levels):  # noqa: ANN001, ANN205
        return torch.round(weight.clamp(-1.0, 1.0) * levels) / levels

    @staticmethod
    def backward(ctx, grad_output):  # noqa: ANN001, ANN205
        return grad_output, None


def ternarize(weight: torch.Tensor, threshold: float | None) -> torch.Tensor:
    """Quantize to {-1, 0, +1} (binary {-1, +1} with ``threshold=None``), straight-through."""
    return _Ternarize.apply(weight, threshold)


def integer_levels(weight: torch.Tensor, levels: int) -> torch.Tensor:
    """Quantize to k / levels, k in -levels..levels, straight-through."""
    return _RoundLevels.apply(weight, levels)


class _Quantized(abc.ABC):
    """Shared parts of the quantized modules: the shadow weight is ``self.weight``."""

    # As declared by torch.nn.Linear and _ConvNd (a Parameter at run time): a narrower type here
    # would conflict with the torch base class in every subclass.
    weight: torch.Tensor

    @abc.abstractmethod
    def quantized_weight(self) -> torch.Tensor:
        """The weight the forward pass uses: the shadow weight quantized to the module's levels."""

    def _init_shadow(self) -> None:
        with torch.no_grad():
            self.weight.uniform_(-1.0, 1.0)
            # Not declared here: Linear and Conv2d type their optional bias differently.
            bias = getattr(self, "bias", None)
            if bias is not None:
                bias.zero_()


class TernaryLinear(_Quantized, torch.nn.Linear):
    """``nn.Linear`` whose forward pass uses ternarized weights.

    Parameters
    ----------
    in_features, out_features : int
    threshold : float
        Shadow weights with ``|w| < threshold`` become 0; ``None`` gives binary weights.
    """

    def __init__(
        self, in_features: int, out_features: int, threshold: float | None = 0.15, **kwargs: Any
    ) -> None:
        super().__init__(in_features, out_features, **kwargs)
        self.threshold = threshold
        self._init_shadow()

    def quantized_weight(self) -> torch.Tensor:
        return ternarize(self.weight, self.threshold)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.linear(x, self.quantized_weight(), self.bias)


class IntLinear(_Quantized, torch.nn.Linear):
    """``nn.Linear`` with weights k / `levels`, k in -levels..levels (``int:K`` with K = levels)."""

    def __init__(self, in_features: int, out_features: int, levels: int = 3, **kwargs: Any) -> None:
        super().__init__(in_features, out_features, **kwargs)
        if levels < 1:
            raise ValueError(f"levels must be >= 1, got {levels}")
        self.levels = int(levels)
        self._init_shadow()

    def quantized_weight(self) -> torch.Tensor:
        return integer_levels(self.weight, self.levels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.linear(x, self.quantized_weight(), self.bias)


class TernaryConv2d(_Quantized, torch.nn.Conv2d):
    """``nn.Conv2d`` (zero padding, no dilation or groups) with ternarized weights."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        threshold: float | None = 0.15,
        **kwargs: Any,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, **kwargs)
        self.threshold = threshold
        self._init_shadow()

    def quantized_weight(self) -> torch.Tensor:
        return ternarize(self.weight, self.threshold)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.quantized_weight(), self.bias)


class IntConv2d(_Quantized, torch.nn.Conv2d):
    """``nn.Conv2d`` with weights k / `levels`, k in -levels..levels."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        levels: int = 3,
        **kwargs: Any,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, **kwargs)
        if levels < 1:
            raise ValueError(f"levels must be >= 1, got {levels}")
        self.levels = int(levels)
        self._init_shadow()

    def quantized_weight(self) -> torch.Tensor:
        return integer_levels(self.weight, self.levels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.quantized_weight(), self.bias)


class Abs(torch.nn.Module):
    """``|x|`` as a module, so that ``abs`` activations can be written in an ``nn.Sequential``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.abs(x)


def clip_shadow_weights(model: torch.nn.Module) -> None:
    """Clip the shadow weights of every quantized module of `model` to [-1, 1] (BinaryConnect)."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, _Quantized):
                module.weight.clamp_(-1.0, 1.0)


def _array(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().cpu().to(torch.float64).numpy()


def _activation_of(module: torch.nn.Module) -> Activation | None:
    if isinstance(module, torch.nn.ReLU):
        return Activation("relu")
    if isinstance(module, torch.nn.LeakyReLU):
        return Activation("leaky_relu", alpha=float(module.negative_slope))
    if isinstance(module, torch.nn.Hardtanh):  # also ReLU6
        return Activation("hardtanh", low=float(module.min_val), high=float(module.max_val))
    if isinstance(module, Abs):
        return Activation("abs")
    return None


def _pair(value: int | Sequence[int]) -> tuple[int, int]:
    return (int(value), int(value)) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _identity_layer(shape: tuple[int, ...], activation: Activation) -> Layer | Conv2d:
    """An activation with no layer to attach to: an identity layer carrying it."""
    if len(shape) == 1:
        return Layer(np.eye(shape[0]), np.zeros(shape[0]), activation)
    channels = shape[0]
    return Conv2d(
        np.eye(channels).reshape(channels, channels, 1, 1), np.zeros(channels), activation=activation
    )


def _state_dict_network(state: Mapping[str, Any]) -> list[Layer]:
    weights = [key for key in state if key.endswith("weight")]
    layers = []
    for number, key in enumerate(weights):
        weight = state[key]
        if weight.ndim != 2:
            raise ModelFileError(
                f"from_torch: state_dict entry {key} has shape {tuple(weight.shape)}; a state_dict gives only "
                f"MLPs (convolutions need the module, for stride and padding)"
            )
        prefix = key[: -len("weight")]
        bias = state.get(prefix + "bias")
        bias_array = _array(bias) if bias is not None else np.zeros(weight.shape[0])
        activation = Activation("linear" if number == len(weights) - 1 else "relu")
        layers.append(Layer(_array(weight), bias_array, activation))
    if not layers:
        raise ModelFileError("from_torch: the state_dict has no '...weight' entries")
    return layers


def _weight_array(module: Any) -> np.ndarray:
    """The weights a linear or convolution module computes with, as float64.

    Integer-level modules give k / levels exactly: the levels k are whole numbers in
    any float type, the division is done in float64 (a float32 2/3 would not compile).
    """
    if not isinstance(module, _Quantized):
        return _array(module.weight)
    levels = getattr(module, "levels", None)
    if levels is None:  # binary and ternary weights are exact in any float type
        return _array(module.quantized_weight())
    with torch.no_grad():
        counts = torch.round(module.weight.clamp(-1.0, 1.0) * levels)
    return _array(counts) / levels


def from_torch(
    module_or_state_dict: torch.nn.Module | Mapping[str, Any],
    *,
    input_shape: Sequence[int] | None = None,
    input_names: Sequence[str] = (),
    output_names: Sequence[str] = (),
) -> Network:
    """A :class:`Network` from an ``nn.Sequential`` of supported layers (or an MLP's state_dict).

    Parameters
    ----------
    module_or_state_dict : torch.nn.Module or mapping
        ``nn.Sequential`` of ``Linear``, ``Conv2d`` (zero padding, no dilation or
        groups), ``AvgPool2d``, ``MaxPool2d``, ``Flatten``, ``ReLU``, ``LeakyReLU``,
        ``Hardtanh``/``ReLU6``, :class:`Abs`, ``Identity`` and ``Dropout`` (ignored),
        including the quantized modules of this module. A state_dict is read as
        an MLP: dense layers in key order, ReLU between them, linear last (the
        state_dict of a quantized module holds shadow weights: pass the module).
    input_shape : sequence of int, optional
        ``(channels, rows, columns)``; needed when the first layer is not Linear.

    Returns
    -------
    Network
        Quantized modules give their quantized weights, so the network
        computes what the module computes in eval mode.

    Raises
    ------
    ModelFileError
        An unsupported module, naming its index and type, and what to do.
    """
    shape_argument = tuple(int(size) for size in input_shape) if input_shape is not None else ()
    if isinstance(module_or_state_dict, Mapping):
        return Network(
            tuple(_state_dict_network(module_or_state_dict)),
            tuple(input_names),
            tuple(output_names),
            None,
            {},
            shape_argument,
        )
    module = module_or_state_dict
    children = list(module) if isinstance(module, torch.nn.Sequential) else [module]
    layers: list[Any] = []
    shape: tuple[int, ...] | None = shape_argument or None
    pending_activation_target = False
    with torch.no_grad():
        for index, child in enumerate(children):
            where = f"from_torch: module [{index}] ({type(child).__name__})"
            activation = _activation_of(child)
            if activation is not None:
                previous = layers[-1] if layers else None
                if (
                    pending_activation_target
                    and previous is not None
                    and previous.activation.kind == "linear"
                ):
                    layers[-1] = type(previous)(**{**_fields(previous), "activation": activation})
                else:
                    if shape is None:
                        raise ModelFileError(
                            f"{where}: give input_shape for a network that starts with an activation"
                        )
                    layers.append(_identity_layer(shape, activation))
                pending_activation_target = False
                continue
            if isinstance(child, (torch.nn.Identity, torch.nn.Dropout)):
                continue
            if isinstance(child, torch.nn.Unflatten) and not layers and child.dim == 1:
                # Flat inputs reshaped to images: the network's inputs are flat anyway.
                unflattened = tuple(int(size) for size in child.unflattened_size)
                if shape is not None and int(np.prod(shape)) != int(np.prod(unflattened)):
                    raise ModelFileError(f"{where}: reshapes {shape} to {unflattened}, sizes differ")
                shape = unflattened
                shape_argument = unflattened
                continue
            pending_activation_target = False
            if isinstance(child, torch.nn.Linear):
                bias = _array(child.bias) if child.bias is not None else np.zeros(child.out_features)
                layer: Any = Layer(_weight_array(child), bias, Activation("linear"))
                pending_activation_target = True
            elif isinstance(child, torch.nn.Conv2d):
                if (
                    child.groups != 1
                    or _pair(child.dilation) != (1, 1)
                    or child.padding_mode != "zeros"
                    or isinstance(child.padding, str)
                ):
                    raise ModelFileError(
                        f"{where}: only zero padding given as numbers, dilation 1 and groups 1 are supported"
                    )
                bias = _array(child.bias) if child.bias is not None else np.zeros(child.out_channels)
                layer = Conv2d(
                    _weight_array(child),
                    bias,
                    _pair(child.stride),
                    _pair(child.padding),
                    Activation("linear"),
                )
                pending_activation_target = True
            elif isinstance(child, torch.nn.MaxPool2d):
                if child.ceil_mode or _pair(child.dilation) != (1, 1):
                    raise ModelFileError(f"{where}: ceil_mode and dilation are not supported")
                layer = MaxPool2d(
                    _pair(child.kernel_size), _pair(child.stride or child.kernel_size), _pair(child.padding)
                )
            elif isinstance(child, torch.nn.AvgPool2d):
                if child.ceil_mode or not child.count_include_pad or child.divisor_override:
                    raise ModelFileError(
                        f"{where}: only ceil_mode=False, count_include_pad=True, no divisor_override are supported"
                    )
                layer = AvgPool2d(
                    _pair(child.kernel_size), _pair(child.stride or child.kernel_size), _pair(child.padding)
                )
            elif isinstance(child, torch.nn.Flatten):
                if child.start_dim != 1 or child.end_dim != -1:
                    raise ModelFileError(f"{where}: only Flatten(start_dim=1, end_dim=-1) is supported")
                layer = Flatten()
            else:
                raise ModelFileError(
                    f"{where}: unsupported layer; use Linear, Conv2d, pooling, Flatten and piecewise-linear "
                    f"activations (ReLU, LeakyReLU, Hardtanh, Abs), e.g. TernaryLinear from nn2crn.torch"
                )
            if shape is None:
                if not isinstance(layer, Layer):
                    raise ModelFileError(f"{where}: give input_shape=(channels, rows, columns)")
                shape = (layer.n_in,)
            try:
                shape = tuple(layer.output_shape(shape))
            except ValueError as error:
                raise ModelFileError(f"{where}: {error}") from None
            layers.append(layer)
    if not layers:
        raise ModelFileError("from_torch: the module has no layers")
    first_shape = shape_argument or (layers[0].n_in,)
    return Network(tuple(layers), tuple(input_names), tuple(output_names), None, {}, first_shape)


def _fields(layer: Layer | Conv2d) -> dict[str, Any]:
    if isinstance(layer, Layer):
        return {"weight": layer.weight, "bias": layer.bias}
    return {"weight": layer.weight, "bias": layer.bias, "stride": layer.stride, "padding": layer.padding}


def to_torch(network: Network) -> torch.nn.Sequential:
    """An ``nn.Sequential`` (float64, eval mode) computing ``network.forward`` on flattened inputs."""
    modules: list[torch.nn.Module] = (
        [torch.nn.Unflatten(1, network.input_shape)] if len(network.input_shape) > 1 else []
    )
    for layer, shape in zip(network.layers, network.shapes, strict=False):
        if isinstance(layer, (Layer, Conv2d)):
            if isinstance(layer, Layer):
                linear: torch.nn.Module = torch.nn.Linear(layer.n_in, layer.n_out, dtype=torch.float64)
            else:
                linear = torch.nn.Conv2d(
                    shape[0],
                    layer.weight.shape[0],
                    layer.kernel,
                    stride=layer.stride,
                    padding=layer.padding,
                    dtype=torch.float64,
                )
            with torch.no_grad():
                # get_parameter, not attributes: a Module's attributes type as Tensor | Module.
                linear.get_parameter("weight").copy_(torch.from_numpy(np.array(layer.weight)))
                linear.get_parameter("bias").copy_(torch.from_numpy(np.array(layer.bias)))
            modules.append(linear)
            kind = layer.activation
            if kind.kind == "relu":
                modules.append(torch.nn.ReLU())
            elif kind.kind == "leaky_relu":
                modules.append(torch.nn.LeakyReLU(kind.alpha))
            elif kind.kind == "hardtanh":
                modules.append(torch.nn.Hardtanh(kind.low, kind.high))
            elif kind.kind == "abs":
                modules.append(Abs())
        elif isinstance(layer, MaxPool2d):
            modules.append(torch.nn.MaxPool2d(layer.kernel, layer.stride, layer.padding))
        elif isinstance(layer, AvgPool2d):
            modules.append(torch.nn.AvgPool2d(layer.kernel, layer.stride, layer.padding))
        else:
            modules.append(torch.nn.Flatten())
    if len(network.shapes[-1]) > 1:
        modules.append(torch.nn.Flatten())
    return torch.nn.Sequential(*modules).eval()


def glorot_scale(fan_in: int, fan_out: int) -> float:
    """BinaryConnect's learning-rate scale ``1 / sqrt(1.5 / (fan_in + fan_out))``."""
    return 1.0 / math.sqrt(1.5 / (fan_in + fan_out))
