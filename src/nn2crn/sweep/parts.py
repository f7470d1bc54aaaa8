"""The results folder: one Parquet part per finished task, resume, and the merged tables.

Layout of ``RESULTS/``::

    sweep.json        what the folder holds: the fingerprint of the sweep and the spec's text
    parts/KEY.parquet the rows of one finished task (KEY: the task's digest)
    results.parquet   every task's rows, in task order (written at the end)
    summary.csv       one line per parameter point (written at the end)

A part is written to a hidden temporary name in ``parts/`` and renamed into place,
so a part either exists whole or not at all: a run killed at any moment leaves
only whole parts behind, and the next run skips them. Part files are never
rewritten, so a resumed run leaves finished parts exactly as they were.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .._errors import InputDataError
from .._writing import remove_stale_temporaries, write_via_path

FOLDER_RECORD = "sweep.json"
PARTS = "parts"
RESULTS = "results.parquet"
SUMMARY = "summary.csv"


def part_path(folder: Path, key: str) -> Path:
    return folder / PARTS / f"{key}.parquet"


def replace_atomically(path: Path, write: Any) -> Path:
    """Call ``write(temporary_path)`` and rename the file onto `path`; nothing half-written is left.

    The shared writer owns the rules (devices, symlinks, signals, and the debris of
    a SIGKILLed run, which the next write of the same file removes).
    """
    write_via_path(path, write)
    return path


def prepare_folder(folder: Path, record: Mapping[str, Any], *, force: bool) -> Path:
    """Create `folder` for a sweep, or check that it holds parts of this same sweep.

    Parameters
    ----------
    folder : Path
    record : mapping
        Written to ``sweep.json``; its ``fingerprint`` must match an existing folder's.
    force : bool
        Discard the parts of a different sweep found in `folder`.

    Raises
    ------
    InputDataError
        `folder` is a file, a folder with other content, or holds a different sweep (without `force`).
    """
    if folder.exists() and not folder.is_dir():
        raise InputDataError(f"{folder}: is a file, not a folder; choose another results folder with -o")
    existing = folder / FOLDER_RECORD
    if folder.is_dir() and not existing.is_file() and any(folder.iterdir()):
        raise InputDataError(
            f"{folder}: exists and is not a sweep results folder (no {FOLDER_RECORD}); choose another folder with -o"
        )
    if existing.is_file():
        try:
            previous = json.loads(existing.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InputDataError(f"{existing}: unreadable ({error}); choose another folder with -o") from None
        if previous.get("fingerprint") != record["fingerprint"]:
            if not force:
                raise InputDataError(
                    f"{folder}: holds parts of a different sweep (another study, seed, model or inputs); "
                    f"pass --force to discard them, or choose another folder with -o"
                )
            shutil.rmtree(folder / PARTS, ignore_errors=True)
            for name in (RESULTS, SUMMARY):
                (folder / name).unlink(missing_ok=True)
    (folder / PARTS).mkdir(parents=True, exist_ok=True)
    remove_temporaries(folder)
    text = json.dumps(dict(record), indent=2, sort_keys=True) + "\n"
    replace_atomically(existing, lambda path: path.write_text(text, encoding="utf-8"))
    return folder


def remove_temporaries(folder: Path) -> None:
    """Delete the temporary files a killed run left in the folder and in ``parts/`` (never whole parts)."""
    remove_stale_temporaries(folder)
    remove_stale_temporaries(folder / PARTS)


def read_record(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``sweep.json`` of a results folder."""
    folder = Path(folder)
    path = folder / FOLDER_RECORD
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputDataError(
            f"{folder}: not a sweep results folder (no {FOLDER_RECORD}); give the -o folder of `nn2crn sweep`"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputDataError(f"{path}: unreadable ({error})") from None


def finished_keys(folder: Path) -> set[str]:
    """Keys of the tasks whose part file exists."""
    return {path.stem for path in (folder / PARTS).glob("*.parquet") if not path.name.startswith(".")}


def write_part(folder: Path, key: str, table: Any, metadata: Mapping[str, str]) -> Path:
    """Write one task's rows as ``parts/KEY.parquet`` (pyarrow), by atomic rename."""
    import pyarrow.parquet as pq

    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **_encode(metadata)})
    return replace_atomically(part_path(folder, key), lambda path: pq.write_table(table, path))


def _encode(metadata: Mapping[str, str]) -> dict[bytes, bytes]:
    return {f"nn2crn.{name}".encode(): str(value).encode() for name, value in metadata.items()}


def read_part(folder: Path, key: str) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = part_path(folder, key)
    try:
        return pq.read_table(path)
    except (OSError, pa.ArrowException) as error:
        raise InputDataError(
            f"{path}: unreadable part ({error}); delete it and run the sweep again"
        ) from None


def part_metadata(folder: Path, key: str) -> dict[str, str]:
    """The ``nn2crn.*`` metadata of a part (e.g. ``seconds``: the task's compute time)."""
    import pyarrow.parquet as pq

    raw = pq.read_schema(part_path(folder, key)).metadata or {}
    return {k.decode()[len("nn2crn.") :]: v.decode() for k, v in raw.items() if k.startswith(b"nn2crn.")}


def merge_parts(folder: Path, keys: Iterable[str]) -> Any:
    """Concatenate the parts of `keys` (in that order), write ``results.parquet``; returns the table.

    The order is the sweep's task order, so the merged table does not depend on
    which task finished first. Per-task metadata is dropped: the table holds results only.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = [read_part(folder, key).replace_schema_metadata(None) for key in keys]
    table = pa.concat_tables(tables) if tables else pa.table({})
    replace_atomically(folder / RESULTS, lambda path: pq.write_table(table, path))
    return table


def read_results(folder: str | os.PathLike[str]) -> Any:
    """``results.parquet`` of a finished sweep, as a pyarrow Table."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    path = folder / RESULTS
    if not path.is_file():
        raise InputDataError(
            f"{path}: no such file; the sweep has not finished; run `nn2crn sweep SPEC.toml -o {folder}` again"
        )
    try:
        return pq.read_table(path)
    except (OSError, pa.ArrowException) as error:
        raise InputDataError(f"{path}: unreadable ({error}); run the sweep again to rebuild it") from None
