"""The sweep spec: a TOML file naming a study, its model, its inputs and a parameter grid.

The file is parsed with :mod:`tomllib` and validated here, once; everything after
works on the frozen :class:`SweepSpec`. Every error names the file and the TOML
key path (``spec.toml: grid.volume[2]: ...``). The format is documented in
``docs/sweep.md``; a complete example::

    [sweep]
    study = "ssa"
    seed = 0
    chunk = 25

    [model]
    shipped = "mnist-196-64-10-ternary"

    [inputs]
    dataset = "mnist"
    split = "test"
    limit = 50
    options = { source = "sample", download = false }

    [grid]
    volume = [10, 100, 1000]
    seed = "0..9"

    [fixed]
    t_end = 50
"""

from __future__ import annotations

import itertools
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from .._errors import NN2CRNError
from .tasks import STUDIES, Parameter, Study, study_names

SECTIONS = ("sweep", "model", "inputs", "grid", "fixed")
SWEEP_KEYS = ("study", "seed", "chunk", "name")
MODEL_KEYS = ("shipped", "file", "crn")
INPUT_KEYS = ("dataset", "split", "options", "limit")
SPLITS = ("train", "val", "test", "all")
DEFAULT_CHUNK = 50
_RANGE = re.compile(r"^\s*(-?\d{1,18})\s*\.\.\s*(-?\d{1,18})\s*$")  # int64 bounds, never int('9' * 5000)
MAX_GRID_POINTS = 100_000
"""The grid's Cartesian product may have at most this many points (each is at least one task)."""


class SweepSpecError(NN2CRNError):
    """A sweep spec file is malformed; the message names the file and the TOML key path."""


@dataclass(frozen=True)
class ModelSource:
    """Where the network or CRN comes from: a shipped model name, a model JSON and/or a ``.crn`` file."""

    shipped: str | None = None
    file: Path | None = None
    crn: Path | None = None


@dataclass(frozen=True)
class InputSource:
    """The input rows: the first `limit` rows of a dataset split.

    `dataset` is a name (``iris``, ``virus``, ``mnist``) or the absolute path of a
    labelled CSV file (loaded with ``options``, e.g. ``label``).
    """

    dataset: str
    split: str = "test"
    options: tuple[tuple[str, object], ...] = ()
    limit: int | None = None


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep spec.

    Attributes
    ----------
    path : Path
        The spec file (relative paths inside it are resolved against its folder).
    study : str
        Name of the study, a key of :data:`nn2crn.sweep.studies.STUDIES`.
    seed : int
        Root of every random stream: ``SeedSequence(seed, spawn_key=...)``.
    chunk : int
        Input rows per task.
    name : str
        Label of the sweep in reports (default: the spec file's stem).
    model : ModelSource or None
    inputs : InputSource
    grid : tuple of (name, tuple of values)
        Swept parameters in file order; the points are their Cartesian product.
    fixed : tuple of (name, value)
        Every other parameter of the study, defaults filled in.
    """

    path: Path
    study: str
    seed: int
    chunk: int
    name: str
    model: ModelSource | None
    inputs: InputSource
    grid: tuple[tuple[str, tuple[object, ...]], ...]
    fixed: tuple[tuple[str, object], ...]

    @property
    def study_info(self) -> Study:
        return STUDIES[self.study]

    @property
    def grid_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.grid)

    def points(self) -> tuple[tuple[tuple[str, object], ...], ...]:
        """Every parameter point: ``((name, value), ...)`` in the study's parameter order.

        The points are the grid's Cartesian product (last grid key varying fastest),
        each completed with the fixed parameters.
        """
        order = [parameter.name for parameter in self.study_info.parameters]
        names = self.grid_names
        points = []
        for values in itertools.product(*(values for _, values in self.grid)):
            merged = dict(self.fixed)
            merged.update(zip(names, values, strict=True))
            points.append(tuple((name, merged[name]) for name in order))
        return tuple(points)


def load_spec(path: str | os.PathLike[str]) -> SweepSpec:
    """Read and validate a sweep spec file.

    Parameters
    ----------
    path : path-like
        A TOML file (see the module docstring and ``docs/sweep.md``).

    Returns
    -------
    SweepSpec

    Raises
    ------
    SweepSpecError
        Unreadable or invalid TOML, an unknown section or key, a bad value or range,
        or a file named in the spec that does not exist; the message gives the key path.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SweepSpecError(f"{path}: no such file; give a sweep spec (.toml), see docs/sweep.md") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SweepSpecError(f"{path}: cannot read ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise SweepSpecError(f"{path}: not valid TOML ({error})") from None
    except ValueError as error:  # tomllib's int(): an integer of more than 4,300 digits
        raise SweepSpecError(f"{path}: a number is too long ({str(error)[:60]}...)") from None
    return parse_spec(data, path)


def parse_spec(data: Mapping[str, object], path: Path) -> SweepSpec:
    """Validate the parsed TOML `data` of the spec file `path` (see :func:`load_spec`)."""
    fail = _Failer(path)
    _check_keys(fail, data, SECTIONS, "", "sections")
    sweep = _table(fail, data, "sweep", required=True)
    _check_keys(fail, sweep, SWEEP_KEYS, "sweep.", "keys")
    study_name = sweep.get("study")
    if study_name is None:
        fail("sweep.study", f"missing; name the study, one of {', '.join(study_names())}")
    if not isinstance(study_name, str) or study_name not in STUDIES:
        fail("sweep.study", f"unknown study {study_name!r}; choose one of {', '.join(study_names())}")
    study = STUDIES[study_name]
    seed = _integer(fail, sweep.get("seed", 0), "sweep.seed", minimum=0)
    chunk = _integer(fail, sweep.get("chunk", DEFAULT_CHUNK), "sweep.chunk", minimum=1)
    name = sweep.get("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        fail("sweep.name", f"expected a non-empty string, got {name!r}")

    model = _model(fail, data, study, path.parent)
    inputs = _inputs(fail, data, study, path.parent)

    by_name = {parameter.name: parameter for parameter in study.parameters}
    grid_table = _table(fail, data, "grid", required=False)
    fixed_table = _table(fail, data, "fixed", required=False)
    for section, table in (("grid", grid_table), ("fixed", fixed_table)):
        _check_keys(fail, table, tuple(by_name), f"{section}.", f"parameters of the {study.name} study")
    both = sorted(set(grid_table) & set(fixed_table))
    if both:
        fail(f"fixed.{both[0]}", "is also in [grid]; give each parameter in one of [grid] or [fixed]")
    grid = []
    for key, raw in grid_table.items():
        values = _grid_values(fail, raw, f"grid.{key}")
        grid.append(
            (
                key,
                tuple(by_name[key].check(value, f"grid.{key}[{i}]", fail) for i, value in enumerate(values)),
            )
        )
        if len(set(map(repr, grid[-1][1]))) != len(grid[-1][1]):
            fail(f"grid.{key}", "a value is repeated; every grid value must differ")
    n_points = 1
    for key, checked in grid:
        n_points *= len(checked)
        if n_points > MAX_GRID_POINTS:
            fail(
                f"grid.{key}",
                f"the grid has more than {MAX_GRID_POINTS:,} points (the product of its lists); "
                f"split the sweep into several specs",
            )
    fixed = []
    for parameter in study.parameters:
        if parameter.name in grid_table:
            continue
        if parameter.name in fixed_table:
            value = parameter.check(fixed_table[parameter.name], f"fixed.{parameter.name}", fail)
        elif parameter.required:
            fail(
                f"grid.{parameter.name}",
                f"missing; the {study.name} study needs {parameter.name} ({parameter.help}) in [grid] or [fixed]",
            )
        else:
            value = parameter.default
        fixed.append((parameter.name, value))
    return SweepSpec(
        path=path,
        study=study.name,
        seed=seed,
        chunk=chunk,
        name=name.strip(),
        model=model,
        inputs=inputs,
        grid=tuple(grid),
        fixed=tuple(fixed),
    )


class _Failer:
    """Raises :class:`SweepSpecError` with the file and the key path."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, key: str, message: str) -> NoReturn:
        where = f"{self.path}: {key}: " if key else f"{self.path}: "
        raise SweepSpecError(where + message)


def _check_keys(
    fail: _Failer, table: Mapping[str, object], allowed: tuple[str, ...], prefix: str, what: str
) -> None:
    for key in table:
        if key not in allowed:
            fail(f"{prefix}{key}", f"unknown key; the {what} are {', '.join(allowed)}")


def _table(fail: _Failer, data: Mapping[str, object], key: str, *, required: bool) -> dict[str, object]:
    value = data.get(key)
    if value is None:
        if required:
            fail(f"[{key}]", f"missing section; a spec starts with [{key}] naming the study")
        return {}
    if not isinstance(value, dict):
        fail(key, f"expected a table [{key}], got {type(value).__name__}")
    return value  # type: ignore[return-value]


def _integer(fail: _Failer, value: object, key: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        fail(key, f"expected an integer >= {minimum}, got {value!r}")
    return int(value)  # type: ignore[arg-type]


def _existing_file(fail: _Failer, value: object, key: str, folder: Path, hint: str) -> Path:
    if not isinstance(value, str) or not value:
        fail(key, f"expected a file name (string), got {value!r}")
    file = Path(value)  # type: ignore[arg-type]
    resolved = file if file.is_absolute() else folder / file
    if not resolved.is_file():
        fail(
            key,
            f"no such file {value!r} (looked for {resolved}; relative paths start at the spec's folder); {hint}",
        )
    return resolved


def _model(fail: _Failer, data: Mapping[str, object], study: Study, folder: Path) -> ModelSource | None:
    table = _table(fail, data, "model", required=False)
    if study.input_kind == "dataset":
        if table:
            fail("[model]", f"the {study.name} study trains its own networks; remove the [model] section")
        return None
    _check_keys(fail, table, MODEL_KEYS, "model.", "keys")
    if not table:
        fail("[model]", "missing section; give shipped = NAME, file = MODEL.json or crn = NET.crn")
    if "shipped" in table and "file" in table:
        fail("model.file", "give one of model.shipped or model.file, not both")
    shipped = table.get("shipped")
    if shipped is not None:
        from ..nn import shipped_model_names

        if not isinstance(shipped, str) or shipped.removesuffix(".json") not in shipped_model_names():
            fail(
                "model.shipped",
                f"no shipped model {shipped!r}; choose one of {', '.join(shipped_model_names())}",
            )
        shipped = shipped.removesuffix(".json")  # type: ignore[union-attr]
    file = table.get("file")
    file = _existing_file(fail, file, "model.file", folder, "give a model JSON") if file is not None else None
    crn = table.get("crn")
    crn = _existing_file(fail, crn, "model.crn", folder, "give a .crn file") if crn is not None else None
    if shipped is None and file is None and crn is None:
        fail("[model]", "give shipped = NAME, file = MODEL.json or crn = NET.crn")
    return ModelSource(shipped=shipped, file=file, crn=crn)  # type: ignore[arg-type]


def _inputs(fail: _Failer, data: Mapping[str, object], study: Study, folder: Path) -> InputSource:
    table = _table(fail, data, "inputs", required=False)
    _check_keys(fail, table, INPUT_KEYS, "inputs.", "keys")
    if "dataset" not in table:
        fail("inputs.dataset", "missing; name a dataset (iris, virus, mnist) or a labelled FILE.csv")
    dataset = table["dataset"]
    from ..datasets import dataset_names

    if not isinstance(dataset, str) or not dataset:
        fail("inputs.dataset", f"expected a dataset name or a .csv file, got {dataset!r}")
    if dataset.lower().endswith(".csv"):  # type: ignore[union-attr]
        hint = "give a CSV with a header and a label column (inputs.options.label)"
        dataset = str(_existing_file(fail, dataset, "inputs.dataset", folder, hint))
    elif dataset not in dataset_names():
        names = ", ".join(name for name in dataset_names() if name != "csv")
        fail("inputs.dataset", f"unknown dataset {dataset!r}; choose one of {names} or a FILE.csv")
    split = table.get("split", "test")
    if split not in SPLITS:
        fail("inputs.split", f"expected one of {', '.join(SPLITS)}, got {split!r}")
    if study.input_kind == "dataset" and "split" in table:
        fail(
            "inputs.split", f"the {study.name} study uses every split (train, val, test); remove inputs.split"
        )
    options = table.get("options", {})
    if not isinstance(options, dict):
        fail("inputs.options", f"expected a table of loader options, got {options!r}")
    for key, value in options.items():  # type: ignore[union-attr]
        if not isinstance(value, (str, int, float, bool)):
            fail(f"inputs.options.{key}", f"expected a string, number or boolean, got {value!r}")
    limit = table.get("limit")
    if limit is not None:
        limit = _integer(fail, limit, "inputs.limit", minimum=1)
        if study.input_kind == "dataset":
            fail("inputs.limit", f"the {study.name} study uses the whole dataset; remove inputs.limit")
    return InputSource(
        dataset=dataset,  # type: ignore[arg-type]
        split=split,  # type: ignore[arg-type]
        options=tuple(sorted(options.items())),  # type: ignore[union-attr]
        limit=limit,
    )


def _grid_values(fail: _Failer, raw: object, key: str) -> list[object]:
    """A grid entry: a non-empty list, or ``"A..B"`` for the integers A to B inclusive."""
    if isinstance(raw, list):
        if not raw:
            fail(key, "empty list; give at least one value")
        return raw
    if isinstance(raw, str) and ".." in raw:
        match = _RANGE.match(raw)
        if match is None:
            fail(
                key,
                f'bad range {raw[:40]!r}; a range is "A..B" with integers A <= B of at most 18 digits, e.g. "0..9"',
            )
        start, stop = int(match.group(1)), int(match.group(2))  # type: ignore[union-attr]
        if stop < start:
            fail(key, f'bad range {raw!r}: {stop} < {start}, so it is empty; write "{stop}..{start}"')
        if stop - start >= 1_000_000:
            fail(key, f"bad range {raw!r}: over a million values")
        return list(range(start, stop + 1))
    fail(
        key,
        f'expected a list of values or an integer range "A..B", got {raw!r}; a single value goes in [fixed]',
    )


__all__ = [
    "InputSource",
    "ModelSource",
    "Parameter",
    "SweepSpec",
    "SweepSpecError",
    "load_spec",
    "parse_spec",
]
