"""Training accuracy and speed goals (issue 3: datasets and training).

Trains each registered run (``nn2crn.nn.runs.RUNS``, the settings that produced
the shipped models, as in the ``nn2crn train`` commands of ``src/nn2crn/models/README.md``)
and compares with:

* the authors' reference result (PAPER.md): IRIS 4-8-3 binary 94.0%, IRIS 4-3-3
  ternary 98.0%, virus 10-8-4 ternary 98/100, MNIST 196-64-10 ternary 93/100;
* the accuracy goals: >= 95%, >= 98%, >= 97% of the 104 test examples,
  >= 90% of the 1,000 sample test digits;
* the time goals on this 2-core CPU: iris and virus < 60 s, mnist sample < 5 min.

It also checks that the retrained network equals the shipped one (same seed,
same versions => same weights). Warm-up: one short training run, so torch's
import and first-call costs are not timed. Times are wall clock of the
training loop (``TrainResult.seconds``) plus data loading.

Run: python benchmarks/bench_train.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import machine_line  # noqa: E402
from nn2crn.datasets import load_dataset  # noqa: E402
from nn2crn.nn import load_shipped_model  # noqa: E402
from nn2crn.nn.runs import RUNS  # noqa: E402
from nn2crn.nn.train import TrainConfig, train_network  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="run (model) names to train")
    args = parser.parse_args()

    import torch

    train_network(load_dataset("iris"), TrainConfig(epochs=3))  # warm-up
    print(
        f"{'model':26s} {'split':5s} {'accuracy':>17s} {'goal':>6s} {'authors':>30s} "
        f"{'time':>8s} {'goal':>6s} {'ratio':>6s}  same as shipped"
    )
    for run in RUNS:
        if args.only and run.name not in args.only:
            continue
        start = time.perf_counter()
        dataset = load_dataset(run.dataset, **run.loader_options)
        result = train_network(dataset, run.config)
        seconds = time.perf_counter() - start
        correct, total = result.counts[run.goal_split]
        accuracy = correct / total
        same = result.network == load_shipped_model(run.name)
        verdict = "ok" if accuracy >= run.goal else "BELOW GOAL"
        print(
            f"{run.name:26s} {run.goal_split:5s} {correct:>5d}/{total:<5d}{accuracy:6.1%} "
            f"{run.goal:>6.0%} {run.paper_nn.split(' (')[0]:>30s} {seconds:7.1f}s {run.seconds_goal:5.0f}s "
            f"{seconds / run.seconds_goal:6.2f}  {same}  {verdict}"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        machine_line() + f", torch {torch.__version__} ({torch.get_num_threads()} threads; training uses 1), "
        f"load average {load:.1f}"
    )


if __name__ == "__main__":
    main()
