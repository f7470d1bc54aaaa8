"""The MNIST CNN (issue 11): compile time, and exact evaluation against the forward pass.

1. Compile (and reduce) the ``cnn`` experiment's CNN, ``mnist-14x14-conv16-64-10-ternary``
   (conv 16x3x3 -> ReLU -> maxpool 2 -> dense 64 -> ReLU -> dense 10). Goal: compile < 2 s.
2. Exact evaluation of the 10,000 bundled 14x14 digits through the compiled
   and the reduced CRN, timed side by side (interleaved) with the numpy forward
   pass and the torch CPU forward pass of the same CNN. Goal: <= 3x.
3. The same from the user's point of view, each in a fresh process:
   ``nn2crn compile`` and ``nn2crn eval`` against a fresh Python process that
   loads the model and runs the numpy forward pass on the same CSV.

Run: python benchmarks/bench_cnn.py [MODEL]   (default: the ``cnn`` experiment's model;
e.g. ``mnist-14x14-conv8-ternary`` for the first, smaller CNN)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _timing import machine_line, time_side_by_side  # noqa: E402
from nn2crn.compile import compile_network, reduce_crn  # noqa: E402
from nn2crn.datasets import load_dataset  # noqa: E402
from nn2crn.nn import load_shipped_model, shipped_model_path  # noqa: E402
from nn2crn.nn.runs import ALL_EXPERIMENTS  # noqa: E402
from nn2crn.simulate import plan_exact, stable_outputs  # noqa: E402

MODEL = ALL_EXPERIMENTS["cnn"].name


def fresh_process(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - start


def main(model: str = MODEL) -> None:
    network = load_shipped_model(model)
    data = load_dataset("mnist", source="sample", download=False)
    raw = np.concatenate([split.x for split in data.splits().values()])[:10_000]
    inputs = network.transform(raw)

    runs = []
    for _ in range(3):
        start = time.perf_counter()
        compiled = compile_network(network)
        middle = time.perf_counter()
        reduced = reduce_crn(compiled)
        runs.append((middle - start, time.perf_counter() - middle))
    compile_time, reduce_time = min(runs, key=sum)
    print(f"{model}: layers {'-'.join(layer.kind for layer in network.layers)}")
    print(
        f"  compile {compile_time:.2f} s ({compiled.n_species} species, {compiled.n_reactions} reactions)   goal < 2 s"
    )
    print(f"  reduce  {reduce_time:.2f} s ({reduced.n_species} species, {reduced.n_reactions} reactions)")

    plans = {"compiled": plan_exact(compiled), "reduced": plan_exact(reduced)}
    expected = network.forward(inputs)
    for name, crn in (("compiled", compiled), ("reduced", reduced)):
        outputs = stable_outputs(crn, inputs, plan=plans[name])
        print(
            f"  {name:8s} max |CRN - NN| = {np.abs(outputs - expected).max():.2g}, "
            f"same argmax on {np.mean(outputs.argmax(1) == expected.argmax(1)):.2%} of {len(inputs)} digits"
        )

    candidates = {
        "numpy forward": lambda: network.forward(inputs),
        "exact compiled": lambda: stable_outputs(compiled, inputs, plan=plans["compiled"]),
        "exact reduced": lambda: stable_outputs(reduced, inputs, plan=plans["reduced"]),
    }
    try:
        import torch

        from nn2crn.nn.torch import to_torch

        module = to_torch(network)
        tensor = torch.from_numpy(inputs)

        def torch_forward() -> object:
            with torch.no_grad():
                return module(tensor)

        candidates["torch CPU forward"] = torch_forward
    except ImportError:
        print("  (torch not installed: no torch CPU anchor)")
    medians = time_side_by_side(candidates, repeats=7)
    print("\nExact evaluation of 10,000 digits (7 interleaved runs, median):")
    for name, seconds in medians.items():
        print(f"  {name:18s} {seconds * 1e3:8.1f} ms  {seconds / medians['numpy forward']:5.2f}x numpy")
    print("  goal: exact evaluation <= 3x the numpy forward pass")

    with tempfile.TemporaryDirectory() as folder:
        model_path = str(shipped_model_path(model))
        crn_path = f"{folder}/cnn.crn"
        csv_path = f"{folder}/digits.csv"
        header = ",".join(compiled.input_names)
        np.savetxt(csv_path, inputs, delimiter=",", header=header, comments="", fmt="%.17g")
        cli = [sys.executable, "-m", "nn2crn.cli"]
        compile_seconds = min(fresh_process(*cli, "compile", model_path, "-o", crn_path) for _ in range(3))
        eval_seconds = min(
            fresh_process(*cli, "eval", crn_path, "--inputs", csv_path, "-o", f"{folder}/out.csv")
            for _ in range(3)
        )
        forward = (
            "import sys, numpy as np; from nn2crn.nn import load_network; "
            "network = load_network(sys.argv[1]); "
            "x = np.loadtxt(sys.argv[2], delimiter=',', skiprows=1); "
            "np.savetxt(sys.argv[3], network.forward(x), delimiter=',')"
        )
        numpy_seconds = min(
            fresh_process(sys.executable, "-c", forward, model_path, csv_path, f"{folder}/np.csv")
            for _ in range(3)
        )
    print("\nFrom the command line, fresh processes (best of 3):")
    print(f"  nn2crn compile          {compile_seconds:6.2f} s")
    print(f"  nn2crn eval (10,000)    {eval_seconds:6.2f} s  {eval_seconds / numpy_seconds:5.2f}x")
    print(f"  python numpy forward    {numpy_seconds:6.2f} s  (load model + CSV, forward, write CSV)")
    print(machine_line())


if __name__ == "__main__":
    main(*sys.argv[1:2])
