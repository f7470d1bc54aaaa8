"""The JIT wait: first ``nn2crn simulate`` with an empty numba cache, warm, and after ``nn2crn warm-up``.

Goal (issue 12): the first ``nn2crn simulate`` after installing costs at most 1 s more
than a warm run; the first SSA call at least 3x rebop, cold.

Every figure is one fresh process (``nn2crn simulate`` through the CLI, writing its
CSV), on the shipped virus model (compiled) with 20 virus test inputs, t_end 50:
ODE, exact SSA at V = 1,000, tau-leaping at V = 1e5. Cache states, each with its own
``NUMBA_CACHE_DIR`` so that the package's own cache is not touched:

- cold: an empty cache (what a fresh install without the warm-up step sees);
- warm: the same cache again (every later run);
- after warm-up: a fresh empty cache, ``nn2crn warm-up`` run once (what an editable
  install now does, ``_build/nn2crn_backend.py``), then the command.

With ``--installed PYTHON`` (the interpreter of a fresh ``pip install -e .`` of a fresh
clone), each command also runs twice there, with that install's own cache: its very
first run after installing, then warm. The exact SSA runs on the C kernel that the
install compiles (``nn2crn.simulate._ssa_native``), which needs no numba cache at all.

The anchor for the SSA is rebop 0.9 in a fresh process (import and model building
included) on the same inputs and volume. Times are CPU seconds (user + system) with
wall seconds in parentheses: on this shared machine wall time mostly measures
waiting for a core.

Run: python benchmarks/bench_cold.py [--installed /path/to/fresh/venv/bin/python]
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import machine_line  # noqa: E402

MODELS = Path(__file__).resolve().parents[1] / "src" / "nn2crn" / "models"
CLI = "from nn2crn.cli import main; raise SystemExit(main())"
N_INPUTS = 20

REBOP = """
import sys, numpy as np, rebop
from nn2crn.crn import read_crn
crn = read_crn(sys.argv[1])
volume = float(sys.argv[3])
x = np.loadtxt(sys.argv[2], delimiter=",", skiprows=1, ndmin=2)
model = rebop.Gillespie()
for reaction in crn.reactions:
    reactants = [name for name, count in reaction.reactants for _ in range(count)]
    products = [name for name, count in reaction.products for _ in range(count)]
    model.add_reaction(reaction.rate / volume ** (len(reactants) - 1), reactants, products)
counts = np.rint(crn.initial_state(x) * volume).astype(np.int64)
for seed, row in enumerate(counts):
    init = {name: int(value) for name, value in zip(crn.species, row) if value}
    model.run(init, 50.0, 100, rng=seed, sparse=True)
"""


def measured(argv: list[str], cache: Path | None, cwd: Path | None = None) -> tuple[float, float]:
    """(CPU, wall) seconds of one fresh process; `cache` None: the installation's own numba cache."""
    env = dict(os.environ)
    env.pop("NUMBA_CACHE_DIR", None)
    if cache is not None:
        env["NUMBA_CACHE_DIR"] = str(cache)
    else:  # a fresh install: its own package, not this tree's
        env.pop("PYTHONPATH", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env, cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--installed", metavar="PYTHON", help="interpreter of a fresh `pip install -e .` (its first runs)"
    )
    arguments = parser.parse_args()
    import numba
    import rebop

    from nn2crn.compile import compile_network
    from nn2crn.crn import write_crn
    from nn2crn.datasets import load_dataset
    from nn2crn.nn import load_network

    work = Path(tempfile.mkdtemp(prefix="bench_cold_"))
    network = load_network(MODELS / "virus-10-8-4-ternary.json")
    crn = compile_network(network)
    crn_path, inputs_path = work / "virus.crn", work / "x.csv"
    write_crn(crn, crn_path)
    with open(inputs_path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(crn.input_names)
        writer.writerows(network.transform(load_dataset("virus").x_test[:N_INPUTS]).tolist())

    base = [
        sys.executable,
        "-c",
        CLI,
        "simulate",
        str(crn_path),
        "--inputs",
        str(inputs_path),
        "--t-end",
        "50",
    ]
    commands = {
        "ode": [*base, "-q", "-o", str(work / "ode.csv")],
        "ssa V=1e3": [*base, "--method", "ssa", "--volume", "1000", "-q", "-o", str(work / "ssa.csv")],
        "tau-leap V=1e5": [
            *base,
            "--method",
            "tau-leap",
            "--volume",
            "1e5",
            "-q",
            "-o",
            str(work / "tau.csv"),
        ],
    }
    print(f"load average at the start: {os.getloadavg()[0]:.2f}")
    print(f"virus CRN ({crn.n_species} species, {crn.n_reactions} reactions), {N_INPUTS} inputs, t_end 50")
    print(f"{'command':16s} {'cold':>16s} {'warm':>16s} {'after warm-up':>16s} {'cold - warm':>12s}")
    # One install step for all commands: each command's first run after it is still its first run.
    installed_cache = Path(tempfile.mkdtemp(prefix="numba_installed_", dir=work))
    warmup_cost = measured([sys.executable, "-c", CLI, "warm-up", "-q"], installed_cache)
    print(f"(the warm-up step itself: {warmup_cost[0]:.1f} s CPU, {warmup_cost[1]:.1f} s wall)")
    results = {}
    for name, argv in commands.items():
        cold_cache = Path(tempfile.mkdtemp(prefix="numba_cold_", dir=work))
        cold = measured(argv, cold_cache)
        warm = measured(argv, cold_cache)
        after = measured(argv, installed_cache)
        results[name] = (cold, warm, after)
        print(
            f"{name:16s} {cold[0]:7.2f} ({cold[1]:6.2f}) {warm[0]:7.2f} ({warm[1]:6.2f}) "
            f"{after[0]:7.2f} ({after[1]:6.2f}) {cold[0] - warm[0]:12.2f}"
        )
    installed = {}
    if arguments.installed:
        print(
            f"\nfresh install ({arguments.installed}), its own cache: first run after installing, then again"
        )
        for name, argv in commands.items():
            first = measured([arguments.installed, *argv[1:]], None, cwd=work)
            again = measured([arguments.installed, *argv[1:]], None, cwd=work)
            installed[name] = (first, again)
            print(
                f"{name:16s} first {first[0]:7.2f} ({first[1]:6.2f})  again {again[0]:7.2f} ({again[1]:6.2f})  "
                f"first - again {first[0] - again[0]:+.2f} s"
            )
    rebop_cpu, rebop_wall = measured(
        [sys.executable, "-c", REBOP, str(crn_path), str(inputs_path), "1000"], work / "unused"
    )
    cold, warm, after = results["ssa V=1e3"]
    print(f"\nrebop fresh process, same 20 inputs at V = 1e3: {rebop_cpu:.2f} s CPU ({rebop_wall:.2f} wall)")
    print(
        f"first SSA command vs rebop (CPU): cold x{rebop_cpu / cold[0]:.2f}, after warm-up "
        f"x{rebop_cpu / after[0]:.2f}, warm x{rebop_cpu / warm[0]:.2f}"
    )
    print(
        f"after warm-up minus warm (goal <= 1 s): {', '.join(f'{n} {r[2][0] - r[1][0]:+.2f} s' for n, r in results.items())}"
    )
    if installed:
        first, again = installed["ssa V=1e3"]
        print(
            f"fresh install, first SSA command vs rebop (CPU): x{rebop_cpu / first[0]:.2f} "
            f"(again x{rebop_cpu / again[0]:.2f})"
        )
    print(f"numba {numba.__version__}, rebop {rebop.__version__}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print(machine_line())


if __name__ == "__main__":
    main()
