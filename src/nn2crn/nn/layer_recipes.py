"""Training runs of the shipped CNN and integer-weight models (issue 11).

A separate record so that it can move into the run registry as is. Each
recipe's :meth:`command` is the ``nn2crn train`` line that regenerates the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from .shipped import Recipe
from .train import TrainConfig


@dataclass(frozen=True)
class LayerRecipe(Recipe):
    """A :class:`Recipe` whose command also gives the convolution blocks."""

    def command(self) -> str:
        parts = super().command().split(" -o ")
        conv = "".join(f" --conv {width}" for width in self.config.conv)
        if self.config.conv:
            conv += f" --kernel {self.config.kernel} --pool {self.config.pool}"
        return parts[0] + conv + " -o " + parts[1]


_MNIST = {"source": "sample", "download": False}

LAYER_RECIPES: tuple[LayerRecipe, ...] = (
    LayerRecipe(
        "mnist-14x14-conv8-ternary",
        "mnist",
        _MNIST,
        TrainConfig(
            hidden=(),
            conv=(8,),
            weights="ternary",
            threshold=0.35,
            epochs=25,
            batch_size=64,
            lr_start=0.003,
            lr_end=3e-5,
            loss="xent",
            seed=0,
        ),
        "issue 11 goal: >= 97% on the 1,000 sample test digits (dense 196-64-10 ternary: 93.6%)",
        0.97,
        "test",
        900.0,
    ),
    LayerRecipe(
        "mnist-196-64-10-int3",
        "mnist",
        _MNIST,
        TrainConfig(
            hidden=(64,),
            weights="int:3",
            epochs=150,
            batch_size=64,
            lr_start=0.003,
            lr_end=3e-5,
            loss="xent",
            seed=1,
        ),
        "ternary 196-64-10: 936/1000",
        0.936,
        "test",
        1200.0,
    ),
)
