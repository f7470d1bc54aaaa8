"""Exact stochastic simulation: nn2crn's SSA against rebop 0.9 (Rust Gillespie), side by side.

Anchor (issue 5, measured on this machine): rebop on the authors' virus CRN
(10-8-4 ternary, 68 species, 52 reactions, t_end 50) takes 53 ms per input at
V = 100 and 306 ms at V = 1,000; on the authors' MNIST CRN (196-64-10, 732
species, 648 reactions) at V = 10, 7.6 s per input.
Goal: nn2crn at least as fast as rebop in reaction events per second, and faster
per input over a batch of inputs.

CRNs: the shipped models (``src/nn2crn/models/virus-10-8-4-ternary.json`` with the
virus test inputs, an MNIST 196-64-10 model with MNIST test digits) when present,
else random ternary networks of the same shapes (same species and reaction counts)
with standard-normal inputs.

For each case, every input is simulated once to t_end with 101 sample times by

- rebop, default call (``Gillespie.run(init, t_end, 100)``; rebop picks its dense
  or sparse representation), and rebop with ``sparse=True`` (its faster mode here);
- nn2crn, one call per input, one thread (like for like with rebop);
- nn2crn, one call for the whole batch, 1 thread and 2 threads.

rebop does not report its event count; it is recovered exactly from the final state
(each reaction's firings solve ``N^T f = x_end - x_0``, N of full row rank here).
Events differ per seed, so the comparison is in events per second; times per input
are also printed. nn2crn's first call loads (or compiles) the numba kernel; that
warm-up is excluded and reported separately.

Run: python benchmarks/bench_ssa.py [--quick]   (--quick skips rebop's slow default
mode on the MNIST-sized CRN, ~30 s per input)
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _timing import machine_line  # noqa: E402
from nn2crn.compile import compile_network  # noqa: E402
from nn2crn.crn import CRN  # noqa: E402
from nn2crn.nn import load_network, random_ternary_network  # noqa: E402
from nn2crn.simulate.ssa import initial_counts, simulate_ssa  # noqa: E402

MODELS = Path(__file__).resolve().parents[1] / "src" / "nn2crn" / "models"
T_END = 50.0
N_SAMPLES = 101


@dataclass
class Case:
    name: str
    crn: CRN
    inputs: np.ndarray
    volume: float
    source: str


def _shipped(pattern: str) -> Path | None:
    found = sorted(MODELS.glob(pattern)) if MODELS.is_dir() else []
    return found[0] if found else None


def load_cases(n_virus: int, n_mnist: int) -> list[Case]:
    rng = np.random.default_rng(2020)
    virus_path = _shipped("virus-10-8-4*.json")
    if virus_path is not None:
        from nn2crn.datasets import load_dataset

        network = load_network(virus_path)
        inputs = network.transform(load_dataset("virus").x_test[:n_virus])
        virus_source = f"shipped {virus_path.name}, virus test inputs"
    else:
        network = random_ternary_network((10, 8, 4), rng=rng)
        inputs = rng.normal(size=(n_virus, 10))
        virus_source = "random 10-8-4 ternary network, N(0,1) inputs"
    virus = compile_network(network)
    mnist_path = _shipped("mnist-196-64-10*.json")
    if mnist_path is not None:
        from nn2crn.datasets import load_dataset

        network = load_network(mnist_path)
        inputs_mnist = network.transform(load_dataset("mnist", source="sample").x_test[:n_mnist])
        mnist_source = f"shipped {mnist_path.name}, MNIST test digits"
    else:
        network = random_ternary_network((196, 64, 10), rng=rng)
        inputs_mnist = rng.normal(size=(n_mnist, 196))
        mnist_source = "random 196-64-10 ternary network, N(0,1) inputs"
    mnist = compile_network(network)
    return [
        Case("virus-sized, V=100", virus, inputs, 100.0, virus_source),
        Case("virus-sized, V=1000", virus, inputs, 1000.0, virus_source),
        Case("MNIST-sized, V=10", mnist, inputs_mnist, 10.0, mnist_source),
    ]


class RebopRunner:
    """rebop model of a CRN at volume V (bimolecular k -> k / V, as nn2crn's convention)."""

    def __init__(self, crn: CRN, volume: float) -> None:
        import rebop

        self.crn = crn
        self.model = rebop.Gillespie()
        for reaction in crn.reactions:
            reactants = [name for name, count in reaction.reactants for _ in range(count)]
            products = [name for name, count in reaction.products for _ in range(count)]
            self.model.add_reaction(reaction.rate / volume ** (len(reactants) - 1), reactants, products)
        self.pinv = np.linalg.pinv(crn.stoichiometry.toarray().T)  # (n_reactions, n_species)

    def run(self, counts: np.ndarray, seed: int, sparse: bool | None) -> tuple[float, int]:
        """(seconds, events) of one run from `counts` to T_END."""
        init = {name: int(value) for name, value in zip(self.crn.species, counts, strict=True) if value}
        start = time.perf_counter()
        result = self.model.run(init, T_END, N_SAMPLES - 1, rng=seed, sparse=sparse)
        elapsed = time.perf_counter() - start
        final = np.array(
            [
                result[name].values[-1] if name in result else counts[i]
                for i, name in enumerate(self.crn.species)
            ],
            dtype=np.float64,
        )
        firings = self.pinv @ (final - counts)
        if np.abs(firings - np.rint(firings)).max() > 1e-6:
            raise RuntimeError("could not recover rebop's event count from its final state")
        return elapsed, int(np.rint(firings).sum())


def bench_rebop(case: Case, sparse: bool | None, n_inputs: int) -> tuple[float, int, int]:
    """(total seconds, total events, inputs) for rebop over the first `n_inputs` inputs."""
    runner = RebopRunner(case.crn, case.volume)
    counts, _ = initial_counts(case.crn, case.inputs[:n_inputs], volume=case.volume)
    runner.run(counts[0], 0, sparse)  # warm-up
    seconds, events = 0.0, 0
    for index, row in enumerate(counts):
        elapsed, fired = runner.run(row, index + 1, sparse)
        seconds += elapsed
        events += fired
    return seconds, events, len(counts)


def bench_nn2crn(case: Case, *, batched: bool, n_threads: int) -> tuple[float, int, int]:
    kwargs = dict(volume=case.volume, t_end=T_END, n_points=N_SAMPLES, n_threads=n_threads)
    if batched:
        start = time.perf_counter()
        trajectory = simulate_ssa(case.crn, case.inputs, seed=1, **kwargs)
        return time.perf_counter() - start, int(trajectory.stats.events.sum()), len(case.inputs)
    seconds, events = 0.0, 0
    for index, row in enumerate(case.inputs):
        start = time.perf_counter()
        trajectory = simulate_ssa(case.crn, row[None, :], seed=index + 1, **kwargs)
        seconds += time.perf_counter() - start
        events += int(trajectory.stats.events.sum())
    return seconds, events, len(case.inputs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="skip rebop's default mode on the MNIST-sized CRN"
    )
    parser.add_argument("--virus-inputs", type=int, default=20)
    parser.add_argument("--mnist-inputs", type=int, default=4)
    args = parser.parse_args()

    import numba
    import rebop

    cases = load_cases(args.virus_inputs, args.mnist_inputs)
    start = time.perf_counter()
    simulate_ssa(cases[0].crn, cases[0].inputs[:1], volume=10.0, t_end=1.0)
    print(f"nn2crn kernel warm-up (load or compile): {time.perf_counter() - start:.2f} s")

    summary = []
    for case in cases:
        print(
            f"\n== {case.name}: {case.crn.n_species} species, {case.crn.n_reactions} reactions, t_end {T_END:g} "
            f"({case.source}) =="
        )
        rows: dict[str, tuple[float, int, int]] = {}
        mnist = case.crn.n_species > 200
        if not (mnist and args.quick):
            rows["rebop default"] = bench_rebop(case, None, 1 if mnist else len(case.inputs))
        rows["rebop sparse=True"] = bench_rebop(case, True, len(case.inputs))
        rows["nn2crn per input, 1 thread"] = bench_nn2crn(case, batched=False, n_threads=1)
        rows["nn2crn batch, 1 thread"] = bench_nn2crn(case, batched=True, n_threads=1)
        rows["nn2crn batch, 2 threads"] = bench_nn2crn(case, batched=True, n_threads=2)
        best_rebop = max(
            (events / seconds for name, (seconds, events, _) in rows.items() if name.startswith("rebop")),
        )
        best_rebop_input = min(
            seconds / n for name, (seconds, _, n) in rows.items() if name.startswith("rebop")
        )
        for name, (seconds, events, n) in rows.items():
            rate = events / seconds
            print(
                f"  {name:28s} {seconds / n * 1e3:9.2f} ms/input  {events / n:9.0f} events/input  "
                f"{rate / 1e6:6.2f} M events/s  x{rate / best_rebop:5.2f} vs best rebop (events/s), "
                f"x{best_rebop_input / (seconds / n):6.2f} (time/input)"
            )
        ours = rows["nn2crn per input, 1 thread"]
        summary.append(
            (
                case.name,
                (ours[1] / ours[0]) / best_rebop,
                best_rebop_input / (rows["nn2crn batch, 2 threads"][0] / len(case.inputs)),
            )
        )

    print("\nSummary (ratios > 1 mean nn2crn is faster than the best rebop mode):")
    for name, events_ratio, batch_ratio in summary:
        print(
            f"  {name:22s} events/s, 1 thread, per-input calls: x{events_ratio:5.2f}   "
            f"time per input, batch on 2 threads: x{batch_ratio:6.2f}"
        )
    print(f"rebop {rebop.__version__}, numba {numba.__version__}")
    print(machine_line())


if __name__ == "__main__":
    main()
