"""Pretrained models shipped in the package (``nn2crn/models/*.json``).

See ``nn2crn/models/README.md`` for the command that regenerates each one and
its accuracies.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from .._errors import ModelFileError
from .network import Network, network_from_dict
from .train import TrainConfig


def _folder() -> Traversable:
    return resources.files("nn2crn").joinpath("models")


def shipped_model_names() -> tuple[str, ...]:
    """Names of the shipped models, e.g. ``("iris-4-3-3-ternary", "iris-4-8-3-binary", ...)``, sorted."""
    folder = _folder()
    if not folder.is_dir():
        return ()
    return tuple(
        sorted(entry.name[: -len(".json")] for entry in folder.iterdir() if entry.name.endswith(".json"))
    )


def shipped_model_path(name: str) -> Traversable:
    """The packaged model file `name` (with or without ``.json``).

    Returns
    -------
    importlib.resources.abc.Traversable
        A path-like resource; ``str()`` of it is a file path for a normal install.
        Use ``importlib.resources.as_file`` if you need a real file.

    Raises
    ------
    ModelFileError
        If there is no such shipped model (the message lists the names).
    """
    stem = name[: -len(".json")] if name.endswith(".json") else name
    path = _folder().joinpath(stem + ".json")
    if not path.is_file():
        raise ModelFileError(
            f"no shipped model {name!r}; the shipped models are {', '.join(shipped_model_names()) or 'none'}"
        )
    return path


def load_shipped_model(name: str) -> Network:
    """Load a shipped model by name, e.g. ``load_shipped_model("iris-4-8-3-binary")``."""
    import json

    path = shipped_model_path(name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ModelFileError(f"shipped model {name}: not valid JSON ({error}); reinstall nn2crn") from None
    return network_from_dict(data, source=f"shipped model {name}")


# ---------------------------------------------------------------------------
# How each shipped model was trained (also used by benchmarks/bench_train.py)


@dataclass(frozen=True)
class Recipe:
    """The training run that produced a shipped model.

    Attributes
    ----------
    name : str
        Model name, e.g. ``"iris-4-8-3-binary"``.
    dataset : str
    dataset_options : dict
        Options of :func:`nn2crn.datasets.load_dataset`.
    config : TrainConfig
    reference : str
        The authors' result for this setting (``docs``: PAPER.md).
    goal : float
        Accuracy goal on `goal_split`.
    goal_split : str
    seconds_goal : float
        Training-time goal on a 2-core CPU.
    """

    name: str
    dataset: str
    dataset_options: dict[str, Any]
    config: TrainConfig
    reference: str
    goal: float
    goal_split: str
    seconds_goal: float

    def command(self) -> str:
        """The ``nn2crn train`` command line that regenerates the model."""
        config = self.config
        parts = ["nn2crn", "train", self.dataset]
        parts += [f"--hidden {width}" for width in config.hidden]
        parts.append(f"--weights {config.weights}")
        if config.weights == "ternary":
            parts.append(f"--threshold {config.threshold:g}")
        parts += [
            f"--epochs {config.epochs}",
            f"--batch-size {config.batch_size}",
            f"--lr-start {config.lr_start:g}",
            f"--lr-end {config.lr_end:g}",
        ]
        if config.dropout_input:
            parts.append(f"--dropout-input {config.dropout_input:g}")
        if config.dropout_hidden:
            parts.append(f"--dropout-hidden {config.dropout_hidden:g}")
        if config.loss != "hinge":
            parts.append(f"--loss {config.loss}")
        if not config.glorot_lr:
            parts.append("--no-glorot-lr")
        parts.append(f"--seed {config.seed}")
        flags = {"split": "--split", "source": "--mnist-source"}
        for key, value in self.dataset_options.items():
            if key == "download":
                if not value:
                    parts.append("--no-download")
            elif key == "downscale_to_14":
                parts.append(f"--image-size {14 if value else 28}")
            else:
                parts.append(f"{flags[key]} {value}")
        parts.append(f"-o {self.name}.json")
        return " ".join(parts)


RECIPES: tuple[Recipe, ...] = (
    Recipe(
        "iris-4-8-3-binary",
        "iris",
        {"split": "all"},
        TrainConfig(
            hidden=(8,), weights="binary", epochs=1000, batch_size=16, lr_start=0.003, lr_end=3e-4, seed=2
        ),
        "141/150 = 94.0% (ICML 2020)",
        0.95,
        "test",
        60.0,
    ),
    Recipe(
        "iris-4-3-3-ternary",
        "iris",
        {"split": "all"},
        TrainConfig(
            hidden=(3,),
            weights="ternary",
            threshold=0.15,
            epochs=1000,
            batch_size=16,
            lr_start=0.02,
            lr_end=3e-4,
            seed=1,
        ),
        "147/150 = 98.0% (PNAS 2022)",
        0.98,
        "test",
        60.0,
    ),
    Recipe(
        "virus-10-8-4-ternary",
        "virus",
        {},
        TrainConfig(
            hidden=(8,),
            weights="ternary",
            threshold=0.15,
            epochs=500,
            batch_size=16,
            lr_start=0.01,
            lr_end=3e-5,
            loss="xent",
            seed=6,
        ),
        "98/100 test examples",
        0.97,
        "test",
        60.0,
    ),
    Recipe(
        "mnist-196-64-10-ternary",
        "mnist",
        {"source": "sample", "download": False},
        TrainConfig(
            hidden=(64,),
            weights="ternary",
            threshold=0.35,
            epochs=300,
            batch_size=64,
            lr_start=0.003,
            lr_end=3e-5,
            loss="xent",
            seed=1,
        ),
        "93/100 test examples of full MNIST",
        0.90,
        "test",
        300.0,
    ),
)


def shipped_recipe(name: str) -> Recipe:
    """The :class:`Recipe` of shipped model `name`."""
    for recipe in RECIPES:
        if recipe.name == name:
            return recipe
    raise ModelFileError(f"no recipe for {name!r}; recipes exist for {', '.join(r.name for r in RECIPES)}")
