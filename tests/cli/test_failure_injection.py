"""SIGKILL part-way through the long commands, then run again: nothing already written is corrupt.

SIGKILL cannot be caught, so these show what the writer guarantees without any
cleanup code running: a target is replaced only by a rename of a complete file or
folder, and the next run removes the dead run's temporaries.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from nn2crn.nn import load_network

SRC = str(Path(__file__).parents[2] / "src")


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "nn2crn.cli", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": SRC},
    )


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nn2crn.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": SRC},
        timeout=900,
    )


def _hidden(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.startswith("."))


def test_sigkill_mid_write_then_rewrite(tmp_path):
    """Killed inside the write itself: the old file survives, the next write removes the debris."""
    target = tmp_path / "out.crn"
    target.write_bytes(b"precious\n")
    writer = (
        "import sys, time\n"
        "from nn2crn._writing import open_output\n"
        "with open_output(sys.argv[1]) as handle:\n"
        "    handle.write('half a file'); handle.flush(); print('writing', flush=True); time.sleep(120)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", writer, str(target)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": SRC},
    )
    assert process.stdout.readline() == b"writing\n"
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert target.read_bytes() == b"precious\n"
    assert len(_hidden(tmp_path)) == 1  # the dead run's temporary file
    from nn2crn._writing import write_output

    write_output(target, "complete\n")
    assert target.read_text() == "complete\n" and _hidden(tmp_path) == []


@pytest.mark.slow
@pytest.mark.torch
def test_train_killed_part_way_leaves_the_old_model_then_restarts(tmp_path):
    pytest.importorskip("torch")
    model = tmp_path / "iris.json"
    model.write_text('{"precious": true}\n')
    process = _start(["train", "iris", "--epochs", "100000", "--force", "-q", "-o", "iris.json"], tmp_path)
    assert b"150 examples" in process.stderr.readline()  # the data is loaded; training runs
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert json.loads(model.read_text()) == {"precious": True}
    done = _run(["train", "iris", "--epochs", "2", "--force", "-q", "-o", "iris.json"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert load_network(model).widths[0] == 4
    assert _hidden(tmp_path) == []


@pytest.mark.slow
def test_reproduce_killed_part_way_leaves_no_report_then_restarts(tmp_path):
    process = _start(["reproduce", "iris", "--no-dna", "-o", "report"], tmp_path)
    process.stderr.readline()  # the first progress line: the work has started
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert not (tmp_path / "report").exists()  # never a half-written report folder
    done = _run(["reproduce", "iris", "--no-dna", "-o", "report", "-q"], tmp_path)
    assert done.returncode == 0, done.stderr
    rows = json.loads((tmp_path / "report" / "reproduction.json").read_text())["rows"]
    assert [row["dataset"] for row in rows] == ["iris"]
    assert _hidden(tmp_path) == []  # the killed run's staging folder is gone too
    # Killed again with --force over the finished report: every file stays as it was.
    before = {path.name: path.read_bytes() for path in (tmp_path / "report").iterdir() if path.is_file()}
    process = _start(["reproduce", "iris", "--no-dna", "-o", "report", "--force"], tmp_path)
    process.stderr.readline()
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    after = {path.name: path.read_bytes() for path in (tmp_path / "report").iterdir() if path.is_file()}
    assert after == before


KILLED_SWEEP_SPEC = """
[sweep]
study = "ssa"
seed = 3
chunk = 1

[model]
shipped = "iris-4-8-3-binary"

[inputs]
dataset = "iris"
limit = 30

[grid]
volume = [20, 40]

[fixed]
t_end = 20
runs = 2
"""


@pytest.mark.slow
def test_sweep_killed_part_way_keeps_its_parts_and_resumes_to_the_same_results(tmp_path):
    pytest.importorskip("distributed")
    pq = pytest.importorskip("pyarrow.parquet")
    import time

    from nn2crn.sweep import load_spec, read_results, run_sweep

    spec = tmp_path / "spec.toml"
    spec.write_text(KILLED_SWEEP_SPEC)
    parts = tmp_path / "results" / "parts"
    process = _start(["sweep", "spec.toml", "-o", "results", "--workers", "2"], tmp_path)
    while process.poll() is None and len(list(parts.glob("*.parquet"))) < 3:
        time.sleep(0.05)  # polling for progress, not a correctness condition
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    written = {path.name: path.read_bytes() for path in parts.glob("*.parquet")}
    assert 3 <= len(written) < 60, "the sweep finished before the kill; the test needs more tasks"
    assert not (tmp_path / "results" / "results.parquet").exists()
    for name in written:
        assert pq.read_table(parts / name).num_rows == 2  # whole: one row, two SSA runs
    done = _run(["sweep", "spec.toml", "-o", "results", "--workers", "2", "-q"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert {name: (parts / name).read_bytes() for name in written} == written  # never rewritten
    assert _hidden(parts) == []  # the killed run's temporary part, if any, is gone
    reference = run_sweep(load_spec(spec), tmp_path / "reference", in_process=True)
    assert reference.n_tasks == 60
    assert read_results(tmp_path / "results").equals(read_results(tmp_path / "reference"))


def _verdicts(stdout: str) -> list[tuple[str, ...]]:
    """The verify table without its seconds column (timings differ between runs)."""
    rows = [line.split() for line in stdout.splitlines()[1:] if line and not line.startswith(" ")]
    return [(*row[:5], *row[6:]) for row in rows]


@pytest.mark.slow
def test_dna_verify_killed_part_way_then_rerun_gives_the_same_verdicts(tmp_path):
    """`dna verify` keeps no state on disk (its shape cache lives in memory), so a kill can corrupt
    nothing; the rerun must still give the verdicts of an uninterrupted run and leave no files."""
    pytest.importorskip("peppercornenumerator")
    import pty

    crn = tmp_path / "net.crn"
    crn.write_text((Path(__file__).parents[1] / "data" / "tiny-2-2-2-reduced.crn").read_text())
    reference = _run(["dna", "verify", "net.crn", "-q"], tmp_path)
    assert reference.returncode == 0, reference.stderr
    # stderr on a terminal, so that the progress bar shows how far the checks got
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "nn2crn.cli", "dna", "verify", "net.crn"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=terminal,
        env={**os.environ, "PYTHONPATH": SRC},
    )
    os.close(terminal)
    seen = b""
    while b"verifying" not in seen and b"%" not in seen:
        seen += os.read(controller, 1024)  # blocks until the bar is drawn: the first check is done
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    os.close(controller)
    assert process.returncode == -signal.SIGKILL
    assert sorted(os.listdir(tmp_path)) == ["net.crn"]
    again = _run(["dna", "verify", "net.crn", "-q"], tmp_path)
    assert again.returncode == reference.returncode == 0, again.stderr
    assert _verdicts(again.stdout) == _verdicts(reference.stdout)
    assert "all correct" in again.stderr
