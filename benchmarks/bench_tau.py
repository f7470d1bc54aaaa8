"""Tau-leaping against the exact SSA at high copy numbers, side by side, in process and from the CLI.

Anchor: nn2crn's exact SSA (Gillespie's direct method, numba), itself 5-35x rebop
(bench_ssa.py). Goal (issue 12): ``simulate_ssa(method="tau-leap")`` at least 10x
faster than the exact SSA at V = 1e4 and 1e5 on the shipped virus (10-8-4) and
MNIST (196-64-10) models, compiled, to t_end = 50 with 101 sample times.

Both methods simulate the same inputs with the same seed, one thread, after a
warm-up call that loads the numba kernels. Times are CPU seconds (user + system;
wall time in parentheses for the CLI): on this shared machine wall time mostly
measures waiting for a core. The exact SSA's cost grows with V (its
events do); when its predicted time (tau-leap's event count times the exact SSA's
measured seconds per event at the smaller volume) exceeds ``--max-exact-seconds``,
it is not run and that figure is printed with a "~" as an extrapolation.
"From the CLI" runs ``nn2crn simulate`` in a fresh process (numba's cache warm),
writing the CSV, for both methods.

Accuracy: at t_end the compiled CRNs have (nearly) reached their exact stable
outputs; both methods' largest deviation from them is printed (amount units).

Run: python benchmarks/bench_tau.py [--virus-inputs 4] [--mnist-inputs 1] [--max-exact-seconds 120]
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

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _timing import machine_line  # noqa: E402
from nn2crn.compile import compile_network  # noqa: E402
from nn2crn.crn import write_crn  # noqa: E402
from nn2crn.datasets import load_dataset  # noqa: E402
from nn2crn.nn import load_network  # noqa: E402
from nn2crn.simulate import stable_outputs  # noqa: E402
from nn2crn.simulate.ssa import simulate_ssa  # noqa: E402

MODELS = Path(__file__).resolve().parents[1] / "src" / "nn2crn" / "models"
T_END = 50.0
VOLUMES = (1e4, 1e5)


def load_case(name: str, n_inputs: int):
    if name == "virus":
        network = load_network(MODELS / "virus-10-8-4-ternary.json")
        inputs = network.transform(load_dataset("virus").x_test[:n_inputs])
    else:
        network = load_network(MODELS / "mnist-196-64-10-ternary.json")
        inputs = network.transform(load_dataset("mnist", source="sample").x_test[:n_inputs])
    return compile_network(network), np.asarray(inputs, dtype=np.float64)


def run_in_process(crn, inputs, volume: float, method: str):
    """(CPU seconds, trajectory); one thread, so CPU time is the kernel's time without the machine's load."""
    start = time.process_time()
    trajectory = simulate_ssa(
        crn, inputs, volume=volume, t_end=T_END, method=method, store="outputs", seed=1, n_threads=1
    )
    return time.process_time() - start, trajectory


def run_cli(crn_path: Path, inputs_path: Path, volume: float, method: str, out: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of ``nn2crn simulate`` in a fresh process, one numba thread."""
    command = [sys.executable, "-c", "from nn2crn.cli import main; main()", "simulate", str(crn_path)]
    command += ["--inputs", str(inputs_path), "--method", method, "--volume", str(volume)]
    command += ["--t-end", str(T_END), "--seed", "1", "-q", "-o", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, "NUMBA_NUM_THREADS": "1"})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--virus-inputs", type=int, default=4)
    parser.add_argument("--mnist-inputs", type=int, default=1)
    parser.add_argument("--max-exact-seconds", type=float, default=120.0)
    args = parser.parse_args()
    import numba

    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="bench_tau_"))
    summary = []
    for name, n_inputs in (("virus", args.virus_inputs), ("mnist", args.mnist_inputs)):
        crn, inputs = load_case(name, n_inputs)
        crn_path = work / f"{name}.crn"
        write_crn(crn, crn_path)
        inputs_path = work / f"{name}.csv"
        with open(inputs_path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(crn.input_names)
            writer.writerows([[repr(float(v)) for v in row] for row in inputs])
        stable = stable_outputs(crn, inputs)
        for method in ("direct", "tau-leap"):
            # Warm-up: load or compile the kernels, and run their leaping paths once (at V = 10
            # tau-leaping takes exact steps only, and its first real leaps then paid ~50% extra).
            simulate_ssa(
                crn, inputs[:1], volume=VOLUMES[0], t_end=1.0, method=method, store="outputs", n_threads=1
            )
        print(f"\n== {name}: {crn.n_species} species, {crn.n_reactions} reactions, {n_inputs} inputs ==")
        seconds_per_event = None
        for volume in VOLUMES:
            tau_seconds, tau_run = run_in_process(crn, inputs, volume, "tau-leap")
            events = int(tau_run.stats.events.sum())
            predicted = None if seconds_per_event is None else events * seconds_per_event
            measured = predicted is None or predicted <= args.max_exact_seconds
            if measured:
                exact_seconds, exact_run = run_in_process(crn, inputs, volume, "direct")
                seconds_per_event = exact_seconds / max(int(exact_run.stats.events.sum()), 1)
                exact_error = float(np.abs(exact_run.final_outputs - stable).max())
            else:
                exact_seconds, exact_error = float(predicted), float("nan")
            tau_error = float(np.abs(tau_run.final_outputs - stable).max())
            mark = "" if measured else "~"
            ratio = exact_seconds / tau_seconds
            print(
                f"  V = {volume:.0e}: exact {mark}{exact_seconds / n_inputs:8.3f} s/input "
                f"({events / n_inputs:.3g} events/input), tau-leap {tau_seconds / n_inputs:8.3f} s/input, "
                f"in process x{ratio:6.1f}{'' if measured else ' (exact extrapolated)'}"
            )
            print(f"      max |output - stable| at t_end: exact {exact_error:.2e}, tau-leap {tau_error:.2e}")
            tau_wall, tau_cli = run_cli(crn_path, inputs_path, volume, "tau-leap", work / "tau.csv")
            exact_wall, exact_cli = float("nan"), float("nan")
            if measured:
                exact_wall, exact_cli = run_cli(crn_path, inputs_path, volume, "ssa", work / "ssa.csv")
            print(
                f"      CLI fresh process, CPU (wall): exact {exact_cli:7.2f} s ({exact_wall:6.2f}), "
                f"tau-leap {tau_cli:7.2f} s ({tau_wall:6.2f}), x{exact_cli / tau_cli:6.1f}"
            )
            summary.append((name, volume, ratio, measured, exact_cli / tau_cli))
    print("\nSummary: exact SSA time / tau-leap time (goal >= 10)")
    for name, volume, ratio, measured, cli in summary:
        print(
            f"  {name:6s} V = {volume:.0e}: in process x{ratio:6.1f}{'' if measured else ' (extrapolated)'}, "
            f"CLI (CPU) x{cli:6.1f}"
        )
    print(f"tau-leap epsilon 0.03 (default), numba {numba.__version__}, 1 thread")
    print(machine_line())
    after = os.getloadavg()
    print(
        f"load average (1, 5, 15 min): {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} at the start, "
        f"{after[0]:.2f} {after[1]:.2f} {after[2]:.2f} at the end"
    )


if __name__ == "__main__":
    main()
