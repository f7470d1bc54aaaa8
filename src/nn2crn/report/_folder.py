"""Output folders of the report commands: refuse to overwrite, build aside, then move into place."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .._errors import InputDataError


def check_output_folder(folder: str | os.PathLike[str], *, force: bool) -> Path:
    """Refuse an existing `folder` unless `force`; refuse a file in its place always.

    Nothing is created or changed here, so a refused run leaves the disk untouched.

    Raises
    ------
    InputDataError
        `folder` exists (without `force`) or is a file.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputDataError(f"{folder}: is a file, not a folder; choose another output folder with -o")
    if folder.exists() and not force:
        raise InputDataError(
            f"{folder}: the output folder already exists; pass force=True to overwrite the report files in it, "
            f"or choose another folder with -o"
        )
    return folder


@contextlib.contextmanager
def staged_folder(folder: str | os.PathLike[str], *, force: bool) -> Iterator[Path]:
    """Yield an empty staging folder next to `folder`; on success move its files into `folder`.

    If `folder` does not exist the staging folder is renamed to it. If it exists
    (only allowed with `force`), each staged file replaces the file of the same
    name in it; other files there are left alone. On failure the staging folder
    is removed and `folder` is untouched.
    """
    folder = check_output_folder(folder, force=force)
    parent = folder.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the report folder is an ordinary one
    try:
        yield staging
        if not folder.exists():
            os.replace(staging, folder)
        else:
            for entry in sorted(staging.iterdir()):
                target = folder / entry.name
                if target.is_dir() and not entry.is_dir():
                    raise InputDataError(
                        f"{target}: is a folder; cannot replace it with the report file {entry.name}"
                    )
                if entry.is_dir():
                    if target.exists():
                        shutil.rmtree(target)
                    os.replace(entry, target)
                else:
                    os.replace(entry, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
