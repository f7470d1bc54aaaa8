"""``nn2crn compile --reduce`` of a 784-256-256-256-10 binary network, fresh processes (issue 12).

Goal: under 2 s wall, writing the file. Every repeat runs the CLI in a fresh process
(``.pyc`` written first, background kernel warm-up off), interleaved with the same command
on each ``--against`` source tree (e.g. ``/work/main``, run with ``PYTHONPATH`` on its
``src``), so that load from other processes hits all alike. Prints median and best wall
and CPU (user + system) seconds, the ratio to each baseline, whether the files written
are byte-identical, and the load average before and after.

Run: python benchmarks/bench_reduce_cli.py [--repeats 5] [--against /work/main]
"""

from __future__ import annotations

import argparse
import filecmp
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
from nn2crn.nn import random_ternary_network, save_network  # noqa: E402

HERE = Path(__file__).resolve().parents[1]


def run(tree: Path, model: Path, output: Path) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "NN2CRN_NO_AUTO_WARMUP": "1"}
    command = [sys.executable, "-m", "nn2crn", "compile", str(model), "--reduce", "-o", str(output)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=tree, env=env, check=True, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--against", type=Path, action="append", default=[], help="a baseline source tree")
    arguments = parser.parse_args()
    print(machine_line())
    trees = {"this tree": HERE, **{str(tree): tree.resolve() for tree in arguments.against}}
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        model = work / "bin.json"
        network = random_ternary_network((784, 256, 256, 256, 10), rng=np.random.default_rng(0), binary=True)
        save_network(network, model)
        outputs = {name: work / f"out{k}.crn" for k, name in enumerate(trees)}
        for name, tree in trees.items():  # untimed: writes the .pyc files
            run(tree, model, outputs[name])
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in trees}
        for _ in range(arguments.repeats):
            for name, tree in trees.items():
                wall, cpu = run(tree, model, outputs[name])
                times[name][0].append(wall)
                times[name][1].append(cpu)
        print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        mine = statistics.median(times["this tree"][0])
        for name, (walls, cpus) in times.items():
            line = (
                f"{name:20s} wall median {statistics.median(walls):.2f} s (best {min(walls):.2f}), "
                f"CPU median {statistics.median(cpus):.2f} s (best {min(cpus):.2f})"
            )
            if name != "this tree":
                same = filecmp.cmp(outputs[name], outputs["this tree"], shallow=False)
                line += f"; {statistics.median(walls) / mine:.2f}x this tree's wall; file identical: {same}"
            print(line)
        print(f"goal < 2 s wall: {'met' if mine < 2 else 'not met'} ({mine:.2f} s median)")


if __name__ == "__main__":
    main()
