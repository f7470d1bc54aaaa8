"""Core speed goals (issue: core compiler, reducer, exact evaluator).

1. Exact evaluation of 10,000 inputs through the compiled and the reduced CRN
   of a 196-64-10 ternary network, against the numpy forward pass of the same
   network, timed side by side (interleaved, median of 7). Goal: <= 3x.
2. Compile + reduce of a 784-256-256-256-10 binary network. Goal: < 2 s.
   (For scale: libroadrunner takes about 60 s just to load a 730-species CRN
   on this machine.)

Run: python benchmarks/bench_core.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _timing import machine_line, time_side_by_side  # noqa: E402
from nn2crn.compile import compile_network, reduce_crn  # noqa: E402
from nn2crn.crn import check_crn  # noqa: E402
from nn2crn.nn import random_ternary_network  # noqa: E402
from nn2crn.simulate import plan_exact, stable_outputs  # noqa: E402


def main() -> None:
    rng = np.random.default_rng(0)
    network = random_ternary_network((196, 64, 10), rng=rng)
    inputs = rng.normal(size=(10_000, 196))
    compiled = compile_network(network)
    reduced = reduce_crn(compiled)
    plans = {"compiled": plan_exact(compiled), "reduced": plan_exact(reduced)}
    expected = network.forward(inputs)
    for name, crn in (("compiled", compiled), ("reduced", reduced)):
        error = np.abs(stable_outputs(crn, inputs, plan=plans[name]) - expected).max()
        print(
            f"{name:9s} CRN: {crn.n_species} species, {crn.n_reactions} reactions, max |CRN - NN| = {error:.2g}"
        )

    candidates = {
        "numpy forward": lambda: network.forward(inputs),
        "exact compiled": lambda: stable_outputs(compiled, inputs, plan=plans["compiled"]),
        "exact reduced": lambda: stable_outputs(reduced, inputs, plan=plans["reduced"]),
        "exact compiled incl. plan": lambda: stable_outputs(compiled, inputs),
        "exact reduced incl. plan": lambda: stable_outputs(reduced, inputs),
    }
    medians = time_side_by_side(candidates, repeats=15)
    minima = time_side_by_side(candidates, repeats=15, statistic="min")
    print("\nExact evaluation of 10,000 inputs, 196-64-10 ternary (15 interleaved runs each):")
    print(f"  {'':28s} {'median':>9s} {'ratio':>6s}   {'min':>9s} {'ratio':>6s}")
    for name in candidates:
        print(
            f"  {name:28s} {medians[name] * 1e3:6.1f} ms {medians[name] / medians['numpy forward']:5.2f}x"
            f"   {minima[name] * 1e3:6.1f} ms {minima[name] / minima['numpy forward']:5.2f}x"
        )
    print("  goal: exact evaluation <= 3x the numpy forward pass")

    big = random_ternary_network((784, 256, 256, 256, 10), rng=rng, binary=True)
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        crn = compile_network(big)
        middle = time.perf_counter()
        small = reduce_crn(crn)
        runs.append((middle - start, time.perf_counter() - middle))
    compile_time, reduce_time = min(runs, key=sum)
    report = check_crn(small)
    print("\nCompile + reduce 784-256-256-256-10 binary (best of 3):")
    print(f"  compile {compile_time:.2f} s ({crn.n_species} species, {crn.n_reactions} reactions)")
    print(
        f"  reduce  {reduce_time:.2f} s ({small.n_species} species, {small.n_reactions} reactions, "
        f"{report.product_terms} product terms, largest coefficient {report.max_coefficient})"
    )
    print(
        f"  total   {compile_time + reduce_time:.2f} s   goal < 2 s   ratio vs goal {(compile_time + reduce_time) / 2:.2f}"
    )
    print(machine_line())


if __name__ == "__main__":
    main()
