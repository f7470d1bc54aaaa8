"""Scaling of compile, reduce, check and exact evaluation with network size (issue 12, item 4).

Random ternary networks W-W-...-W-10 (depth D hidden+input layers of width W). Each grid
point runs in a fresh process (so peak memory is per point): compile, reduce with inputs
kept and not, check of the fully reduced CRN, and exact evaluation of 10,000 inputs through
the compiled CRN (plan included). For every stage it prints the time and the process's
peak RSS after the stage, and, over the grid, the fitted growth exponent of time against
the compiled CRN's product terms (time ~ terms^k; k = 1 is linear).

Anchor: the size of the CRN. A stage whose exponent is well above 1 grows faster than the
CRN it works on.

Relative error: max |CRN - NN| / max |NN| over the 10,000 outputs, for the compiled and
the fully reduced CRN (plain float64 evaluation, rtol=None; both rails of a value grow with
depth, so their difference loses digits in the compiled CRN as much as in the reduced one).
Then the default evaluation (rtol=1e-9: rows whose rounding bound is too large are
re-evaluated in longdouble, or refused): its time and max per-row relative error, or the
refusal.

Run: python benchmarks/bench_scaling.py [--quick]
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _timing import machine_line  # noqa: E402

STAGES = ("compile", "reduce kept", "reduce full", "check", "exact 10k", "exact full 10k")

_POINT = r"""
import json, resource, sys, time
import numpy as np
from nn2crn.compile import compile_network, reduce_crn
from nn2crn.crn import check_crn
from nn2crn.nn import random_ternary_network
from nn2crn.simulate import stable_outputs

width, depth = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
network = random_ternary_network((width,) * depth + (10,), rng=rng)
inputs = rng.normal(size=(10_000, width))
result = {"width": width, "depth": depth}

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def stage(name, function):
    start = time.perf_counter()
    value = function()
    result[name] = (time.perf_counter() - start, peak_mb())
    return value

compiled = stage("compile", lambda: compile_network(network))
result["terms"] = int(compiled.product_matrix.nnz)
stage("reduce kept", lambda: reduce_crn(compiled))
try:
    full = stage("reduce full", lambda: reduce_crn(compiled, keep_inputs=False))
    report = stage("check", lambda: check_crn(full))
    result["full terms"] = report.product_terms
    result["largest coefficient"] = report.max_coefficient
except Exception as error:  # CoefficientOverflowError: recorded, not fatal
    result["refused"] = str(error)[:80]
    full = None
from nn2crn import PrecisionLossError
expected = network.forward(inputs)
scale = float(np.abs(expected).max())
row_scale = np.maximum(np.abs(expected).max(axis=1), 1e-300)
# Plain float64 (rtol=None) for the timings and the cancellation figures ...
outputs = stage("exact 10k", lambda: stable_outputs(compiled, inputs, rtol=None))
result["exact relative error"] = float(np.abs(outputs - expected).max()) / scale
if full is not None:
    outputs = stage("exact full 10k", lambda: stable_outputs(full, inputs, rtol=None))
    result["full relative error"] = float(np.abs(outputs - expected).max()) / scale
# ... then the default (rtol=1e-9): per-row error after the extended-precision pass, or refused.
for name, crn in (("checked", compiled), ("full checked", full)):
    if crn is None:
        continue
    start = time.perf_counter()
    try:
        outputs = stable_outputs(crn, inputs)
        row_error = float((np.abs(outputs - expected).max(axis=1) / row_scale).max())
        result[name] = (time.perf_counter() - start, row_error)
    except PrecisionLossError as error:
        result[name] = (time.perf_counter() - start, "refused: " + str(error).split(";")[0][:90])
print(json.dumps(result))
"""


def run_point(width: int, depth: int) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", _POINT, str(width), str(depth)], capture_output=True, text=True, check=False
    )
    if completed.returncode:
        reason = (completed.stderr.strip().splitlines() or [f"exit status {completed.returncode}"])[-1]
        return {"width": width, "depth": depth, "failed": reason}
    return json.loads(completed.stdout)


def growth_exponent(points: list[dict], stage: str) -> float:
    rows = [(p["terms"], p[stage][0]) for p in points if stage in p and p[stage][0] > 1e-3]
    if len(rows) < 3:
        return float("nan")
    terms, times = np.log(np.array(rows)).T
    return float(np.polyfit(terms, times, 1)[0])


def main() -> None:
    quick = "--quick" in sys.argv
    grid = [(16, 2), (64, 2), (256, 2), (64, 1), (64, 4), (64, 8), (256, 4)]
    if not quick:
        grid += [(1024, 2), (128, 8), (256, 8), (1024, 4), (512, 8)]
    points = []
    for width, depth in grid:
        point = run_point(width, depth)
        points.append(point)
        print(json.dumps(point), file=sys.stderr, flush=True)
    header = f"{'W':>5} {'D':>2} {'terms':>10} " + " ".join(f"{s:>20}" for s in STAGES)
    print("time s / peak RSS MB after the stage (fresh process per row)")
    print(header)
    for point in points:
        if "failed" in point:
            print(f"{point['width']:>5} {point['depth']:>2} failed: {point['failed']}")
            continue
        cells = [f"{point[s][0]:>9.3f} / {point[s][1]:>7.0f}" if s in point else f"{'-':>20}" for s in STAGES]
        print(f"{point['width']:>5} {point['depth']:>2} {point['terms']:>10} " + " ".join(cells))
        extra = {k: point[k] for k in ("full terms", "largest coefficient", "refused") if k in point}
        errors = f"max |CRN - NN| / max |NN|: compiled {point['exact relative error']:.2g}"
        if "full relative error" in point:
            errors += f", fully reduced {point['full relative error']:.2g}"
        print(f"{'':>19}{errors} {extra}")
        for name in ("checked", "full checked"):
            if name in point:
                seconds, outcome = point[name]
                shown = outcome if isinstance(outcome, str) else f"max per-row relative error {outcome:.2g}"
                print(
                    f"{'':>19}rtol=1e-9 ({name.replace('checked', '').strip() or 'compiled'}): {seconds:.2f} s, {shown}"
                )
    ok = [p for p in points if "failed" not in p]
    print("fitted exponent k of time ~ (compiled product terms)^k:")
    print("  " + ", ".join(f"{s} {growth_exponent(ok, s):.2f}" for s in STAGES))
    print(machine_line())


if __name__ == "__main__":
    main()
