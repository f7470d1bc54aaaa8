"""``nn2crn sweep`` and ``nn2crn sweep-report``: messages, resume after a real interrupt, the report."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pyarrow")

SPEC = """
[sweep]
study = "ssa"
seed = 2
chunk = 5

[model]
shipped = "iris-4-8-3-binary"

[inputs]
dataset = "iris"
limit = 30

[grid]
volume = [20, 50]
seed = "0..1"

[fixed]
t_end = 20
runs = {runs}
"""

SRC = str(Path(__file__).resolve().parents[2] / "src")


def write_spec(folder: Path, runs: int = 2) -> Path:
    path = folder / "spec.toml"
    path.write_text(SPEC.format(runs=runs), encoding="utf-8")
    return path


def nn2crn(*args: str) -> subprocess.Popen:
    """The CLI in a fresh process (its own process, so a signal reaches it alone)."""
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen(
        [sys.executable, "-m", "nn2crn.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_bad_spec_is_one_line_and_exit_2(tmp_path, run_cli):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(runs=1).replace("volume = [20, 50]", 'volume = "9..1"'), encoding="utf-8")
    code, out, err = run_cli("sweep", spec, "-o", tmp_path / "out", "--in-process")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "spec.toml: grid.volume: bad range '9..1'" in err
    assert not (tmp_path / "out").exists()


def test_sweep_in_process_then_report(tmp_path, run_cli):
    spec = write_spec(tmp_path, runs=1)
    code, _, err = run_cli("sweep", spec, "-o", tmp_path / "out", "--in-process")
    assert code == 0, err
    assert "24 tasks in" in err and (tmp_path / "out" / "results.parquet").is_file()
    summary = (tmp_path / "out" / "summary.csv").read_text().splitlines()
    assert summary[0].startswith("volume,seed,runs,t_end,rates,n,agreement,accuracy") and len(summary) == 5
    code, _, err = run_cli("sweep", spec, "-o", tmp_path / "out", "--in-process")
    assert code == 0 and "24 tasks (24 already finished)" in err
    pytest.importorskip("matplotlib")
    code, _, err = run_cli("sweep-report", tmp_path / "out")
    assert code == 0, err
    report = (tmp_path / "out" / "report" / "report.md").read_text()
    assert "![Agreement with the network and accuracy against volume" in report
    assert "| volume | seed | runs | t_end | rates | n | agreement |" in report
    assert (tmp_path / "out" / "report" / "volume.png").stat().st_size > 1000
    code, _, err = run_cli("sweep-report", tmp_path / "out")
    assert code == 2 and "report: the output folder already exists; pass --force" in err


def test_a_folder_of_another_sweep_is_refused(tmp_path, run_cli):
    spec = write_spec(tmp_path, runs=1)
    assert run_cli("sweep", spec, "-o", tmp_path / "out", "--in-process")[0] == 0
    spec.write_text(SPEC.format(runs=1).replace("seed = 2", "seed = 3"), encoding="utf-8")
    code, _, err = run_cli("sweep", spec, "-o", tmp_path / "out", "--in-process")
    assert code == 2 and "out: holds parts of a different sweep" in err and "--force" in err
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    code, _, err = run_cli("sweep", spec, "-o", tmp_path / "other", "--in-process")
    assert code == 2 and "is not a sweep results folder" in err
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


@pytest.mark.slow
def test_interrupted_sweep_resumes_without_recomputing(tmp_path):
    """SIGINT to `nn2crn sweep` on a 2-worker LocalCluster; the same command then finishes the rest."""
    from nn2crn.sweep import load_spec, read_results, run_sweep

    spec = write_spec(tmp_path, runs=15)
    results = tmp_path / "out"
    parts = results / "parts"
    first = nn2crn("sweep", str(spec), "-o", str(results), "--workers", "2")
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and first.poll() is None:
        if parts.is_dir() and len(list(parts.glob("*.parquet"))) >= 2:
            break
        time.sleep(0.05)
    assert first.poll() is None, f"the sweep ended before it was interrupted: {first.communicate()}"
    first.send_signal(signal.SIGINT)
    _, err = first.communicate(timeout=300)
    assert first.returncode == 130, err
    assert "interrupted: " in err and "run the same command again to resume" in err
    kept = {path.name: (path.stat().st_ino, path.stat().st_mtime_ns) for path in parts.glob("*.parquet")}
    assert 2 <= len(kept) < 24
    assert not list(parts.glob(".*")), "a temporary part was left behind"

    second = nn2crn("sweep", str(spec), "-o", str(results), "--workers", "2")
    _, err = second.communicate(timeout=600)
    assert second.returncode == 0, err
    assert f"24 tasks ({len(kept)} already finished)" in err
    after = {path.name: (path.stat().st_ino, path.stat().st_mtime_ns) for path in parts.glob("*.parquet")}
    assert len(after) == 24 and all(after[name] == stamp for name, stamp in kept.items())

    run_sweep(load_spec(spec), tmp_path / "reference", in_process=True)
    assert read_results(results).equals(read_results(tmp_path / "reference"))
