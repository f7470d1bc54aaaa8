"""`.crn` reading against writing, and the big-CRN CLI rows of issue 12, from the user's seat.

1. In process, side by side: ``read_crn`` against ``write_crn`` of the same CRN, for random
   ternary 64-W-W-10 networks (W = 1024 and 2048), compiled and reduced, each read through
   the C scanner (``nn2crn.crn._crn_cparse``, when built) and through the numpy tokenizer
   (its fallback). Candidates are interleaved over the repeats; the best time of each is
   printed with read / write. Goal: reading is no slower than writing (ratio <= 1).
2. Fresh processes (``python -c 'from nn2crn.cli import main; ...'``), wall and CPU
   (user + system of the child), against their anchors measured in the same run:

   - ``nn2crn eval`` of 10,000 rows through the 196-64-10 MNIST CRN, against the
     in-process ``stable_outputs`` of the same rows (plan included) plus the start-up of
     a bare ``python -c "import numpy"`` (``nn2crn --version`` printed beside it); goal
     CLI <= 3 x in-process + start-up, in wall and in CPU time (medians of interleaved
     rounds); ``--eval-only`` runs just this row;
   - ``nn2crn check`` of a reduced 1024-1024-1024-10 CRN (6.4 M product terms); goal < 5 s
     (and the same with the numpy reader forced, side by side);
   - ``nn2crn compile --reduce`` of a 784-256-256-256-10 binary network; goal < 2 s;
   - ``nn2crn export --to sbml`` of a 64-4000-10 network (no libSBML check, the
     default; ``--validate`` runs it); goal < 10 s.

The background kernel warm-up is switched off (NN2CRN_NO_AUTO_WARMUP=1): it would run
in parallel with the timed commands, and the children write their .pyc files (as after
``pip install``) even where PYTHONDONTWRITEBYTECODE is set.
Run: python benchmarks/bench_crn_io.py [--quick] [--eval-only]
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

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _timing import machine_line  # noqa: E402
from nn2crn.compile import compile_network, reduce_crn  # noqa: E402
from nn2crn.crn import _crn_native, read_crn, write_crn  # noqa: E402
from nn2crn.crn import text as text_module  # noqa: E402
from nn2crn.nn import load_network, random_ternary_network, save_network  # noqa: E402
from nn2crn.simulate import stable_outputs  # noqa: E402

MODELS = Path(__file__).resolve().parents[1] / "src" / "nn2crn" / "models"
CLI = "from nn2crn.cli import main; raise SystemExit(main())"
# The same CLI with the numpy tokenizer as the only fast reader (the C scanner's fallback).
CLI_NUMPY = "from nn2crn.crn import text; text._FAST_READERS = ('numpy',); " + CLI
READERS = {"C": ("native",), "numpy": ("numpy",)}
ENV = {
    **{key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"},
    "NN2CRN_NO_AUTO_WARMUP": "1",
}


def read_against_write(widths: tuple[int, ...], repeats: int, work: Path) -> None:
    readers = [name for name in READERS if name != "C" or _crn_native.available()]
    heading = "".join(f" {'read ' + name:>9s} {name + '/write':>11s}" for name in readers)
    print(
        f"{'CRN':20s} {'product terms':>14s} {'write':>7s}{heading}   (best CPU seconds; wall in the second line)"
    )
    for width in widths:
        network = random_ternary_network((64, width, width, 10), rng=np.random.default_rng(width))
        compiled = compile_network(network)
        for label, crn in (("compiled", compiled), ("reduced", reduce_crn(compiled))):
            path = work / f"w{width}-{label}.crn"
            wall: dict[str, list[float]] = {name: [] for name in ("write", *readers)}
            cpu: dict[str, list[float]] = {name: [] for name in ("write", *readers)}
            for _ in range(repeats):
                for name in ("write", *readers):
                    start, cpu_start = time.perf_counter(), time.process_time()
                    if name == "write":
                        write_crn(crn, path)
                    else:
                        text_module._FAST_READERS = READERS[name]
                        back = read_crn(path)
                        text_module._FAST_READERS = READERS["C"] + READERS["numpy"]
                        # The reader that ran keeps the reactions as arrays (the per-line one does not).
                        assert back.n_reactions == crn.n_reactions and "reactions" not in back.__dict__
                        del back
                    wall[name].append(time.perf_counter() - start)
                    cpu[name].append(time.process_time() - cpu_start)
            terms = int(crn.product_terms.nnz)
            for times, unit in ((cpu, "CPU"), (wall, "wall")):
                best = {name: min(values) for name, values in times.items()}
                row = "".join(f" {best[name]:9.3f} {best[name] / best['write']:11.2f}" for name in readers)
                title = f"W = {width} {label}" if unit == "CPU" else "  (wall)"
                count = f"{terms:14,d}" if unit == "CPU" else " " * 14
                print(f"{title:20s} {count} {best['write']:7.3f}{row}")


def run_child(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one fresh process running `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, env=ENV, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def fresh(arguments: list[str], repeats: int, code: str = CLI) -> tuple[float, float]:
    """Best wall and CPU seconds of `repeats` fresh CLI processes."""
    runs = [run_child([sys.executable, "-c", code, *arguments]) for _ in range(repeats)]
    return min(wall for wall, _ in runs), min(cpu for _, cpu in runs)


def eval_row(work: Path, repeats: int) -> dict[str, float]:
    """`nn2crn eval` of 10,000 rows through the MNIST 196-64-10 compiled CRN, fresh processes,
    against 3 x the in-process evaluation + a bare numpy start-up, all in the same run.

    Each round runs, interleaved: `python -c "import numpy"`, `nn2crn --version`, the eval
    command, and the in-process `stable_outputs` (plan included) of the same rows in this
    process. Medians over the rounds (after one untimed round); CPU = user + system (the
    evaluator runs a worker thread per core, so its CPU time may exceed its wall time).
    """
    crn_path, inputs = work / "mnist.crn", work / "x10k.csv"
    crn = compile_network(load_network(MODELS / "mnist-196-64-10-ternary.json"))
    write_crn(crn, crn_path)
    values = np.random.default_rng(0).uniform(0, 1, size=(10_000, crn.n_inputs))
    np.savetxt(inputs, values, delimiter=",", header=",".join(crn.input_names), comments="", fmt="%.6g")
    back = read_crn(crn_path)
    loaded = np.loadtxt(inputs, delimiter=",", skiprows=1)
    commands = {
        "numpy": [sys.executable, "-c", "import numpy"],
        "version": [sys.executable, "-c", CLI, "--version"],
        "eval": [
            sys.executable,
            "-c",
            CLI,
            "eval",
            str(crn_path),
            "--inputs",
            str(inputs),
            "-o",
            str(work / "y.csv"),
        ],
    }
    samples: dict[str, list[tuple[float, float]]] = {
        name: [] for name in (*commands, "in-process", "in-process with I/O")
    }
    for round_number in range(repeats + 1):
        timed: dict[str, tuple[float, float]] = {name: run_child(argv) for name, argv in commands.items()}
        start, cpu = time.perf_counter(), time.process_time()
        stable_outputs(back, loaded)
        timed["in-process"] = (time.perf_counter() - start, time.process_time() - cpu)
        # The same job as a library user writes it: numpy reads the CSV and writes the outputs.
        start, cpu = time.perf_counter(), time.process_time()
        rows = np.loadtxt(inputs, delimiter=",", skiprows=1)
        np.savetxt(work / "y-library.csv", stable_outputs(back, rows), delimiter=",")
        timed["in-process with I/O"] = (time.perf_counter() - start, time.process_time() - cpu)
        if round_number:  # the first round fills the OS file cache and writes the .pyc files
            for name, value in timed.items():
                samples[name].append(value)
    result = {}
    for name, values in samples.items():
        result[f"{name} wall"] = statistics.median(wall for wall, _ in values)
        result[f"{name} cpu"] = statistics.median(cpu for _, cpu in values)
    for kind in ("wall", "cpu"):
        result[f"goal {kind}"] = 3 * result[f"in-process {kind}"] + result[f"numpy {kind}"]
        result[f"goal with I/O {kind}"] = 3 * result[f"in-process with I/O {kind}"] + result[f"numpy {kind}"]
    return result


def print_eval_row(result: dict[str, float], repeats: int) -> None:
    print(
        f"\nnn2crn eval of 10,000 rows, MNIST 196-64-10 compiled CRN (medians of {repeats} interleaved rounds):"
    )
    print(f"  {'':40s} {'wall s':>7s} {'CPU s':>7s}")
    for name, label in (
        ("numpy", 'start-up: python -c "import numpy"'),
        ("version", "nn2crn --version"),
        ("in-process", "in-process stable_outputs (plan included)"),
        ("goal", "goal: 3 x in-process + numpy start-up"),
        ("in-process with I/O", "in-process with np.loadtxt / np.savetxt"),
        ("goal with I/O", "goal: 3 x that + numpy start-up"),
        ("eval", "nn2crn eval, fresh process"),
    ):
        print(f"  {label:40s} {result[name + ' wall']:7.3f} {result[name + ' cpu']:7.3f}")
    for goal, reading in (("goal", "evaluation only"), ("goal with I/O", "with the library's own CSV I/O")):
        wall, cpu = result["eval wall"] / result[goal + " wall"], result["eval cpu"] / result[goal + " cpu"]
        verdict = "met" if max(wall, cpu) <= 1 else ("met in CPU time" if cpu <= 1 else "not met")
        print(f"  CLI / goal ({reading}): wall {wall:.2f}, CPU {cpu:.2f}: {verdict}")


def cli_rows(work: Path, repeats: int, quick: bool) -> None:
    rng = np.random.default_rng(0)
    rows: list[tuple[str, float, float, str]] = []
    result = eval_row(work, repeats)
    print_eval_row(result, repeats)
    rows.append(
        (
            "eval 10,000 rows (MNIST 196-64-10)",
            result["eval wall"],
            result["eval cpu"],
            f"goal <= {result['goal wall']:.2f} s wall / {result['goal cpu']:.2f} s CPU, "
            f"ratio {result['eval wall'] / result['goal wall']:.2f} / {result['eval cpu'] / result['goal cpu']:.2f}",
        )
    )
    # compile --reduce of 784-256-256-256-10 binary
    binary = work / "bin.json"
    save_network(random_ternary_network((784, 256, 256, 256, 10), rng=rng, binary=True), binary)
    wall, cpu = fresh(["compile", str(binary), "--reduce", "-o", str(work / "bin-reduced.crn")], repeats)
    rows.append(("compile --reduce 784-256-256-256-10", wall, cpu, f"goal < 2 s, ratio {wall / 2:.2f}"))
    # export --to sbml of a 4000-wide network
    wide = work / "w4000.crn"
    write_crn(compile_network(random_ternary_network((64, 4000, 10), rng=rng)), wide)
    wall, cpu = fresh(["export", str(wide), "--to", "sbml", "-o", str(work / "w4000.xml"), "-q"], repeats)
    rows.append(("export --to sbml 64-4000-10", wall, cpu, f"goal < 10 s, ratio {wall / 10:.2f}"))
    if not quick:
        # check of a reduced 1024-1024-1024-10 CRN (6.4 M product terms)
        deep = work / "d1024-reduced.crn"
        big = reduce_crn(compile_network(random_ternary_network((1024, 1024, 1024, 10), rng=rng)))
        terms = int(big.product_terms.nnz)
        write_crn(big, deep)
        del big
        for name, code in (("C", CLI), ("numpy", CLI_NUMPY)):
            if name == "C" and not _crn_native.available():
                continue
            wall, cpu = fresh(["check", str(deep)], 2, code)
            rows.append(
                (
                    f"check reduced 1024-1024-1024-10 ({terms / 1e6:.2f} M terms), {name} reader",
                    wall,
                    cpu,
                    f"goal < 5 s, ratio {wall / 5:.2f}",
                )
            )
    print(f"\n{'CLI command (fresh process)':66s} {'wall s':>7s} {'CPU s':>7s}  against the goal")
    for name, wall, cpu, note in rows:
        print(f"{name:66s} {wall:7.2f} {cpu:7.2f}  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="W = 1024 only; no 6.4 M-term check")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--eval-only", action="store_true", help="only the eval row (default 7 rounds)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_crn_io_"))
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    where = _crn_native._load()
    print(
        f"reader: C scanner {where._name if where is not None else 'not built'}; "
        "CLI rows use it (else numpy) unless they say otherwise"
    )
    if args.eval_only:
        repeats = 7 if "--repeats" not in sys.argv else args.repeats
        print_eval_row(eval_row(work, repeats), repeats)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        print(machine_line())
        return
    read_against_write((1024,) if args.quick else (1024, 2048), args.repeats, work)
    cli_rows(work, args.repeats, args.quick)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(machine_line())


if __name__ == "__main__":
    main()
