"""Where CLI commands write: atomic output files, CSV to stdout or a file, stderr and progress."""

from __future__ import annotations

import contextlib
import csv
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import numpy as np


def format_float(value: float) -> str:
    return repr(float(value))


def write_csv(
    path: str | os.PathLike[str] | None,
    header: Sequence[str],
    rows: Iterator[Sequence[object]],
    *,
    inputs: tuple[str | os.PathLike[str] | None, ...] = (),
) -> None:
    """Write CSV rows to `path` (see :mod:`nn2crn._writing`) or to stdout when `path` is None or '-'."""
    with atomic_write("-" if path is None else path, inputs=inputs) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def float_rows_text(table: np.ndarray) -> str:
    """The rows of a 2-D float array as CSV lines, each ending in a newline, each value as
    format_float writes it (repr: the shortest round trip; numbers need no quoting)."""
    from .._csv_native import format_rows

    text = format_rows(table)
    if text is None:  # no C extension: Python floats from tolist(), no numpy scalar per value
        text = "".join([",".join(map(repr, row)) + "\n" for row in table.tolist()])
    return text


def write_csv_text(
    path: str | os.PathLike[str] | None,
    header: Sequence[str],
    body: str,
    *,
    inputs: tuple[str | os.PathLike[str] | None, ...] = (),
) -> None:
    """As :func:`write_csv`, for rows already formatted as CSV text (each line ending in a newline)."""
    with atomic_write("-" if path is None else path, inputs=inputs) as handle:
        csv.writer(handle, lineterminator="\n").writerow(header)
        handle.write(body)


def atomic_write(
    path: str | os.PathLike[str], *, inputs: tuple[str | os.PathLike[str] | None, ...] = ()
) -> contextlib.AbstractContextManager[IO[Any]]:
    """Text handle for an output file; kept as a name for :func:`nn2crn._writing.open_output`."""
    from .._writing import open_output

    return open_output(path, inputs=inputs)


def refuse_same_file(output: str | os.PathLike[str] | None, *inputs: str | os.PathLike[str] | None) -> None:
    """Validate an output path before the work: not an input, not a directory, a writable folder."""
    from .._writing import check_output

    if output is None:
        return
    check_output(output, inputs=inputs)


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
