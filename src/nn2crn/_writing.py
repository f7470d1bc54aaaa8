"""Every file nn2crn writes goes through this module.

The rules, for any output path a user gives:

* ``-`` is standard output; a character or block device or a FIFO (``/dev/null``,
  ``/dev/stdout``, a named pipe) is written **in place**: never renamed over, never
  replaced by a regular file.
* A symlink is written **through**: its target is replaced atomically and the link
  itself stays a link.
* A directory is refused; so is a missing or unwritable parent folder, and so is a
  path that is one of the command's input files (pass them as ``inputs=``).
* A regular file is written to a temporary file next to it (same folder, so the
  rename is atomic; named ``.NAME.nn2crn-PID-XXXX.tmp``), flushed, fsynced and then
  renamed over the target. A run killed with SIGKILL cannot clean up, so the next
  write of the same name removes the temporaries of processes that no longer exist. On any
  failure, including ``KeyboardInterrupt`` (SIGINT) and SIGTERM (turned into
  ``SystemExit`` by :func:`exit_cleanly_on_sigterm`, which the CLI installs), the
  temporary file is removed and an existing target stays byte-identical.
* Every ``OSError`` (permission, read-only file system, disk full) becomes an
  :class:`OutputError` naming the path, the reason and what to do: exit 2, one line.

API (all paths ``str | os.PathLike``)
-------------------------------------
``check_output(path, *, inputs=(), what="output")``
    Validate before any work (commands call this first, so a bad ``-o`` fails in
    milliseconds instead of after a long simulation). Returns the resolved target.
``open_output(path, *, inputs=(), binary=False)``
    Context manager yielding a text (UTF-8, ``newline=""``) or binary handle.
``write_output(path, content, *, inputs=())``
    Write a ``str`` or ``bytes`` in one call.
``write_via_path(path, write, *, inputs=(), suffix=None)``
    For libraries that insist on a file name (``savefig``, ``libsbml``, ``dask``):
    ``write(temporary_path)`` is called and its result moved into place (copied,
    for a device or FIFO).
``check_output_folder(folder, *, force)`` / ``staged_folder(folder, *, force)``
    Report folders: refused if present without ``--force``, built aside and moved
    into place (see :mod:`nn2crn.report._folder`, which re-exports them).
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from ._errors import OutputError

PathLike = str | os.PathLike[str]

STDOUT = "-"


def _temporary_prefix(name: str) -> str:
    # The pid lets a later run recognise debris of a run that was SIGKILLed (see _sweep_stale).
    return f".{name}{_MARKER}{os.getpid()}-"


_MARKER = ".nn2crn-"


def _sweep_stale(folder: Path, name: str | None = None) -> None:
    """Remove temporary files and staging folders left by processes that no longer exist.

    Only those for `name` (or, with None, for every name) are looked at. A
    temporary's reservation ends in ``.tmp`` but the file a writer fills (see
    :func:`write_via_path`) ends in the target's suffix: both carry the marker and
    the pid, which is what identifies them.
    """
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for entry in entries:
        if name is not None:
            prefix = f".{name}{_MARKER}"
            if not entry.startswith(prefix):
                continue
        elif not entry.startswith(".") or _MARKER not in entry:
            continue
        else:
            prefix = entry[: entry.index(_MARKER) + len(_MARKER)]
        pid_text = entry[len(prefix) :].split("-", 1)[0]
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        path = folder / entry
        if path.is_dir() and not path.is_symlink():
            import shutil

            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()


def _make_temporary(prefix: str, suffix: str, folder: Path | None) -> tuple[int, str]:
    """``tempfile.mkstemp(suffix, prefix, folder)``: a new file only this process opened (mode
    0o600), as (descriptor, absolute name); without importing tempfile, which brings shutil
    and random (about 6 ms of a small command's start)."""
    if folder is None:
        import tempfile

        return tempfile.mkstemp(prefix=prefix, suffix=suffix)
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL
    for extra in ("O_NOFOLLOW", "O_CLOEXEC", "O_BINARY"):
        flags |= getattr(os, extra, 0)
    folder_name = os.path.abspath(folder)
    for _ in range(100):
        name = os.path.join(folder_name, f"{prefix}{os.urandom(5).hex()}{suffix}")
        try:
            return os.open(name, flags, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name for {prefix}*{suffix} in {folder_name}")


def remove_stale_temporaries(folder: PathLike) -> None:
    """Delete what writers killed part-way (SIGKILL, power loss) left in `folder`; never a finished file."""
    _sweep_stale(Path(folder))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_stream(path: Path) -> bool:
    """A device node or FIFO: something to write into, never to rename over."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_output(path: PathLike, *, inputs: tuple[PathLike | None, ...] = (), what: str = "output") -> Path:
    """Validate an output path before any work is done; return the file actually written.

    Parameters
    ----------
    path : str or PathLike
        The user's path; ``-`` means standard output.
    inputs : tuple of paths
        The command's input files; writing over one of them is refused.
    what : str
        Name of the option in messages (e.g. ``"-o"`` or ``"--plot"``).

    Returns
    -------
    Path
        ``Path("-")`` for standard output, the path itself for a device or FIFO,
        otherwise the symlink-resolved file that will be replaced.

    Raises
    ------
    OutputError
        A directory, a missing or unwritable folder, or one of `inputs`.
    """
    if str(path) == STDOUT:
        return Path(STDOUT)
    given = Path(path)
    for source in inputs:
        if source is not None and str(source) != STDOUT and _same_file(given, Path(source)):
            raise OutputError(
                f"{given}: the output would overwrite an input file; choose another {what} path"
            )
    if _is_stream(given):
        return given
    target = Path(os.path.realpath(given))
    if target.is_dir():
        raise OutputError(f"{given}: is a directory; give a file name for the {what}")
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(
            f"{given}: folder {folder} does not exist; create it first or choose another {what} path"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(
            f"{given}: folder {folder} is not writable (permission denied); choose another {what} path"
        )
    if target.exists() and not os.access(target, os.W_OK):
        raise OutputError(f"{given}: the file is read-only; make it writable or choose another {what} path")
    return target


def _output_error(path: PathLike, error: OSError) -> OutputError:
    reason = error.strerror or str(error)
    return OutputError(f"cannot write {path}: {reason}; check the folder's permissions and free space")


@contextlib.contextmanager
def open_output(
    path: PathLike, *, inputs: tuple[PathLike | None, ...] = (), binary: bool = False
) -> Iterator[IO[Any]]:
    """Open `path` for writing under the rules in the module docstring.

    The target is replaced only when the ``with`` block finishes without an
    exception; otherwise it is left as it was and nothing is left behind.
    """
    target = check_output(path, inputs=inputs)
    if str(target) == STDOUT:
        yield sys.stdout.buffer if binary else sys.stdout
        (sys.stdout.buffer if binary else sys.stdout).flush()
        return
    if _is_stream(target):
        try:
            stream = open(target, "wb") if binary else open(target, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as error:
            raise _output_error(path, error) from None
        try:
            with stream:
                yield stream
        except OSError as error:
            raise _output_error(path, error) from None
        return
    try:
        _sweep_stale(target.parent, target.name)
        descriptor, temporary_name = _make_temporary(_temporary_prefix(target.name), ".tmp", target.parent)
    except OSError as error:
        raise _output_error(path, error) from None
    temporary = Path(temporary_name)
    try:
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.fchmod(descriptor, mode)
        raw = os.fdopen(descriptor, "wb")
        stream = raw if binary else io.TextIOWrapper(raw, encoding="utf-8", newline="")
        try:
            with stream:
                yield stream
                stream.flush()
                os.fsync(raw.fileno())
            os.replace(temporary, target)
        except OSError as error:
            raise _output_error(path, error) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def write_output(path: PathLike, content: str | bytes, *, inputs: tuple[PathLike | None, ...] = ()) -> None:
    """Write `content` (text as UTF-8, or bytes) to `path` under the module's rules."""
    with open_output(path, inputs=inputs, binary=isinstance(content, bytes)) as handle:
        handle.write(content)


def write_via_path(
    path: PathLike,
    write: Callable[[Path], object],
    *,
    inputs: tuple[PathLike | None, ...] = (),
    suffix: str | None = None,
) -> None:
    """Let `write` produce the output at a temporary path, then move it into place.

    For writers that need a file name rather than a handle. `suffix` defaults to
    the target's suffix (some writers pick the format from it).
    """
    target = check_output(path, inputs=inputs)
    suffix = suffix if suffix is not None else Path(path).suffix
    in_place = str(target) == STDOUT or _is_stream(target)
    folder = None if in_place else target.parent
    try:
        if folder is not None:
            _sweep_stale(folder, target.name)
        descriptor, temporary_name = _make_temporary(_temporary_prefix(target.name), f"{suffix}.tmp", folder)
    except OSError as error:
        raise _output_error(path, error) from None
    os.close(descriptor)
    temporary = Path(temporary_name)
    try:
        # The writer gets a path ending in the real suffix; the .tmp name only reserves it.
        work = temporary.with_name(temporary.name[: -len(".tmp")])
        try:
            write(work)
            if in_place:
                import shutil

                with open_output(path, binary=True) as handle, open(work, "rb") as produced:
                    shutil.copyfileobj(produced, handle)
            else:
                try:
                    mode = stat.S_IMODE(os.stat(target).st_mode)
                except FileNotFoundError:
                    umask = os.umask(0)
                    os.umask(umask)
                    mode = 0o666 & ~umask
                os.chmod(work, mode)
                os.replace(work, target)
        except OSError as error:
            raise _output_error(path, error) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                work.unlink()
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def check_output_folder(folder: PathLike, *, force: bool) -> Path:
    """Refuse an existing `folder` unless `force`; refuse a file in its place always.

    Also refuses a folder that could not be created (a missing or read-only parent
    is fine if it can be created). Nothing is created or changed here.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: is a file, not a folder; choose another output folder with -o")
    if folder.exists() and not force:
        raise OutputError(
            f"{folder}: the output folder already exists; pass force=True to overwrite the report files in it, "
            f"or choose another folder with -o"
        )
    existing = Path(os.path.realpath(folder)).parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(
            f"{folder}: cannot create the output folder ({existing} is not a writable folder); "
            f"choose another folder with -o"
        )
    return folder


@contextlib.contextmanager
def staged_folder(folder: PathLike, *, force: bool) -> Iterator[Path]:
    """Yield an empty staging folder next to `folder`; on success move its files into `folder`.

    If `folder` does not exist the staging folder is renamed to it. If it exists
    (only allowed with `force`), each staged file replaces the file of the same
    name in it; other files there are left alone. On failure (including SIGINT and
    SIGTERM) the staging folder is removed and `folder` is untouched.
    """
    import shutil
    import tempfile

    folder = check_output_folder(folder, force=force)
    parent = Path(os.path.realpath(folder)).parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _sweep_stale(parent, folder.name)
        staging = Path(tempfile.mkdtemp(prefix=_temporary_prefix(folder.name), suffix=".tmp", dir=parent))
        staging.chmod(0o755)  # mkdtemp makes it private; the report folder is an ordinary one
    except OSError as error:
        raise _output_error(folder, error) from None
    try:
        yield staging
        try:
            if not folder.exists():
                os.replace(staging, folder)
            else:
                for entry in sorted(staging.iterdir()):
                    target = folder / entry.name
                    if target.is_dir() and not entry.is_dir():
                        raise OutputError(
                            f"{target}: is a folder; cannot replace it with the report file {entry.name}"
                        )
                    if entry.is_dir() and target.exists():
                        shutil.rmtree(target)
                    os.replace(entry, target)
        except OSError as error:
            raise _output_error(folder, error) from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _raise_system_exit(signum: int, frame: object) -> None:
    # SystemExit unwinds through every ``finally``, so temporary files are removed.
    raise SystemExit(128 + signum)


def exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into ``SystemExit(143)`` so that cleanup code runs (the CLI calls this).

    SIGINT already raises ``KeyboardInterrupt``. Only the main thread may install
    handlers; elsewhere this does nothing.
    """
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, _raise_system_exit)


__all__ = [
    "OutputError",
    "check_output",
    "check_output_folder",
    "exit_cleanly_on_sigterm",
    "open_output",
    "staged_folder",
    "write_output",
    "write_via_path",
]
