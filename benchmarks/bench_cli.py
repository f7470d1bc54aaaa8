"""Fixed cost of small CLI commands, each in a fresh process, against bare ``python -c pass``.

Goal (issue 12): ``nn2crn --help`` and small commands (here: check and eval of the IRIS
model's CRN, 3 input rows, and compile of the IRIS model) in at most 0.3 s on this machine. Every command runs ``--repeats``
times, interleaved with the anchor so that load from other processes hits all
alike; the median wall and CPU (user + system) times are printed with their
ratios to the anchor (on a shared machine the wall time is mostly waiting for a
core, so the CPU time is the fair figure), and the
modules it pulls in (numpy, scipy.sparse, numba) as ``python -X importtime`` lists
them.

Run: python benchmarks/bench_cli.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import machine_line  # noqa: E402

MODELS = Path(__file__).resolve().parents[1] / "src" / "nn2crn" / "models"
CLI = "from nn2crn.cli import main; raise SystemExit(main())"
HEAVY = ("numpy", "scipy.sparse", "numba", "matplotlib", "torch")
# The background kernel warm-up (a detached process) would compete with the timed commands.
ENV = {**os.environ, "NN2CRN_NO_AUTO_WARMUP": "1"}


def commands(work: Path) -> dict[str, list[str]]:
    model = MODELS / "iris-4-3-3-ternary.json"
    crn = work / "iris.crn"
    inputs = work / "x.csv"
    subprocess.run(
        [sys.executable, "-c", CLI, "compile", str(model), "-o", str(crn)],
        capture_output=True,
        check=True,
        env=ENV,
    )
    inputs.write_text("x0,x1,x2,x3\n0.5,1.0,-0.5,0.2\n1.0,0.0,0.3,-1.0\n-0.2,0.4,0.9,0.1\n")
    return {
        "nn2crn --help": ["--help"],
        "nn2crn --version": ["--version"],
        "nn2crn simulate --help": ["simulate", "--help"],
        "nn2crn datasets": ["datasets"],
        "nn2crn check iris.crn": ["check", str(crn)],
        "nn2crn eval iris.crn (3 rows)": ["eval", str(crn), "--inputs", str(inputs)],
        "nn2crn compile iris.json": ["compile", str(model), "-o", str(work / "iris-again.crn")],
    }


def wall_and_cpu(argv: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one fresh process running `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def heavy_imports(arguments: list[str]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", CLI, *arguments],
        capture_output=True,
        text=True,
        env=ENV,
    )
    names = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    return [name for name in HEAVY if name in names]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_cli_"))
    cases = commands(work)
    anchor = [sys.executable, "-c", "pass"]
    samples: dict[str, list[tuple[float, float]]] = {"python -c pass": [], **{name: [] for name in cases}}
    for arguments in cases.values():  # warm-up: OS file cache, the inputs check
        subprocess.run([sys.executable, "-c", CLI, *arguments], check=False, capture_output=True, env=ENV)
    for _ in range(args.repeats):
        samples["python -c pass"].append(wall_and_cpu(anchor))
        for name, arguments in cases.items():
            samples[name].append(wall_and_cpu([sys.executable, "-c", CLI, *arguments]))
    base_wall = statistics.median(v[0] for v in samples["python -c pass"])
    base_cpu = statistics.median(v[1] for v in samples["python -c pass"])
    # On a shared machine the wall time mostly measures waiting for a core; CPU time is the fair figure.
    print(f"{'command':32s} {'wall s':>7s} {'x pass':>7s} {'CPU s':>7s} {'x pass':>7s}  heavy imports")
    for name, values in samples.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        extra = "" if name == "python -c pass" else ", ".join(heavy_imports(cases[name])) or "none"
        print(
            f"{name:32s} {wall:7.3f} {wall / base_wall:7.1f} {cpu:7.3f} {cpu / max(base_cpu, 1e-3):7.1f}  {extra}"
        )
    print(machine_line())


if __name__ == "__main__":
    main()
