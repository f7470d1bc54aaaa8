"""BinaryConnect training of binary/ternary-weight ReLU networks (needs the ``train`` extra).

The recipe of Courbariaux et al. (2015), as adapted by Vasić et al. (2020):

* real-valued *shadow* weights, clipped to [-1, 1] after every step;
* the forward pass uses their deterministic binarization (sign) or
  ternarization (``|w| < threshold -> 0``, else sign), and the backward pass a
  straight-through estimator (the gradient w.r.t. the quantized weight is
  applied to the shadow weight);
* squared hinge loss on ±1 one-hot targets (or cross-entropy);
* Adam with the learning rate decaying exponentially from ``lr_start`` to
  ``lr_end`` over the epochs, and Glorot-scaled learning rates for the
  quantized weights (BinaryConnect's ``W_LR_scale = 1 / sqrt(1.5 / (fan_in + fan_out))``);
* optional dropout on the inputs and the hidden layers;
* the parameters of the epoch with the best validation accuracy are kept (ties:
  higher training accuracy, then lower validation loss; a small validation set
  ties often);
* inputs standardized with a scikit-learn ``StandardScaler`` fitted on the
  training split; it becomes the network's input transform.

Biases stay real-valued; the compiler puts them into initial amounts. Training
runs in float64, so the exported :class:`Network` reproduces the PyTorch
model's outputs to rounding error. torch is imported only inside functions.
"""

from __future__ import annotations

import dataclasses
import math
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .._errors import DatasetError, ModelFileError, NN2CRNError
from ..datasets.base import Dataset
from .network import Activation, InputTransform, Layer, Network

WEIGHT_KINDS = ("binary", "ternary", "int:K")
LOSSES = ("hinge", "xent")
SCHEDULES = ("exponential", "cosine")


class TrainingDivergedError(NN2CRNError):
    """The training loss became NaN or infinite (e.g. a learning rate far too large)."""


def _refuse_divergence(dataset_name: str, epoch: int, loss: float, val_loss: float) -> None:
    """Stop at the first epoch whose training or validation loss is not finite."""
    if not (math.isfinite(loss) and math.isfinite(val_loss)):
        raise TrainingDivergedError(
            f"{dataset_name}: training diverged at epoch {epoch + 1}: the loss is {loss} "
            f"(validation {val_loss}); lower lr_start"
        )


class TrainingUnavailableError(NN2CRNError):
    """PyTorch (the ``train`` extra) is not installed."""


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of :func:`train_network`.

    Attributes
    ----------
    hidden : tuple of int
        Widths of the hidden ReLU layers, e.g. ``(8,)`` for 4-8-3 on IRIS.
    weights : {"binary", "ternary", "int:K"}
        ``int:K``: weights k/K, k in -K..K, which compile to coefficients up to K.
    conv : tuple of int
        Output channels of convolution blocks (conv `kernel` x `kernel`, zero
        padding to keep the size, ReLU, max-pool `pool`) before the dense
        layers, on square single-channel images. Empty for an MLP.
    kernel, pool : int
        Convolution kernel and max-pool sizes of the `conv` blocks.
    shift : int
        Data augmentation for CNNs: each training image of each batch is moved
        by a random whole number of pixels in -shift..shift along each axis (the
        pixels moved in are background, raw value 0). 0 = none.
    layer_scale : bool
        Module-trained networks: a learned positive scale per quantized layer
        (initially ``1 / sqrt(fan_in)``), with the bias added after it, so that
        every layer's pre-activations stay of order one. Exported networks fold
        the scales into the biases (ReLU and max-pooling commute with positive
        factors): only the outputs come out divided by the product of the scales,
        which leaves the argmax alone. Without it only the logits are scaled, by
        a fixed ``1 / sqrt(fan_in)``.
    schedule : {"exponential", "cosine"}
        Learning rate from `lr_start` to `lr_end`: exponential decay, or a
        half cosine (stays high longer, then falls steeply).
    threshold : float
        Ternarization threshold on the shadow weights (ignored for binary).
    epochs, batch_size : int
    lr_start, lr_end : float
        Learning rate of the first and the last epoch; exponential in between.
    seed : int
        Seeds initialization, shuffling and dropout.
    dropout_input, dropout_hidden : float
        Dropout probabilities (0 = none).
    loss : {"hinge", "xent"}
        Squared hinge on ±1 targets, or softmax cross-entropy.
    glorot_lr : bool
        Scale the quantized weights' learning rate by ``1 / sqrt(1.5 / (fan_in + fan_out))``.
    threads : int
        torch intra-op threads while training (1 is fastest for these small networks).
    """

    hidden: tuple[int, ...] = (8,)
    weights: str = "binary"
    threshold: float = 0.15
    epochs: int = 200
    batch_size: int = 16
    lr_start: float = 0.01
    lr_end: float = 3e-5
    seed: int = 0
    dropout_input: float = 0.0
    dropout_hidden: float = 0.0
    loss: str = "hinge"
    glorot_lr: bool = True
    threads: int = 1
    conv: tuple[int, ...] = ()
    kernel: int = 3
    pool: int = 2
    shift: int = 0
    schedule: str = "exponential"
    layer_scale: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(width) for width in self.hidden))
        object.__setattr__(self, "conv", tuple(int(width) for width in self.conv))
        problems = []
        if any(width < 1 for width in self.conv) or self.kernel < 1 or self.pool < 1:
            problems.append(
                f"conv channels, kernel and pool must be >= 1, got {self.conv}, {self.kernel}, {self.pool}"
            )
        if any(width < 1 for width in self.hidden):
            problems.append(f"hidden widths must be >= 1, got {self.hidden}")
        if self.weights not in ("binary", "ternary") and self.levels is None:
            problems.append(f"weights must be binary, ternary or int:K (K >= 1), got {self.weights!r}")
        if not 0 <= self.threshold < 1:
            problems.append(f"threshold must be in [0, 1), got {self.threshold}")
        if self.epochs < 1 or self.batch_size < 1 or self.threads < 1:
            problems.append("epochs, batch_size and threads must be >= 1")
        if not (self.lr_start > 0 and self.lr_end > 0):
            problems.append("lr_start and lr_end must be > 0")
        if not (0 <= self.dropout_input < 1 and 0 <= self.dropout_hidden < 1):
            problems.append("dropout probabilities must be in [0, 1)")
        if self.loss not in LOSSES:
            problems.append(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.shift < 0 or (self.shift and not self.conv):
            problems.append(f"shift must be >= 0, and is for conv networks only, got {self.shift}")
        if self.layer_scale and not self.uses_modules:
            problems.append("layer_scale is for conv and int:K networks only")
        if self.schedule not in SCHEDULES:
            problems.append(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if problems:
            raise ModelFileError("; ".join(problems))

    @property
    def levels(self) -> int | None:
        """K of ``int:K`` weights, else None."""
        kind, _, count = self.weights.partition(":")
        if kind == "int" and count.isdigit() and int(count) >= 1:
            return int(count)
        return None

    @property
    def uses_modules(self) -> bool:
        """Trained as an ``nn2crn.torch`` module stack (CNNs and int:K), not the flat BinaryConnect MLP."""
        return bool(self.conv) or self.levels is not None

    def learning_rate(self, epoch: int) -> float:
        """Learning rate of `epoch` (0-based), from `lr_start` at 0 to `lr_end` at ``epochs - 1``.

        Exponential: ``lr_start * (lr_end / lr_start) ** t``; cosine:
        ``lr_end + (lr_start - lr_end) * (1 + cos(pi t)) / 2``, with ``t = epoch / (epochs - 1)``.
        """
        if self.epochs == 1:
            return self.lr_start
        progress = epoch / (self.epochs - 1)
        if self.schedule == "cosine":
            return self.lr_end + (self.lr_start - self.lr_end) * (1 + math.cos(math.pi * progress)) / 2
        return self.lr_start * (self.lr_end / self.lr_start) ** progress


@dataclass(frozen=True)
class EpochRecord:
    """Progress of one epoch: mean training loss, accuracies (eval mode) and learning rate."""

    epoch: int
    loss: float
    train_accuracy: float
    val_accuracy: float
    val_loss: float
    learning_rate: float
    is_best: bool


@dataclass(frozen=True, eq=False)
class TrainResult:
    """What :func:`train_network` returns.

    Attributes
    ----------
    network : Network
        Quantized weights of the best epoch, real biases, input transform, names
        and the ``training`` record.
    model : torch.nn.Module
        The PyTorch model with the best epoch's parameters, in eval mode; its
        ``forward`` takes standardized inputs of shape (n_batch, n_inputs).
    history : tuple of EpochRecord
    best_epoch : int
        0-based.
    accuracies : dict
        ``{"train", "val", "test"}`` accuracy of `network` (numpy forward pass).
    seconds : float
        Wall time of the training loop.
    counts : dict
        ``{"train": (correct, n_examples), ...}`` of `network`.
    """

    network: Network
    model: Any
    history: tuple[EpochRecord, ...]
    best_epoch: int
    accuracies: dict[str, float]
    seconds: float
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)


def _torch():
    try:
        import torch
    except ImportError:
        raise TrainingUnavailableError(
            "training needs PyTorch; install it with: pip install 'nn2crn[train]'"
        ) from None
    return torch


def _build_model(torch, n_inputs: int, n_outputs: int, config: TrainConfig, generator):
    """The BinaryConnect MLP: quantized weights in the forward pass, straight-through backward.

    All shadow weights and biases live in one flat float64 parameter ``theta``
    (layer by layer: weight, then bias), so that one vectorized Adam step updates
    everything; per-layer views give the weights.
    """
    from .torch import ternarize

    threshold = config.threshold if config.weights == "ternary" else None

    class BinaryConnectMLP(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.widths = (n_inputs, *config.hidden, n_outputs)
            pieces, scales, is_weight, self.slices = [], [], [], []
            offset = 0
            for n_in, n_out in zip(self.widths[:-1], self.widths[1:], strict=True):
                shadow = torch.rand(n_out * n_in, generator=generator, dtype=torch.float64) * 2 - 1
                pieces += [shadow, torch.zeros(n_out, dtype=torch.float64)]
                scale = 1.0 / math.sqrt(1.5 / (n_in + n_out)) if config.glorot_lr else 1.0
                scales += [torch.full((n_out * n_in,), scale), torch.ones(n_out)]
                is_weight += [
                    torch.ones(n_out * n_in, dtype=torch.bool),
                    torch.zeros(n_out, dtype=torch.bool),
                ]
                self.slices.append(
                    (offset, offset + n_out * n_in, offset + n_out * n_in + n_out, n_out, n_in)
                )
                offset += n_out * n_in + n_out
            self.theta = torch.nn.Parameter(torch.cat(pieces))
            self.register_buffer("lr_scale", torch.cat(scales).to(torch.float64))
            self.register_buffer("is_weight", torch.cat(is_weight))

        @property
        def n_layers(self) -> int:
            return len(self.slices)

        def shadow_weight(self, index: int):
            """Real-valued weight of layer `index`, shape (n_out, n_in) (a view of ``theta``)."""
            start, stop, _, n_out, n_in = self.slices[index]
            return self.theta[start:stop].view(n_out, n_in)

        def bias(self, index: int):
            _, start, stop, _, _ = self.slices[index]
            return self.theta[start:stop]

        def quantized_weight(self, index: int):
            return ternarize(self.shadow_weight(index), threshold)

        def forward(self, x):
            if self.training and config.dropout_input:
                x = torch.nn.functional.dropout(x, config.dropout_input)
            for index in range(self.n_layers):
                x = torch.nn.functional.linear(x, self.quantized_weight(index), self.bias(index))
                if index < self.n_layers - 1:
                    x = torch.relu(x)
                    if self.training and config.dropout_hidden:
                        x = torch.nn.functional.dropout(x, config.dropout_hidden)
            return x

    return BinaryConnectMLP()


def _build_module_model(torch, n_inputs: int, n_outputs: int, config: TrainConfig):
    """CNN or int:K MLP from the ``nn2crn.torch`` modules; returns (model, input_shape)."""
    from .torch import IntConv2d, IntLinear, TernaryConv2d, TernaryLinear

    threshold = config.threshold if config.weights == "ternary" else None

    bias = not config.layer_scale  # with layer scales the bias comes after the scale

    def scaled(layer, n_out: int, fan_in: int, n_spatial_axes: int) -> list:
        if not config.layer_scale:
            return [layer]
        return [layer, _LayerScale(torch, n_out, 1.0 / math.sqrt(fan_in), n_spatial_axes)]

    def dense(n_in: int, n_out: int) -> list:
        if config.levels is not None:
            layer: Any = IntLinear(n_in, n_out, levels=config.levels, bias=bias)
        else:
            layer = TernaryLinear(n_in, n_out, threshold=threshold, bias=bias)
        return scaled(layer, n_out, n_in, 0)

    def conv(n_in: int, n_out: int) -> list:
        padding = config.kernel // 2
        if config.levels is not None:
            layer: Any = IntConv2d(
                n_in, n_out, config.kernel, levels=config.levels, padding=padding, bias=bias
            )
        else:
            layer = TernaryConv2d(n_in, n_out, config.kernel, threshold=threshold, padding=padding, bias=bias)
        return scaled(layer, n_out, n_in * config.kernel**2, 2)

    modules: list = []
    input_shape: tuple[int, ...] = (n_inputs,)
    if config.conv:
        side = math.isqrt(n_inputs)
        if side * side != n_inputs:
            raise DatasetError(f"conv layers need square images, but there are {n_inputs} features")
        input_shape = (1, side, side)
        modules.append(torch.nn.Unflatten(1, input_shape))
        channels = 1
        for width in config.conv:
            modules += [*conv(channels, width), torch.nn.ReLU(), torch.nn.MaxPool2d(config.pool)]
            channels, side = width, side // config.pool
        modules.append(torch.nn.Flatten())
        n_features = channels * side * side
    else:
        n_features = n_inputs
    for width in config.hidden:
        modules += [*dense(n_features, width), torch.nn.ReLU()]
        if config.dropout_hidden:
            modules.append(torch.nn.Dropout(config.dropout_hidden))
        n_features = width
    modules += dense(n_features, n_outputs)
    if not config.layer_scale:
        # Quantized weights make logits of order sqrt(fan_in) or more, which saturates the loss.
        # A fixed positive factor on the logits does not change the argmax, and is left out
        # of the exported network.
        modules.append(_LogitScale(torch, 1.0 / math.sqrt(n_features)))
    return torch.nn.Sequential(*modules), input_shape


def _LayerScale(torch, n_channels: int, initial: float, n_spatial_axes: int):  # noqa: N802 - lazy torch
    """``exp(log_scale) * x + bias``: a learned positive scale and a bias per output channel."""

    class LayerScale(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.log_scale = torch.nn.Parameter(torch.tensor(math.log(initial)))
            self.bias = torch.nn.Parameter(torch.zeros(n_channels))
            self.bias_shape = (n_channels,) + (1,) * n_spatial_axes

        @property
        def scale(self) -> float:
            return float(torch.exp(self.log_scale.detach().double()))

        def forward(self, x):
            return torch.exp(self.log_scale) * x + self.bias.view(self.bias_shape)

    return LayerScale()


def _export_module_model(torch, model, input_shape: tuple[int, ...]) -> Network:
    """The :class:`Network` computing `model` up to a positive factor on the outputs.

    Training-only scales are left out: the logit scale, and the layer scales
    folded into the biases. With layer scales s_1..s_l up to layer l, the
    trained layer computes ``y_l = s_l W y_(l-1) + b_l``, so ``z_l = y_l / (s_1 ... s_l)``
    obeys ``z_l = W z_(l-1) + b_l / (s_1 ... s_l)``: integer weights, rescaled
    biases, and ReLU and max-pooling commute with the positive factors.
    """
    from .torch import from_torch

    training_only = ("LayerScale", "LogitScale")
    kept = [module for module in model if type(module).__name__ not in training_only]
    network = from_torch(torch.nn.Sequential(*kept), input_shape=input_shape)
    layer_scales = [module for module in model if type(module).__name__ == "LayerScale"]
    if not layer_scales:
        return network
    weighted = [index for index, layer in enumerate(network.layers) if hasattr(layer, "weight")]
    layers = list(network.layers)
    product = 1.0
    for index, layer_scale in zip(weighted, layer_scales, strict=True):
        product *= layer_scale.scale
        bias = layer_scale.bias.detach().double().numpy() / product
        layers[index] = dataclasses.replace(layers[index], bias=bias)
    return Network(tuple(layers), (), (), None, {}, network.input_shape)


def _LogitScale(torch, factor: float):  # noqa: N802 - builds a module class lazily (torch is optional)
    class LogitScale(torch.nn.Module):
        def forward(self, x):
            return x * factor

    return LogitScale()


def _shift_images(torch, inputs, shift: int, background: float, generator):
    """Each flattened square image of `inputs` moved by its own random offset in -shift..shift per axis.

    Pixels moved in take the value `background`. One gather for the whole batch:
    the images are padded by `shift` on every side and each is cropped at its offset.
    """
    n_images, n_pixels = inputs.shape
    side = math.isqrt(n_pixels)
    images = inputs.view(n_images, side, side)
    padded = torch.nn.functional.pad(images, (shift,) * 4, value=background)
    offsets = torch.randint(0, 2 * shift + 1, (2, n_images, 1), generator=generator)
    positions = torch.arange(side)
    rows = (positions + offsets[0])[:, :, None]  # (n_images, side, 1)
    columns = (positions + offsets[1])[:, None, :]  # (n_images, 1, side)
    shifted = padded[torch.arange(n_images)[:, None, None], rows, columns]
    return shifted.reshape(n_images, n_pixels)


def _train_modules(
    torch,
    model,
    config: TrainConfig,
    data,
    loss_function,
    callback,
    dataset_name: str,
    background: float = 0.0,
):
    """Adam on the shadow weights (Glorot-scaled rates), clipping after each step; best epoch by validation.

    `background` is the standardized value of a blank pixel, for the `shift` augmentation.
    """
    from .torch import _Quantized, clip_shadow_weights

    x_train, y_train, x_val, y_val = data
    groups = []
    for module in model.modules():
        if isinstance(module, _Quantized):
            weight = module.weight
            fan_out = weight.shape[0] * int(np.prod(weight.shape[2:]))
            fan_in = int(np.prod(weight.shape[1:]))
            scale = 1.0 / math.sqrt(1.5 / (fan_in + fan_out)) if config.glorot_lr else 1.0
            groups.append({"params": [weight], "scale": scale})
            bias = getattr(module, "bias", None)  # _Quantized is a mixin: the torch base owns bias
            if bias is not None:
                groups.append({"params": [bias], "scale": 1.0})
        elif hasattr(module, "log_scale"):
            groups.append({"params": [module.log_scale, module.bias], "scale": 1.0})
    optimizer = torch.optim.Adam(groups, lr=config.lr_start)
    generator = torch.Generator().manual_seed(config.seed)
    history: list[EpochRecord] = []
    best_key = None
    best_state = {key: value.clone() for key, value in model.state_dict().items()}
    best_epoch = 0
    n_train = len(y_train)

    def accuracy_and_outputs(x, y):
        outputs = torch.cat([model(x[first : first + 2048]) for first in range(0, len(x), 2048)])
        return float((outputs.argmax(1) == y).double().mean()), outputs

    for epoch in range(config.epochs):
        rate = config.learning_rate(epoch)
        for group in optimizer.param_groups:
            group["lr"] = rate * group["scale"]
        model.train()
        order = torch.randperm(n_train, generator=generator)
        total = 0.0
        for first in range(0, n_train, config.batch_size):
            batch = order[first : first + config.batch_size]
            inputs = x_train[batch]
            if config.shift:
                inputs = _shift_images(torch, inputs, config.shift, background, generator)
            if config.dropout_input:
                inputs = torch.nn.functional.dropout(inputs, config.dropout_input)
            loss = loss_function(model(inputs), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            clip_shadow_weights(model)
            total += float(loss.detach()) * len(batch)
        model.eval()
        with torch.no_grad():
            train_accuracy, _ = accuracy_and_outputs(x_train, y_train)
            val_accuracy, val_outputs = accuracy_and_outputs(x_val, y_val)
            val_loss = float(loss_function(val_outputs, y_val))
        key = (val_accuracy, train_accuracy, -val_loss)
        is_best = best_key is None or key > best_key
        if is_best:
            best_key, best_epoch = key, epoch
            best_state = {name: value.clone() for name, value in model.state_dict().items()}
        _refuse_divergence(dataset_name, epoch, total / n_train, val_loss)
        record = EpochRecord(epoch, total / n_train, train_accuracy, val_accuracy, val_loss, rate, is_best)
        history.append(record)
        if callback is not None:
            callback(record)
    model.load_state_dict(best_state)
    model.eval()
    return history, best_epoch


class _Adam:
    """Adam (Kingma & Ba; PyTorch's defaults) on one flat tensor, with per-element learning-rate scales.

    Equivalent to ``torch.optim.Adam`` with one parameter group per scale, in a
    handful of vectorized operations per step; shadow weights are clipped to
    [-1, 1] after each step.
    """

    def __init__(self, torch, model, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.model, self.betas, self.eps = model, betas, eps
        self.first = torch.zeros_like(model.theta)
        self.second = torch.zeros_like(model.theta)
        self.steps = 0

    def step(self, rate: float) -> None:
        theta, gradient = self.model.theta.data, self.model.theta.grad
        beta1, beta2 = self.betas
        self.steps += 1
        self.first.mul_(beta1).add_(gradient, alpha=1 - beta1)
        self.second.mul_(beta2).addcmul_(gradient, gradient, value=1 - beta2)
        step_size = rate / (1 - beta1**self.steps)
        denominator = (self.second / (1 - beta2**self.steps)).sqrt_().add_(self.eps)
        theta.addcdiv_(self.first * self.model.lr_scale, denominator, value=-step_size)
        clipped = theta.clamp(-1.0, 1.0)
        theta.copy_(clipped.where(self.model.is_weight, theta))
        self.model.theta.grad = None


def _loss_function(torch, kind: str, n_classes: int):
    if kind == "xent":
        return torch.nn.functional.cross_entropy

    def squared_hinge(outputs, labels):
        targets = 2.0 * torch.nn.functional.one_hot(labels, n_classes).to(outputs.dtype) - 1.0
        return torch.clamp(1.0 - targets * outputs, min=0.0).pow(2).mean()

    return squared_hinge


def _versions(torch) -> dict[str, str]:
    import sklearn

    from .._version import __version__

    return {
        "nn2crn": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "python": platform.python_version(),
    }


def weight_counts(network: Network) -> dict[str, int]:
    """How many weights of `network` take each value: ``{"-1": n, "0": n, "+1": n}`` for ternary ones."""
    weights = np.concatenate([layer.weight.ravel() for layer in network.layers if hasattr(layer, "weight")])
    values, counts = np.unique(weights, return_counts=True)
    return {
        (f"{value:+g}" if value else "0"): int(count) for value, count in zip(values, counts, strict=True)
    }


def train_network(
    dataset: Dataset,
    config: TrainConfig = TrainConfig(),  # noqa: B008 - frozen, so a shared default is safe
    *,
    callback: Callable[[EpochRecord], None] | None = None,
    extra_record: dict[str, Any] | None = None,
) -> TrainResult:
    """Train a binary/ternary-weight ReLU network on `dataset` (BinaryConnect).

    Parameters
    ----------
    dataset : Dataset
        Raw features; the standardization is fitted on ``dataset.train``.
    config : TrainConfig
    callback : callable, optional
        Called with an :class:`EpochRecord` after every epoch (progress bars).
    extra_record : dict, optional
        Merged into the network's ``training`` record (e.g. the CLI command).

    Returns
    -------
    TrainResult
        Same dataset, config and machine give the same network.

    Raises
    ------
    TrainingUnavailableError
        If PyTorch is not installed.
    """
    torch = _torch()
    from sklearn.preprocessing import StandardScaler

    if dataset.train.n_examples == 0:
        raise DatasetError(f"{dataset.name}: the training split is empty; there is nothing to train on")

    # StandardScaler quietly replaces an overflowed variance by 1; find it first.
    with np.errstate(over="ignore", invalid="ignore"):
        spread = np.var(dataset.x_train, axis=0)
    if not np.isfinite(spread).all():
        raise DatasetError(
            f"{dataset.name}: the features are too large to standardize (their mean or spread overflows); "
            f"rescale them"
        )
    scaler = StandardScaler().fit(dataset.x_train)
    transform = InputTransform(scaler.mean_, scaler.scale_)
    if config.conv:
        # One mean and scale for all pixels: a convolution sees the same units everywhere.
        pixels = dataset.x_train
        transform = InputTransform(
            np.full(dataset.n_features, pixels.mean()), np.full(dataset.n_features, pixels.std() or 1.0)
        )
    tensors = {
        name: (torch.tensor(transform.apply(split.x)), torch.tensor(split.y))
        for name, split in dataset.splits().items()
    }
    x_train, y_train = tensors["train"]
    x_val, y_val = (
        tensors["val"] if dataset.val.n_examples else tensors["train"]
    )  # no validation: select on train
    n_train = len(y_train)
    loss_function = _loss_function(torch, config.loss, dataset.n_classes)

    saved_threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    history: list[EpochRecord] = []
    start = time.perf_counter()
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            generator = torch.Generator().manual_seed(config.seed)
            if config.uses_modules:
                # float32: convolutions train about twice as fast, and the exported network
                # (quantized weights, float32 biases) is exact in float64 all the same.
                model, input_shape = _build_module_model(torch, dataset.n_features, dataset.n_classes, config)
                data = (x_train.float(), y_train, x_val.float(), y_val)
                blank = float(transform.apply(np.zeros((1, dataset.n_features)))[0, 0])
                history, best_epoch = _train_modules(
                    torch, model, config, data, loss_function, callback, dataset.name, blank
                )
            else:
                model = _build_model(torch, dataset.n_features, dataset.n_classes, config, generator)
                optimizer = _Adam(torch, model)
                best_key: tuple[float, float, float] | None = None
                best_theta = model.theta.detach().clone()
                best_epoch = 0
                for epoch in range(config.epochs):
                    rate = config.learning_rate(epoch)
                    model.train()
                    order = torch.randperm(n_train, generator=generator)
                    total = torch.zeros((), dtype=torch.float64)
                    for first in range(0, n_train, config.batch_size):
                        batch = order[first : first + config.batch_size]
                        loss = loss_function(model(x_train[batch]), y_train[batch])
                        loss.backward()
                        optimizer.step(rate)
                        total += loss.detach() * len(batch)
                    model.eval()
                    with torch.no_grad():
                        train_accuracy = float((model(x_train).argmax(1) == y_train).double().mean())
                        val_outputs = model(x_val)
                        val_accuracy = float((val_outputs.argmax(1) == y_val).double().mean())
                        val_loss = float(loss_function(val_outputs, y_val))
                    score = (val_accuracy, train_accuracy, -val_loss)
                    is_best = best_key is None or score > best_key
                    if is_best:
                        best_key, best_epoch = score, epoch
                        best_theta = model.theta.detach().clone()
                    _refuse_divergence(dataset.name, epoch, float(total) / n_train, val_loss)
                    epoch_record = EpochRecord(
                        epoch, float(total) / n_train, train_accuracy, val_accuracy, val_loss, rate, is_best
                    )
                    history.append(epoch_record)
                    if callback is not None:
                        callback(epoch_record)
    finally:
        torch.set_num_threads(saved_threads)
    seconds = time.perf_counter() - start
    if config.uses_modules:
        network = _export_module_model(torch, model, input_shape)
        network = Network(
            network.layers, dataset.feature_names, dataset.class_names, transform, {}, network.input_shape
        )
    else:
        with torch.no_grad():
            model.theta.copy_(best_theta)
        model.eval()
        layers = []
        with torch.no_grad():
            for index in range(model.n_layers):
                activation = Activation("linear" if index == model.n_layers - 1 else "relu")
                layers.append(
                    Layer(model.quantized_weight(index).numpy(), model.bias(index).numpy(), activation)
                )
        network = Network(tuple(layers), dataset.feature_names, dataset.class_names, transform)
    counts = {}
    for name, split in dataset.splits().items():
        correct = int((network.predict(split.x) == split.y).sum()) if split.n_examples else 0
        counts[name] = (correct, split.n_examples)
    accuracies = {name: (correct / n if n else math.nan) for name, (correct, n) in counts.items()}
    record: dict[str, Any] = {
        "dataset": {
            "name": dataset.name,
            "options": dataset.options,
            "source": dataset.source,
            "split_sizes": dataset.split_sizes,
        },
        "hyperparameters": {
            key: value for key, value in asdict(config).items() if key not in ("seed", "threads")
        },
        "seed": config.seed,
        "best_epoch": best_epoch + 1,
        "accuracy": {
            name: None if math.isnan(value) else round(value, 6) for name, value in accuracies.items()
        },
        "correct": {name: f"{correct}/{n}" for name, (correct, n) in counts.items()},
        "weight_counts": weight_counts(network),
        "versions": _versions(torch),
    }
    record["hyperparameters"]["hidden"] = list(config.hidden)
    if config.conv:
        record["hyperparameters"]["conv"] = list(config.conv)
    else:
        for key in ("conv", "kernel", "pool"):
            del record["hyperparameters"][key]
    # Recorded only when used, so that the records of models trained before these settings stay valid.
    for key in ("shift", "schedule", "layer_scale"):
        if record["hyperparameters"][key] == TrainConfig.__dataclass_fields__[key].default:
            del record["hyperparameters"][key]
    if config.weights == "binary":
        del record["hyperparameters"]["threshold"]
    if extra_record:
        record.update(extra_record)
    network = Network(
        network.layers, network.input_names, network.output_names, transform, record, network.input_shape
    )
    return TrainResult(network, model, tuple(history), best_epoch, accuracies, seconds, counts)
