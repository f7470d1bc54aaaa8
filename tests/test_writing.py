"""The one writer: devices and FIFOs in place, symlinks kept, inputs and folders refused, no debris."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from nn2crn import OutputError
from nn2crn._writing import (
    check_output,
    check_output_folder,
    open_output,
    remove_stale_temporaries,
    staged_folder,
    write_output,
    write_via_path,
)

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="making device nodes needs root")


def _device_node(folder: Path, name: str, minor: int) -> Path:
    """A private copy of /dev/null (minor 3) or /dev/full (minor 7), so a regression only loses it."""
    path = folder / name
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    except PermissionError:
        pytest.skip("this file system does not allow device nodes")
    return path


def _debris(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if ".tmp" in name)


@needs_root
def test_a_device_is_written_in_place_and_stays_a_device(tmp_path):
    null = _device_node(tmp_path, "null", 3)
    write_output(null, "a,b\n1,2\n")
    assert stat.S_ISCHR(os.stat(null).st_mode)
    assert _debris(tmp_path) == []


@needs_root
def test_a_full_device_gives_one_clear_error(tmp_path, run_cli):
    full = _device_node(tmp_path, "full", 7)
    model = Path(__file__).parent / "data" / "tiny-2-2-2.crn"
    code, _, err = run_cli("export", model, "--to", "crn", "-o", full)
    assert code == 2 and "Traceback" not in err
    assert f"cannot write {full}: No space left on device" in err
    assert stat.S_ISCHR(os.stat(full).st_mode)


def test_a_fifo_is_written_in_place(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_output(fifo, "through the pipe\n")
    reader.join(timeout=60)
    assert received == [b"through the pipe\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "out.crn"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "link.crn"
    link.symlink_to(target)
    write_output(link, "new\n")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert _debris(tmp_path / "real") == [] and _debris(tmp_path) == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.mkdir() or p, "is a directory; give a file name for the output"),
        (lambda p: p / "missing" / "out.csv", "does not exist; create it first"),
        (lambda p: Path("/proc/1/out.csv"), "does not exist|cannot write|not writable"),
    ],
)
def test_bad_locations_are_refused_before_any_work(tmp_path, make, message):
    with pytest.raises(OutputError, match=message):
        check_output(make(tmp_path / "out"))


def test_an_input_is_never_replaced_even_through_a_link(tmp_path):
    source = tmp_path / "data.csv"
    source.write_text("x\n1\n")
    link = tmp_path / "alias.csv"
    link.symlink_to(source)
    for path in (source, link):
        with pytest.raises(OutputError, match="would overwrite an input file"):
            write_output(path, "oops", inputs=(source,))
    assert source.read_text() == "x\n1\n"


def test_a_failure_leaves_the_old_file_byte_identical(tmp_path):
    target = tmp_path / "out.csv"
    target.write_bytes(b"precious\n")
    with pytest.raises(ZeroDivisionError), open_output(target) as handle:
        handle.write("half")
        1 / 0  # noqa: B018
    assert target.read_bytes() == b"precious\n"
    assert _debris(tmp_path) == []


def test_a_failed_report_folder_leaves_nothing(tmp_path):
    folder = tmp_path / "report"
    with pytest.raises(ZeroDivisionError), staged_folder(folder, force=False) as staging:
        (staging / "a.txt").write_text("x")
        1 / 0  # noqa: B018
    assert os.listdir(tmp_path) == []
    folder.mkdir()
    with pytest.raises(OutputError, match="already exists; pass force=True"):
        check_output_folder(folder, force=False)


_WRITER = textwrap.dedent(
    """
    import sys, time
    from nn2crn._writing import exit_cleanly_on_sigterm, open_output
    exit_cleanly_on_sigterm()
    with open_output(sys.argv[1]) as handle:
        handle.write("partial " * 1000)
        handle.flush()
        print("writing", flush=True)
        time.sleep(120)
    """
)


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, -signal.SIGINT), (signal.SIGTERM, 128 + signal.SIGTERM)]
)
def test_a_signal_mid_write_leaves_the_old_file_and_no_debris(tmp_path, signum, code):
    target = tmp_path / "out.csv"
    target.write_bytes(b"precious\n")
    process = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")},
    )
    assert process.stdout.readline() == b"writing\n"
    assert len(_debris(tmp_path)) == 1  # the temporary file exists while writing
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == code, err
    assert target.read_bytes() == b"precious\n"
    assert _debris(tmp_path) == []


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_debris_of_a_killed_writer_is_removed_and_live_or_finished_files_are_kept(tmp_path):
    dead, alive = _dead_pid(), os.getpid()
    finished = tmp_path / "results.parquet"
    finished.write_bytes(b"whole")
    debris = [
        # write_via_path's reservation, and the file the writer was filling (real suffix).
        f".results.parquet.nn2crn-{dead}-abc123.parquet.tmp",
        f".results.parquet.nn2crn-{dead}-abc123.parquet",
        f".other.csv.nn2crn-{dead}-x9.csv",
    ]
    kept = [f".results.parquet.nn2crn-{alive}-def456.parquet", ".hidden-user-file", "notes.nn2crn-1-x"]
    for name in debris + kept:
        (tmp_path / name).write_bytes(b"partial")
    write_via_path(finished, lambda path: path.write_bytes(b"new"))
    names = set(os.listdir(tmp_path))
    assert debris[0] not in names and debris[1] not in names  # this file's debris, on its next write
    assert debris[2] in names  # another file's debris waits for a folder-wide sweep
    remove_stale_temporaries(tmp_path)
    assert names - set(os.listdir(tmp_path)) == {debris[2]}
    assert set(kept) <= set(os.listdir(tmp_path))
    assert finished.read_bytes() == b"new"


def test_temporaries_are_new_private_files_the_sweep_recognises(tmp_path):
    from nn2crn import _writing

    prefix = _writing._temporary_prefix("out.csv")
    names = set()
    for _ in range(20):
        descriptor, name = _writing._make_temporary(prefix, ".tmp", tmp_path)
        os.close(descriptor)
        names.add(name)
        assert os.path.isabs(name) and os.path.dirname(name) == str(tmp_path)
        assert stat.S_IMODE(os.stat(name).st_mode) == 0o600
    assert len(names) == 20
    # a name of a process that is gone is swept; this process's are kept
    dead = tmp_path / f".out.csv{_writing._MARKER}999999999-abc.tmp"
    dead.write_text("")
    _writing.remove_stale_temporaries(tmp_path)
    assert not dead.exists() and all(os.path.exists(name) for name in names)
