"""The figures of docs/dna.md's "Measured" section, printed as Markdown tables.

For the shipped IRIS, virus and MNIST models: DNA cost of the compiled and reduced CRN
under both schemes (``nn2crn.dna.cost.dna_cost``), and the DNA-level argmax agreement
of the compiled CRN (ssw2010, one CRN unit = 10 nM) with the network over 4 h for fuel
excess 2x, 10x, 100x and leak 0, 1, 10 /M/s (``nn2crn.studies.dna.fuel_leak_sweep``).
Verification times come from ``nn2crn dna verify`` (see docs/dna.md).

Run: python benchmarks/dna_measured.py [--rows N] [--models iris,virus] [--no-sweep]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _timing import machine_line  # noqa: E402
from nn2crn.compile import compile_network, reduce_crn  # noqa: E402
from nn2crn.datasets import load_dataset  # noqa: E402
from nn2crn.dna import translate  # noqa: E402
from nn2crn.dna.cost import dna_cost  # noqa: E402
from nn2crn.dna.verify import ShapeCache  # noqa: E402
from nn2crn.nn import load_shipped_model  # noqa: E402
from nn2crn.studies.dna import fuel_leak_sweep  # noqa: E402

MODELS = {
    "iris": ("iris-4-8-3-binary", "iris"),
    "virus": ("virus-10-8-4-ternary", "virus"),
    "mnist": ("mnist-196-64-10-ternary", "mnist"),
}


def _hours(value: float, times: tuple[float, ...]) -> str:
    # As the report: a decision at or before the first sample after 0 is only known to be <= it.
    if value == float("inf"):
        return "never"
    return f"<= {times[1]:.2f} h" if value <= times[1] else f"{value:.2f} h"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="iris,virus,mnist")
    parser.add_argument("--rows", type=int, default=0, help="Sweep rows per model (0: the whole test split).")
    parser.add_argument("--no-sweep", action="store_true")
    args = parser.parse_args()
    keys = args.models.split(",")
    print("| model | CRN | scheme | reactions | complexes | strands | nt | longest nt |")
    print("|---|---|---|---|---|---|---|---|")
    networks = {}
    for key in keys:
        name, _ = MODELS[key]
        network = load_shipped_model(name)
        compiled = compile_network(network)
        networks[key] = (network, compiled)
        for form, crn in (("compiled", compiled), ("reduced", reduce_crn(compiled))):
            for scheme in ("ssw2010", "qsw2011"):
                t = dna_cost(translate(crn, scheme)).total
                print(
                    f"| {name} | {form} | {scheme} | {t.n_reactions} | {t.complexes} | {t.strands} | "
                    f"{t.nucleotides} | {t.longest_nt} |"
                )
    if args.no_sweep:
        print(machine_line())
        return
    print()
    print(
        "| model | fuel | leak /M/s | 15 min | 1 h | 2 h | 4 h | median / max decision | max error | wall |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for key in keys:
        if key == "mnist":
            continue  # MNIST's DNA-level kinetics: the reproduce report (5 digits, fan-out <= 2)
        name, dataset_name = MODELS[key]
        network, compiled = networks[key]
        dataset = load_dataset(dataset_name)
        x = dataset.test.x
        if args.rows:
            x = x[: args.rows]
        values = network.transform(x)
        started = time.perf_counter()
        runs = fuel_leak_sweep(
            compiled, network.forward(values), values, hours=4.0, n_points=17, cache=ShapeCache()
        )
        for r in runs:
            picks = [int(np.argmin(np.abs(np.asarray(r.times_h) - t))) for t in (0.25, 1.0, 2.0, 4.0)]
            cells = " | ".join(str(r.agreement[k]) for k in picks)
            print(
                f"| {key} ({r.n_rows}) | {r.fuel_excess:g}x | {r.leak:g} | {cells} | "
                f"{_hours(r.decision_h_median, r.times_h)} / {_hours(r.decision_h_max, r.times_h)} | {r.max_error:.3f} | {r.seconds:.0f} s |"
            )
        print(f"<!-- {key}: sweep {time.perf_counter() - started:.0f} s -->")
    print(machine_line())


if __name__ == "__main__":
    main()
