"""Where CLI commands write: atomic output files, CSV to stdout or a file, stderr and progress."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import click

from .._errors import InputDataError


def format_float(value: float) -> str:
    return repr(float(value))


def write_csv(
    path: str | os.PathLike[str] | None, header: Sequence[str], rows: Iterator[Sequence[object]]
) -> None:
    """Write CSV rows to `path` (atomically) or to stdout when `path` is None or '-'."""
    if path is None or str(path) == "-":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return
    with atomic_write(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[io.TextIOBase]:
    """Open a temporary file next to `path`; replace `path` only if the block succeeds."""
    path = Path(path)
    if path.is_dir():
        raise InputDataError(f"{path}: is a directory; give a file name for the output")
    if not path.parent.exists():
        raise InputDataError(f"{path}: folder {path.parent} does not exist; create it first")
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(temporary, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def refuse_same_file(output: str | os.PathLike[str] | None, *inputs: str | os.PathLike[str] | None) -> None:
    """Refuse an output path that is one of the command's input files."""
    if output is None or str(output) == "-":
        return
    for source in inputs:
        if source is not None and Path(output).resolve() == Path(source).resolve():
            raise InputDataError(
                f"{output}: the output would overwrite an input file; choose another -o path"
            )


def echo_err(message: str) -> None:
    click.echo(message, err=True)


def show_progress(quiet: bool) -> bool:
    """Progress bars appear only on a terminal and never with --quiet."""
    return not quiet and sys.stderr.isatty()


@contextlib.contextmanager
def progress_bar(enabled: bool, description: str) -> Iterator[Callable[..., None] | None]:
    """A progress callback drawing a rich bar on stderr, or None when disabled.

    The callback takes ``(fraction)`` with a fraction in [0, 1], or ``(done, total)``.
    """
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=None)

        def update(done: float, total: int | None = None) -> None:
            # engines report a fraction in [0, 1]; studies report (done, total)
            if total is None:
                progress.update(task, completed=round(100 * done), total=100)
            else:
                progress.update(task, completed=done, total=total)

        yield update
