"""The one codec of dataset options: loader keywords, the recorded description and train flags.

A dataset option appears in three spellings:

- the loader keyword of :func:`nn2crn.datasets.load_dataset` (``downscale_to_14=False``);
- the description a loaded :class:`~nn2crn.datasets.base.Dataset` records in
  ``Dataset.options`` and a model file keeps in ``training["dataset"]["options"]``
  (``image_size: 28``);
- the ``nn2crn train`` flag that sets it (``--image-size 28``).

:data:`OPTIONS` lists every option once with all three, so that the loaders'
checks, reading a model's record back, the train command and the commands
that regenerate the shipped models cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .._errors import DatasetError


@dataclass(frozen=True)
class DatasetOption:
    """One loader option and its other spellings.

    Attributes
    ----------
    name : str
        Keyword of the loader.
    datasets : tuple of str
        Datasets whose loader takes it.
    record_key : str or None
        Key in ``Dataset.options`` that records it; None if it is not recorded
        (it does not change the data, e.g. ``download``).
    flag : str or None
        The ``nn2crn train`` flag; None if the command sets it otherwise.
    """

    name: str
    datasets: tuple[str, ...]
    record_key: str | None
    flag: str | None


OPTIONS: tuple[DatasetOption, ...] = (
    DatasetOption("path", ("csv",), "path", None),
    DatasetOption("label", ("csv",), "label", "--label"),
    DatasetOption("split", ("iris", "csv"), "split", "--split"),
    DatasetOption("split_seed", ("iris", "csv"), "split_seed", None),
    DatasetOption("fractions", ("csv",), "fractions", None),
    DatasetOption("source", ("mnist",), "source", "--mnist-source"),
    DatasetOption("data_dir", ("virus", "mnist"), "data_dir", "--data-dir"),
    DatasetOption("downscale_to_14", ("mnist",), "image_size", "--image-size"),
    DatasetOption("download", ("mnist",), None, "--no-download"),
    DatasetOption("progress", ("mnist",), None, None),
)

_BY_NAME = {option.name: option for option in OPTIONS}
_BY_RECORD_KEY = {option.record_key: option for option in OPTIONS if option.record_key is not None}
_BY_FLAG = {option.flag: option for option in OPTIONS if option.flag is not None}


def accepted_options(dataset: str) -> tuple[str, ...]:
    """Loader keywords that `dataset` (``iris``, ``virus``, ``mnist``, ``csv``) takes, in a fixed order."""
    return tuple(option.name for option in OPTIONS if dataset in option.datasets)


def check_options(dataset: str, options: Mapping[str, object]) -> None:
    """Refuse a keyword the loader of `dataset` does not take.

    Raises
    ------
    DatasetError
        Names the first unknown option and lists the accepted ones.
    """
    accepted = accepted_options(dataset)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise DatasetError(
            f"{dataset}: unknown option {unknown[0]!r}; {dataset} accepts {', '.join(accepted)}"
        )


def option_for_flag(flag: str) -> DatasetOption:
    """The option that the ``nn2crn train`` flag `flag` sets (a programming error if there is none)."""
    return _BY_FLAG[flag]


def options_from_record(dataset: str, record: Mapping[str, object]) -> dict[str, object]:
    """Loader keywords from a recorded ``Dataset.options`` description.

    Keys that `dataset`'s loader does not take are dropped: a model file may
    record descriptions (e.g. the resolved MNIST ``source``) from another
    version, and the data must still load.

    Examples
    --------
    >>> options_from_record("mnist", {"source": "sample", "image_size": 28})
    {'source': 'sample', 'downscale_to_14': False}
    """
    options: dict[str, object] = {}
    for key, value in record.items():
        option = _BY_RECORD_KEY.get(key)
        if option is None or dataset not in option.datasets:
            continue
        options[option.name] = value == 14 if option.name == "downscale_to_14" else value
    return options


def option_flags(options: Mapping[str, object]) -> tuple[str, ...]:
    """The ``nn2crn train`` arguments that give the loader keywords `options`, in their order.

    Examples
    --------
    >>> option_flags({"source": "sample", "download": False})
    ('--mnist-source sample', '--no-download')
    """
    arguments = []
    for name, value in options.items():
        option = _BY_NAME[name]
        if option.name == "download":
            if not value:
                arguments.append("--no-download")
        elif option.name == "downscale_to_14":
            arguments.append(f"--image-size {14 if value else 28}")
        elif option.flag is not None:
            arguments.append(f"{option.flag} {value}")
    return tuple(arguments)
