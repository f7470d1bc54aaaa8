"""Scaling of every stage with network size (issue 12, item 4).

Random ternary networks W-W-...-W-10 (depth D layers of width W, seed 0) over the grid
W in {16, 64, 256, 1024, 2048} x D in {1, 2, 4, 8}. Stages, each timed alone:

- compile; reduce with inputs kept and with inputs eliminated (``keep_inputs=False``);
  ``check_crn`` of the fully reduced CRN;
- exact evaluation (``stable_outputs``, ``rtol=None``) of 10,000 standard-normal inputs
  through the compiled and the fully reduced CRN: the plan (``plan_exact``) is timed
  apart from the firing, and on CRNs over ``--exact-rows-cap-terms`` product terms only
  2,000 rows are fired; the 10k figure is then plan + 5 x firing, marked ``*``
  (extrapolated);
- ODE: ``simulate_ode`` of the compiled CRN, t_end 200 and the default tolerances (as
  ``bench_ode.py``), ``store="outputs"``, default threads (both cores);
- SSA: ``simulate_ssa`` of the compiled CRN at V = 100, t_end 50 (as ``bench_ssa.py``),
  ``store="outputs"``, default threads.

ODE and SSA: the numba kernels are warmed up on a tiny CRN first. One input is run
(the probe); if 100 inputs fit in ``--sim-budget`` seconds at the probe's rate, 100 are
run in one call, else as many as fit (at least the probe). The table gives the time per
input and the time for 100 inputs, marked ``*`` when extrapolated from fewer. The SSA
probe stops at ``--ssa-max-events`` events (a ``SimulationError``): the time per input is
then a lower bound, marked ``>``, from the measured event rate. Points whose ODE probe is
predicted (from the per-term rate of the largest finished point of the same depth) to
take over ``--ode-probe-limit`` seconds are not run, and say so.

Each stage runs in a child process (one for compile..exact, one for ODE, one for SSA):
peak memory is the stage's own: the child resets its peak RSS (``/proc/self/clear_refs``)
before each stage and reads ``VmHWM`` after it. Points predicted (bytes per product
term of finished points of the same depth) to need more than ``--memory-limit`` GiB
are skipped with the reason.

Over the grid it prints, for each stage, the least-squares slope k of log(time) against
log(compiled product terms) (time ~ terms^k; k = 1 is linear), and against width at each
depth and against depth at each width with >= 3 points above 10 ms; also the ODE steps
and SSA events per input, which are what those two stages' times follow.

Run: python benchmarks/bench_scaling.py [--quick] [--json PATH] [--plot PATH]
     python benchmarks/bench_scaling.py --from-json PATH [--plot PATH]   (re-print, re-plot)
     --precision adds the default-rtol evaluation (longdouble re-evaluation or refusal).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _timing import machine_line  # noqa: E402

STAGES = (
    "compile",
    "reduce kept",
    "reduce full",
    "check",
    "exact 10k",
    "exact full 10k",
    "ode 100",
    "ssa 100",
)
V, SSA_T_END, ODE_T_END = 100.0, 50.0, 200.0
_SIM_KEYS = {
    "ode": ("ode 100",),
    "ssa": ("ssa 100", "events per input", "events per s", "exhaustion events", "events of input 0"),
}

_COMMON = r"""
import json, sys, time
import numpy as np
from nn2crn.compile import compile_network
from nn2crn.nn import random_ternary_network

width, depth = int(sys.argv[1]), int(sys.argv[2])
options = json.loads(sys.argv[3])
rng = np.random.default_rng(0)
network = random_ternary_network((width,) * depth + (10,), rng=rng)
inputs = rng.normal(size=(10_000, width))
result = {"width": width, "depth": depth}

def reset_peak():
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")

def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024

def stage(name, function):
    reset_peak()
    start = time.perf_counter()
    value = function()
    result[name] = [time.perf_counter() - start, peak_mb()]
    return value
"""

_POINT = (
    _COMMON
    + r"""
from nn2crn.compile import reduce_crn
from nn2crn.crn import check_crn
from nn2crn.simulate import plan_exact, stable_outputs

compiled = stage("compile", lambda: compile_network(network))
result["terms"] = int(compiled.product_matrix.nnz)
result["reactions"] = compiled.n_reactions
result["max |NN|"] = float(np.abs(network.forward(inputs[:1000])).max())
try:
    kept = stage("reduce kept", lambda: reduce_crn(compiled))
    result["kept terms"] = int(kept.product_matrix.nnz)
    del kept
except Exception as error:  # CoefficientOverflowError: recorded, not fatal
    result["kept refused"] = str(error)[:120]
try:
    full = stage("reduce full", lambda: reduce_crn(compiled, keep_inputs=False))
    report = stage("check", lambda: check_crn(full))
    result["full terms"] = report.product_terms
    # Its input lines load whole layers: terms the product count leaves out.
    result["full input terms"] = int(sum(len(terms[0]) for terms in full._input_terms))
except Exception as error:  # CoefficientOverflowError: recorded, not fatal
    result["refused"] = str(error)[:120]
    full = None
rows = 10_000 if result["terms"] <= options["exact_cap"] else 2_000
result["exact rows"] = rows
expected = network.forward(inputs[:rows])
scale = float(np.abs(expected).max())
for name, crn in (("exact 10k", compiled), ("exact full 10k", full)):
    if crn is None:
        continue
    plan = stage(name + " plan", lambda: plan_exact(crn))
    outputs = stage(name + " fire", lambda: stable_outputs(crn, inputs[:rows], plan=plan, rtol=None))
    result[name] = [
        result[name + " plan"][0] + result[name + " fire"][0] * 10_000 / rows,
        max(result[name + " plan"][1], result[name + " fire"][1]),
    ]
    result[name + " relative error"] = float(np.abs(outputs - expected).max()) / scale
if options["precision"]:
    from nn2crn import PrecisionLossError
    row_scale = np.maximum(np.abs(expected).max(axis=1), 1e-300)
    for name, crn in (("checked", compiled), ("full checked", full)):
        if crn is None:
            continue
        start = time.perf_counter()
        try:
            outputs = stable_outputs(crn, inputs[:rows])
            row_error = float((np.abs(outputs - expected).max(axis=1) / row_scale).max())
            result[name] = (time.perf_counter() - start, row_error)
        except PrecisionLossError as error:
            result[name] = (time.perf_counter() - start, "refused: " + str(error).split(";")[0][:90])
print(json.dumps(result))
"""
)

_SIMULATE = (
    _COMMON
    + r"""
from nn2crn.simulate import simulate_ode, simulate_ssa
from nn2crn.simulate.base import SimulationError

kind = options["kind"]
tiny = compile_network(random_ternary_network((4, 4, 2), rng=np.random.default_rng(1)))
if kind == "ode":
    simulate_ode(tiny, np.ones((1, 4)), t_end=1.0)
    run = lambda crn, x, cap: simulate_ode(crn, x, t_end=options["t_end"], store="outputs")
else:
    simulate_ssa(tiny, np.ones((1, 4)), volume=10.0, t_end=1.0)
    run = lambda crn, x, cap: simulate_ssa(
        crn, x, volume=options["volume"], t_end=options["t_end"], store="outputs", max_events=cap
    )

def exhaustion_events(crn, row, volume):
    # Events of an SSA run of one input to exhaustion, without simulating: in a
    # feed-forward NC CRN each reaction fires min floor(count / power) times whatever
    # the order (the argument of final_counts_nc), so the total is exact.
    import scipy.sparse as sp
    from nn2crn.crn.checks import reaction_levels
    from nn2crn.simulate.ssa import initial_counts

    counts = initial_counts(crn, row[None, :], volume=volume)[0][0].astype(np.int64)
    columns, powers = crn.reactant_columns, crn.reactant_powers
    stoichiometry = sp.csr_array(crn.stoichiometry)
    total = 0
    for r in np.argsort(reaction_levels(crn), kind="stable").tolist():
        valid = columns[r] >= 0
        extent = int(np.min(counts[columns[r][valid]] // powers[r][valid]))
        if extent:
            begin, end = stoichiometry.indptr[r], stoichiometry.indptr[r + 1]
            counts[stoichiometry.indices[begin:end]] += extent * np.rint(stoichiometry.data[begin:end]).astype(np.int64)
            total += extent
            if counts.max() > 2**62 or counts.min() < 0:  # int64 overflow: simulate_ssa refuses too
                return None
    return total

crn = compile_network(network)
result["terms"] = int(crn.product_matrix.nnz)
cap = options.get("max_events")
name = kind + " 100"
reset_peak()
start = time.perf_counter()
try:
    trajectory = run(crn, inputs[:1], cap)
except SimulationError:
    # The probe hit the event cap: a rate, a lower bound on the time, and the events
    # a run to exhaustion fires (exact: below), so the time at that rate.
    seconds = time.perf_counter() - start
    result[name] = [seconds * 100, peak_mb()]
    result[kind + " inputs"] = 0
    result[kind + " lower bound"] = True
    result["events per input"] = cap
    result["events per s"] = cap / seconds
    result["exhaustion events"] = exhaustion_events(crn, inputs[0], options["volume"])
    print(json.dumps(result))
    sys.exit(0)
probe = time.perf_counter() - start
n = int(min(100, max(1, options["budget"] // max(probe, 1e-9))))
if n > 1:
    reset_peak()
    start = time.perf_counter()
    try:
        trajectory = run(crn, inputs[:n], cap * 4 if cap else None)
        seconds = time.perf_counter() - start
    except SimulationError:
        n, seconds = 1, probe
else:
    seconds = probe
result[name] = [seconds * 100 / n, peak_mb()]
result[kind + " inputs"] = n
result[kind + " probe"] = probe
if kind == "ode":
    result["ode steps"] = int(trajectory.stats.steps)
    result["ode chunks"] = int(trajectory.stats.chunks)
else:
    events = trajectory.stats.events
    result["events per input"] = float(events.mean())
    result["events per s"] = float(events.sum()) / seconds
    result["ssa exhausted"] = int(np.sum(np.asarray(trajectory.stats.termination) == "exhausted"))
    result["exhaustion events"] = exhaustion_events(crn, inputs[0], options["volume"])
    result["events of input 0"] = int(events[0])
print(json.dumps(result))
"""
)


def _child(code: str, width: int, depth: int, options: dict, timeout: float) -> dict:
    try:
        completed = subprocess.run(
            [sys.executable, "-c", code, str(width), str(depth), json.dumps(options)],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"failed": f"timed out after {timeout:.0f} s"}
    if completed.returncode:
        reason = (completed.stderr.strip().splitlines() or [f"exit status {completed.returncode}"])[-1]
        return {"failed": reason}
    return json.loads(completed.stdout)


def predicted_terms(width: int, depth: int) -> int:
    """About 2 product terms per nonzero weight (both rails), 2/3 of ternary weights nonzero."""
    widths = (width,) * depth + (10,)
    return int(2 * 2 / 3 * sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=True)) + 8 * sum(widths))


def _same_depth(points: list[dict], depth: int, key) -> float | None:
    done = [p for p in points if p["depth"] == depth and "terms" in p and key(p) is not None]
    if not done:
        return None
    return key(max(done, key=lambda p: p["terms"]))


def run_grid(grid: list[tuple[int, int]], args: argparse.Namespace) -> list[dict]:
    points: list[dict] = []
    for width, depth in sorted(grid, key=lambda wd: predicted_terms(*wd)):
        point = {"width": width, "depth": depth, "predicted terms": predicted_terms(width, depth)}
        # Bytes per term grows with depth (the fully reduced CRN has more terms than the
        # compiled one), so predict from a finished point of the same depth, else 1.2 kB.
        per_term = _same_depth(points, depth, lambda p: _peak(p) * 2**20 / p["terms"] if _peak(p) else None)
        need_gib = (per_term or 1200.0) * point["predicted terms"] / 2**30
        if need_gib > args.memory_limit:
            point["skipped"] = (
                f"predicted peak {need_gib:.0f} GiB > {args.memory_limit:g} GiB "
                f"({point['predicted terms'] / 1e6:.0f} M product terms)"
            )
            print(f"W={width} D={depth} skipped: {point['skipped']}", file=sys.stderr, flush=True)
            points.append(point)
            if args.json:
                args.json.write_text(json.dumps(points, indent=1))
            continue
        options = {"exact_cap": args.exact_rows_cap_terms, "precision": args.precision}
        point.update(_child(_POINT, width, depth, options, args.point_timeout))
        if "failed" in point:
            print(f"W={width} D={depth} failed: {point['failed']}", file=sys.stderr, flush=True)
            points.append(point)
            continue
        _simulate_point(point, points, args)
        print(json.dumps(point), file=sys.stderr, flush=True)
        points.append(point)
        if args.json:  # after every point, so an interrupted run keeps what it measured
            args.json.write_text(json.dumps(points, indent=1))
    return points


def _simulate_point(point: dict, points: list[dict], args: argparse.Namespace, stages=("ode", "ssa")) -> None:
    width, depth = point["width"], point["depth"]
    if "ode" in stages:
        per_term = _same_depth(
            points, depth, lambda p: p["ode 100"][0] / 100 / p["terms"] if "ode 100" in p else None
        )
        predicted_probe = per_term * point["terms"] if per_term else 0.0
        if args.skip_ode:
            point["ode skipped"] = "--skip-ode"
        elif predicted_probe > args.ode_probe_limit:
            point["ode skipped"] = (
                f"1 input predicted {predicted_probe:.0f} s > {args.ode_probe_limit:g} s "
                f"(per-term rate of the largest D={depth} point)"
            )
        else:
            ode = {"kind": "ode", "t_end": ODE_T_END, "budget": args.sim_budget}
            found = _child(_SIMULATE, width, depth, ode, args.ode_probe_limit * 1.5 + args.sim_budget + 60)
            point.update({k: v for k, v in found.items() if k not in ("terms", "failed")})
            if "failed" in found:
                point["ode skipped"] = found["failed"]
    if "ssa" in stages:
        ssa = {
            "kind": "ssa",
            "t_end": SSA_T_END,
            "volume": V,
            "budget": args.sim_budget,
            "max_events": args.ssa_max_events,
        }
        found = _child(_SIMULATE, width, depth, ssa, args.sim_budget * 3 + 600)
        point.update({k: v for k, v in found.items() if k not in ("terms", "failed")})
        if "failed" in found:
            point["ssa skipped"] = found["failed"]


def _peak(point: dict) -> float | None:
    peaks = [point[s][1] for s in STAGES if s in point]
    return max(peaks) if peaks else None


def growth_exponent(rows: list[tuple[float, float]]) -> tuple[float, int]:
    rows = [(x, t) for x, t in rows if t > 1e-2]
    if len(rows) < 3 or len({x for x, _ in rows}) < 3:
        return float("nan"), len(rows)
    x, t = np.log(np.array(rows, dtype=float)).T
    return float(np.polyfit(x, t, 1)[0]), len(rows)


def _measured(point: dict, stage: str) -> bool:
    """Rows for the fits: measured figures only (no lower bounds; extrapolated counts are per input)."""
    return stage in point and not point.get(stage.split()[0] + " lower bound")


def exponents(points: list[dict]) -> list[str]:
    ok = [p for p in points if "terms" in p]
    lines = ["fitted exponent k of time ~ x^k (least squares on log-log, points with time > 10 ms):"]
    cells = []
    for s in STAGES:
        k, n = growth_exponent([(p["terms"], p[s][0]) for p in ok if _measured(p, s)])
        cells.append(f"{s} {k:.2f} ({n} pts)")
    lines.append("  against compiled product terms: " + ", ".join(cells))
    for axis, fixed, label in (("width", "depth", "D"), ("depth", "width", "W")):
        for value in sorted({p[fixed] for p in ok}):
            cells = []
            for s in STAGES:
                k, n = growth_exponent(
                    [(p[axis], p[s][0]) for p in ok if p[fixed] == value and _measured(p, s)]
                )
                if n >= 3:
                    cells.append(f"{s} {k:.2f} ({n})")
            if cells:
                lines.append(f"  against {axis} at {label}={value}: " + ", ".join(cells))
    # The reductions and the reduced CRN's evaluation against the size of what they build.
    for s, key in (
        ("reduce kept", "kept terms"),
        ("reduce full", "full terms"),
        ("exact full 10k", "full terms"),
    ):
        k, n = growth_exponent([(p[key], p[s][0]) for p in ok if s in p and p.get(key)])
        lines.append(f"  {s} against the {key} of its result: {k:.2f} ({n} pts)")
    rows = [
        (p["full terms"] + p["full input terms"], p["exact full 10k"][0])
        for p in ok
        if "full input terms" in p and "exact full 10k" in p
    ]
    k, n = growth_exponent(rows)
    lines.append(
        f"  exact full 10k against the fully reduced CRN's product + input-line terms: {k:.2f} ({n} pts)"
    )
    # SSA: the probes capped at --ssa-max-events give only a rate; their time to exhaustion
    # is the exact event count over that rate.
    rows = [(p["terms"], _ssa_estimate(p) or p["ssa 100"][0] / 100) for p in ok if "ssa 100" in p]
    k, n = growth_exponent(rows)
    lines.append(
        f"  SSA seconds per input, measured or estimated to exhaustion, against product terms: {k:.2f} ({n} pts)"
    )
    rows = [(p["terms"], p["exhaustion events"]) for p in ok if p.get("exhaustion events")]
    k, n = growth_exponent(rows)
    lines.append(f"  SSA events to exhaustion (input 0, exact) against product terms: {k:.2f} ({n} pts)")
    for width in sorted({p["width"] for p in ok}):
        rows = sorted(
            (p["depth"], p["exhaustion events"], p["max |NN|"])
            for p in ok
            if p["width"] == width and p.get("exhaustion events")
        )
        if rows:
            lines.append(
                f"    W={width}: " + ", ".join(f"D={d} {e:.3g} events (max |NN| {m:.3g})" for d, e, m in rows)
            )
    for name, key in (("ODE steps", "ode steps"),):
        rows = [
            (p["terms"], p[key])
            for p in ok
            if key in p and _measured(p, "ssa 100" if "SSA" in name else "ode 100")
        ]
        k, n = growth_exponent(rows)
        lines.append(f"  {name} against product terms: {k:.2f} ({n} pts)")
        for width in sorted({p["width"] for p in ok}):
            rows = [(p["depth"], p[key]) for p in ok if p["width"] == width and key in p]
            if len(rows) >= 2:
                lines.append(f"    W={width}: " + ", ".join(f"D={d} {v:.3g}" for d, v in sorted(rows)))
    return lines


def _cell(point: dict, stage: str) -> str:
    if stage not in point:
        return "-"
    seconds, mb = point[stage]
    kind = stage.split()[0]
    mark = ""
    if kind in ("ode", "ssa"):
        if point.get(kind + " lower bound"):
            mark = ">"
        elif point.get(kind + " inputs", 100) < 100:
            mark = "*"
    elif stage.startswith("exact") and point.get("exact rows", 10_000) < 10_000:
        mark = "*"
    return f"{mark}{seconds:.3g} s / {mb:.0f} MB"


def report(points: list[dict]) -> None:
    print(
        "time / peak RSS of the stage alone (child process); * extrapolated from fewer rows/inputs, > lower bound"
    )
    print(" | ".join(["W", "D", "terms"] + list(STAGES)))
    for p in points:
        head = f"{p['width']} | {p['depth']}"
        if "skipped" in p or "failed" in p:
            print(f"{head} | skipped: {p.get('skipped') or p.get('failed')}")
            continue
        print(f"{head} | {p['terms']:,} | " + " | ".join(_cell(p, s) for s in STAGES))
        notes = []
        for kind in ("ode", "ssa"):
            if kind + " skipped" in p:
                notes.append(f"{kind} skipped: {p[kind + ' skipped']}")
            elif kind + " inputs" in p:
                notes.append(f"{kind} inputs measured {p[kind + ' inputs']}")
        if "ode steps" in p:
            notes.append(f"ode steps {p['ode steps']} over {p['ode chunks']} chunks")
        if "events per input" in p:
            bound = ">" if p.get("ssa lower bound") else ""
            notes.append(
                f"ssa events/input {bound}{p['events per input']:.3g} at {p['events per s'] / 1e6:.1f} M/s"
            )
        notes.append(
            f"kept terms {p.get('kept terms', '-')}, full terms {p.get('full terms', '-')}, max |NN| {p['max |NN|']:.3g}"
        )
        notes.append(f"exact rows {p['exact rows']}")
        for name in ("exact 10k", "exact full 10k"):
            if name + " relative error" in p:
                notes.append(f"{name} rel. error {p[name + ' relative error']:.2g}")
        for name in ("checked", "full checked"):
            if name in p:
                seconds, outcome = p[name]
                shown = outcome if isinstance(outcome, str) else f"max per-row relative error {outcome:.2g}"
                notes.append(f"rtol=1e-9 ({name}): {seconds:.2f} s, {shown}")
        print("    " + "; ".join(notes))
    for line in exponents(points):
        print(line)


def _ssa_estimate(point: dict) -> float | None:
    """Seconds per input of an SSA run to exhaustion, from its exact event count and the probe's rate."""
    if point.get("ssa lower bound") and point.get("exhaustion events"):
        return point["exhaustion events"] / point["events per s"]
    return None


def markdown(points: list[dict]) -> None:
    """The README table: time / peak RSS per stage, one row per grid point."""
    names = ("compile", "reduce (kept)", "reduce (full)", "check (full)", "exact 10k", "exact 10k, full")
    names += ("ODE 100 inputs", "SSA 100 inputs, V=100")
    print("| W | D | product terms (kept / full) | " + " | ".join(names) + " |")
    print("|--:|--:|--:|" + "--:|" * len(names))
    for p in sorted(points, key=lambda p: (p["width"], p["depth"])):
        if "terms" not in p:
            reason = p.get("skipped") or p.get("failed")
            print(f"| {p['width']} | {p['depth']} | skipped: {reason} |" + " |" * len(names))
            continue
        cells = []
        for stage in STAGES:
            kind = stage.split()[0]
            if stage not in p:
                cells.append("not run" if kind + " skipped" in p else "-")
                continue
            seconds, mb = p[stage]
            mark = ""
            if kind in ("ode", "ssa"):
                n = p.get(kind + " inputs", 100)
                if p.get(kind + " lower bound"):
                    mark = "> "
                elif n < 100:
                    mark = f"{n} → "
            elif stage.startswith("exact") and p.get("exact rows", 10_000) < 10_000:
                mark = "2k → "
            if kind == "ssa" and _ssa_estimate(p):
                mark, seconds = "≈ ", _ssa_estimate(p) * 100
            shown = (
                f"{seconds:.2g}" if seconds < 10 else f"{seconds:,.0f}" if seconds < 1e5 else f"{seconds:.1e}"
            )
            cells.append(f"{mark}{shown} s, {mb:,.0f} MB")
        kept = f"{p['kept terms']:,}" if "kept terms" in p else "refused"
        full = f"{p['full terms']:,}" if "full terms" in p else "refused"
        sizes = f"{p['terms']:,} ({kept} / {full})"
        print(f"| {p['width']} | {p['depth']} | {sizes} | " + " | ".join(cells) + " |")


def plot(points: list[dict], path: Path) -> None:
    """Left: the structural stages, measurements and each stage's fitted line. Right: ODE and
    SSA time per input, one line per depth (what drives them), hollow where extrapolated."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [p for p in points if "terms" in p]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5))
    terms = np.array(sorted(p["terms"] for p in ok), dtype=float)
    for stage, marker in zip(STAGES[:6], "os^vDP", strict=True):
        rows = [(p["terms"], p[stage][0]) for p in ok if stage in p]
        x, t = np.array(rows, dtype=float).T
        k, _ = growth_exponent(rows)
        (dots,) = left.plot(x, t, marker=marker, linestyle="none", markersize=5)
        fit = [(a, b) for a, b in rows if b > 1e-2]
        if not np.isnan(k):
            fx, ft = np.log(np.array(fit)).T
            slope, intercept = np.polyfit(fx, ft, 1)
            span = np.array([fx.min(), fx.max()])
            left.plot(
                np.exp(span),
                np.exp(intercept + slope * span),
                color=dots.get_color(),
                label=f"{stage}: k = {k:.2f}",
            )
        else:
            dots.set_label(f"{stage} (under 10 ms)")
    left.plot(terms, terms * 1e-6, "k:", label="slope 1 (1 µs per term)")
    left.set_title("compile, reduce, check, exact 10k; lines: fits (points > 10 ms)", fontsize=10)
    left.set_ylabel("seconds")
    for stage, kind, color in (("ode 100", "ode", "tab:pink"), ("ssa 100", "ssa", "tab:gray")):
        for depth, style in zip((1, 2, 4, 8), ("-", "--", "-.", ":"), strict=True):
            rows = sorted(
                (
                    p["terms"],
                    (_ssa_estimate(p) if kind == "ssa" else None) or p[stage][0] / 100,
                    p.get(kind + " inputs", 100) < 100 or p.get(kind + " lower bound", False),
                )
                for p in ok
                # a bare lower bound (no exact event count) would bend the line down
                if p["depth"] == depth
                and stage in p
                and not (p.get(kind + " lower bound") and not _ssa_estimate(p))
            )
            if not rows:
                continue
            x, t, extrapolated = zip(*rows, strict=True)
            right.plot(x, t, linestyle=style, color=color, label=f"{kind.upper()} D={depth}")
            for a, b, e in rows:
                right.plot(
                    a,
                    b,
                    marker="^" if kind == "ssa" and e else "o",
                    color=color,
                    markerfacecolor="none" if e else color,
                    markersize=6,
                )
    right.set_title("ODE, SSA (V=100) per input; hollow: from < 100 inputs; ^: SSA estimate", fontsize=10)
    for axis in (left, right):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("product terms of the compiled CRN")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=7, loc="upper left")
    right.set_ylabel("seconds per input")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="W in {16, 64}, D in {1, 2, 4}")
    parser.add_argument("--widths", default="16,64,256,1024,2048")
    parser.add_argument("--depths", default="1,2,4,8")
    parser.add_argument("--json", type=Path, help="write the points here")
    parser.add_argument("--from-json", type=Path, help="report (and plot) saved points instead of running")
    parser.add_argument("--plot", type=Path, help="write a log-log plot of time against product terms")
    parser.add_argument("--markdown", action="store_true", help="also print the README table")
    parser.add_argument("--precision", action="store_true", help="also the default-rtol evaluation")
    parser.add_argument("--memory-limit", type=float, default=18.0, help="GiB (default 18 of the 24)")
    parser.add_argument("--exact-rows-cap-terms", type=int, default=3_000_000)
    parser.add_argument("--sim-budget", type=float, default=20.0, help="seconds per ODE / SSA stage")
    parser.add_argument("--ode-probe-limit", type=float, default=150.0)
    parser.add_argument("--ssa-max-events", type=int, default=50_000_000)
    parser.add_argument("--point-timeout", type=float, default=900.0)
    parser.add_argument("--skip-ode", action="store_true", help="no ODE stage (points too big for it)")
    parser.add_argument(
        "--rerun", choices=("ode", "ssa"), help="with --from-json: run this stage again on the saved points"
    )
    args = parser.parse_args()
    if args.from_json:
        points = json.loads(args.from_json.read_text())
        if args.rerun:
            done: list[dict] = []
            for point in points:
                if "terms" in point:
                    for key in [k for k in point if k.startswith(args.rerun) or k in _SIM_KEYS[args.rerun]]:
                        del point[key]
                    _simulate_point(point, done, args, stages=(args.rerun,))
                    print(json.dumps(point), file=sys.stderr, flush=True)
                done.append(point)
            if args.json:
                args.json.write_text(json.dumps(points, indent=1))
    else:
        widths = [16, 64] if args.quick else [int(w) for w in args.widths.split(",")]
        depths = [1, 2, 4] if args.quick else [int(d) for d in args.depths.split(",")]
        points = run_grid([(w, d) for w in widths for d in depths], args)
    report(points)
    if args.markdown:
        markdown(points)
    if args.plot:
        plot(points, args.plot)
        print(f"plot: {args.plot}")
    print(machine_line())


if __name__ == "__main__":
    main()
