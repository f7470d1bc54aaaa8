"""Pretrained models shipped in the package (``nn2crn/models/*.json``).

The runs that produced them are registered in :mod:`nn2crn.nn.runs`;
``nn2crn/models/README.md`` gives the command that regenerates each one.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

from .._errors import ModelFileError
from .model_file import network_from_dict
from .network import Network


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
