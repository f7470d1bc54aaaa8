"""Every row of issue 12's table ("Fast from the user's seat"), re-measured in one run.

Each row is measured as a user meets it: the CLI in fresh processes (``.pyc`` written,
the background kernel warm-up off), or one fresh Python process per in-process figure,
reusing the other benchmark scripts' pieces (``bench_cold``, ``bench_ode``,
``bench_crn_io``, ``bench_reduce_cli``, ``bench_cli``) rather than copying them. A row
with an anchor (a warm run, SciPy LSODA, rebop, the in-process evaluation, ``python -c
pass``, the writer) measures it in the same run, next to the row. Each row prints as it
finishes; the table ``row | measured | goal | met? | anchor`` comes at the end.

Before the rows, ``nn2crn warm-up`` fills this tree's numba cache (the rows are about
warm use, except the first, which makes its own fresh cache); it is quick when the
cache is already warm.

``--quick`` (well under 30 minutes on the 2-core machine, about 5-8 when it is quiet)
skips the slowest rows, and names them: the first ``simulate`` after a fresh install
(``nn2crn warm-up`` into an empty cache, ~30 s CPU of numba compiling), the check of the
6.4 M-term CRN (building it takes ~1 min and 3 GB), and it reads W = 1024 instead of
2048, times fewer repeats and fewer inputs. ``--only NAME,NAME`` runs chosen rows
(names as in ``--list``).

Run: python benchmarks/bench_issue12.py [--quick] [--only ROWS] [--list]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _timing import machine_line  # noqa: E402

ROOT = HERE.parent
MODELS = ROOT / "src" / "nn2crn" / "models"
CLI = "from nn2crn.cli import main; raise SystemExit(main())"
# .pyc files written (as after pip install), no background warm-up competing with the timings
ENV = {
    **{key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"},
    "NN2CRN_NO_AUTO_WARMUP": "1",
}


@dataclass(frozen=True)
class Outcome:
    measured: str
    goal: str
    met: bool | None  # None: not decided (skipped, failed)
    anchor: str = ""


@dataclass(frozen=True)
class Row:
    name: str
    title: str
    measure: Callable[[Context], Outcome]
    slow: bool = False  # skipped by --quick


@dataclass(frozen=True)
class Context:
    work: Path
    quick: bool

    def repeats(self, quick: int, full: int) -> int:
        return quick if self.quick else full


def run_child(
    argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one fresh process."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(
        argv,
        env=ENV if env is None else env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode:
        raise RuntimeError(
            f"{' '.join(argv[:6])} ...: exit {completed.returncode}: {completed.stderr.strip()[-300:]}"
        )
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def cli(*arguments: str) -> list[str]:
    return [sys.executable, "-c", CLI, *arguments]


def python_json(script: str, *arguments: str) -> dict:
    """Run `script` in a fresh Python process; its last stdout line is a JSON object."""
    completed = subprocess.run(
        [sys.executable, "-c", script, *arguments], env=ENV, capture_output=True, text=True, check=False
    )
    if completed.returncode:
        raise RuntimeError(
            completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else "failed"
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def write_inputs(path: Path, names: tuple[str, ...] | list[str], values: np.ndarray) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        writer.writerows(values.tolist())


def virus_files(ctx: Context) -> tuple[Path, Path]:
    """The shipped virus model's compiled CRN and 20 virus test inputs (as bench_cold.py)."""
    crn_path, inputs_path = ctx.work / "virus.crn", ctx.work / "virus-x.csv"
    if not crn_path.exists():
        from bench_cold import N_INPUTS
        from nn2crn.compile import compile_network
        from nn2crn.crn import write_crn
        from nn2crn.datasets import load_dataset
        from nn2crn.nn import load_network

        network = load_network(MODELS / "virus-10-8-4-ternary.json")
        crn = compile_network(network)
        write_crn(crn, crn_path)
        write_inputs(inputs_path, crn.input_names, network.transform(load_dataset("virus").x_test[:N_INPUTS]))
    return crn_path, inputs_path


def simulate_commands(ctx: Context) -> dict[str, list[str]]:
    crn_path, inputs_path = virus_files(ctx)
    base = cli("simulate", str(crn_path), "--inputs", str(inputs_path), "--t-end", "50", "-q")
    return {
        "ode": [*base, "-o", str(ctx.work / "ode.csv")],
        "ssa V=1e3": [*base, "--method", "ssa", "--volume", "1000", "-o", str(ctx.work / "ssa.csv")],
        "tau-leap V=1e5": [*base, "--method", "tau-leap", "--volume", "1e5", "-o", str(ctx.work / "tau.csv")],
    }


# -- the rows --------------------------------------------------------------------------------


def with_cache(cache: Path) -> dict[str, str]:
    """ENV with its own numba cache (bench_cold.py's way of not touching the package's)."""
    return {**ENV, "NUMBA_CACHE_DIR": str(cache)}


def first_simulate(ctx: Context) -> Outcome:
    """bench_cold.py's "after nn2crn warm-up" column: a fresh cache warmed as an editable
    install warms it, then each command's first run against its second (CPU seconds)."""
    env = with_cache(Path(tempfile.mkdtemp(prefix="numba_installed_", dir=ctx.work)))
    warmup_wall, warmup_cpu = run_child(cli("warm-up", "-q"), env)
    extra, parts = [], []
    for name, argv in simulate_commands(ctx).items():
        first = run_child(argv, env)[1]
        again = run_child(argv, env)[1]
        extra.append(first - again)
        parts.append(f"{name} {first:.2f} vs {again:.2f}")
    return Outcome(
        f"first run - warm run: {max(extra):+.2f} s CPU at most ({', '.join(parts)} s)",
        "<= 1 s more than warm",
        max(extra) <= 1.0,
        f"warm runs (the install's warm-up step itself: {warmup_cpu:.1f} s CPU, {warmup_wall:.1f} s wall)",
    )


def simulate_vs_lsoda(ctx: Context) -> Outcome:
    from bench_ode import ATOL, N_POINTS, RTOL, T_END, Clock, lsoda_loop, mnist_inputs
    from nn2crn.compile import compile_network
    from nn2crn.crn import write_crn
    from nn2crn.nn import load_network

    n_inputs, sample = 200, ctx.repeats(3, 10)
    crn = compile_network(load_network(MODELS / "mnist-196-64-10-ternary.json"))
    crn_path, inputs_path = ctx.work / "mnist.crn", ctx.work / "mnist-x200.csv"
    write_crn(crn, crn_path)
    _, standardized = mnist_inputs(n_inputs, np.random.default_rng(0))
    write_inputs(inputs_path, crn.input_names, standardized)
    argv = cli(
        "simulate", str(crn_path), "--inputs", str(inputs_path), "--t-end", str(T_END), "--points", str(N_POINTS),
        "--rtol", str(RTOL), "--atol", str(ATOL), "-q", "-o", str(ctx.work / "mnist-traj.csv"),
    )  # fmt: skip
    run_child(argv)  # warm: OS file cache, .pyc
    wall, cpu = medians([run_child(argv) for _ in range(ctx.repeats(1, 3))])
    times = np.linspace(0.0, T_END, N_POINTS)
    with Clock() as clock:
        lsoda_loop(crn, crn.initial_state(standardized[:sample]), times)
    lsoda_wall, lsoda_cpu = clock.wall / sample * n_inputs, clock.cpu / sample * n_inputs
    return Outcome(
        f"{wall:.2f} s wall ({cpu:.2f} s CPU) for {n_inputs} inputs: {lsoda_wall / wall:.0f}x LSODA "
        f"({lsoda_cpu / cpu:.0f}x in CPU)",
        ">= 100x a SciPy LSODA loop",
        lsoda_wall / wall >= 100,
        f"LSODA {clock.wall / sample:.2f} s/input ({sample} timed) -> {lsoda_wall:.0f} s for {n_inputs}",
    )


def ssa_vs_rebop(ctx: Context) -> Outcome:
    from bench_cold import REBOP

    crn_path, inputs_path = virus_files(ctx)
    # an empty numba cache: the SSA's C kernel needs none (bench_cold.py's "cold")
    env = with_cache(Path(tempfile.mkdtemp(prefix="numba_empty_", dir=ctx.work)))
    argv = simulate_commands(ctx)["ssa V=1e3"]
    rebop_argv = [sys.executable, "-c", REBOP, str(crn_path), str(inputs_path), "1000"]
    runs, rebop = [], []
    for _ in range(ctx.repeats(1, 3)):
        runs.append(run_child(argv, env)[1])
        rebop.append(run_child(rebop_argv)[1])
    ssa_cpu, rebop_cpu = statistics.median(runs), statistics.median(rebop)
    native = python_json(
        "import json; from nn2crn.simulate import _ssa_native; print(json.dumps(_ssa_native.available()))"
    )
    kernel = "C kernel" if native else "no C kernel in this tree (pip install builds it): numba, compiling"
    return Outcome(
        f"{ssa_cpu:.2f} s CPU, fresh process ({kernel}): {rebop_cpu / ssa_cpu:.1f}x rebop",
        ">= 3x rebop cold",
        rebop_cpu / ssa_cpu >= 3,
        f"rebop fresh process {rebop_cpu:.2f} s CPU (import, model, 20 inputs at V = 1e3)",
    )


_IRIS = """
import json
from nn2crn.studies.demo import run_demo_study
result = run_demo_study(ssa=False).experiment
print(json.dumps({"compiled": result.ode.seconds, "reduced": result.ode_reduced.seconds,
                  "load": result.seconds.get("ODE kernel load", float("nan"))}))
"""


def iris_ode_times(ctx: Context) -> Outcome:
    times = python_json(_IRIS)
    ratio = max(times["compiled"], times["reduced"]) / max(min(times["compiled"], times["reduced"]), 1e-9)
    return Outcome(
        f"compiled {times['compiled']:.2f} s, reduced {times['reduced']:.2f} s (ratio {ratio:.1f})",
        "same order (ratio < 10)",
        ratio < 10,
        f"each other; ODE kernel load {times['load']:.2f} s, once, reported apart",
    )


def compile_reduce(ctx: Context) -> Outcome:
    from bench_reduce_cli import run
    from nn2crn.nn import random_ternary_network, save_network

    model = ctx.work / "binary-784-256x3-10.json"
    network = random_ternary_network((784, 256, 256, 256, 10), rng=np.random.default_rng(0), binary=True)
    save_network(network, model)
    output = ctx.work / "binary-reduced.crn"
    run(ROOT, model, output)  # warm
    wall, cpu = medians([run(ROOT, model, output) for _ in range(ctx.repeats(3, 5))])
    return Outcome(f"{wall:.2f} s wall, {cpu:.2f} s CPU", "< 2 s", wall < 2)


_BUILD_1024 = """
import json, sys
import numpy as np
from nn2crn.compile import compile_network, reduce_crn
from nn2crn.crn import write_crn
from nn2crn.nn import random_ternary_network
crn = reduce_crn(compile_network(random_ternary_network((1024, 1024, 1024, 10), rng=np.random.default_rng(0))))
write_crn(crn, sys.argv[1])
print(json.dumps({"terms": int(crn.product_terms.nnz), "species": crn.n_species}))
"""


def check_6m(ctx: Context) -> Outcome:
    path = ctx.work / "d1024-reduced.crn"
    built = python_json(_BUILD_1024, str(path))
    runs = [run_child(cli("check", str(path))) for _ in range(ctx.repeats(1, 2))]
    wall, cpu = min(w for w, _ in runs), min(c for _, c in runs)
    return Outcome(
        f"{wall:.2f} s wall, {cpu:.2f} s CPU ({built['terms'] / 1e6:.2f} M product terms, "
        f"{path.stat().st_size / 1e6:.0f} MB file)",
        "< 5 s",
        wall < 5,
    )


_FIRST_ODE = """
import json, time
import numpy as np
from nn2crn.compile import compile_network
from nn2crn.nn import random_ternary_network
crn = compile_network(random_ternary_network((1024, 1024, 1024, 10), rng=np.random.default_rng(0)))
x = np.random.default_rng(1).normal(size=(1, crn.n_inputs))
start, cpu = time.perf_counter(), time.process_time()
from nn2crn.simulate import simulate_ode
# t_end tiny: a handful of steps, so the call is the first call's fixed cost (import,
# kernel load, planning), not the integration (minutes for this CRN)
trajectory = simulate_ode(crn, x, t_end=1e-6, n_points=2, store="outputs")
print(json.dumps({"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu,
                  "species": crn.n_species, "setup": trajectory.stats.seconds_setup}))
"""


def first_ode_12k(ctx: Context) -> Outcome:
    result = python_json(_FIRST_ODE)
    return Outcome(
        f"{result['wall']:.2f} s wall, {result['cpu']:.2f} s CPU ({result['species']:,} species; "
        f"plan {result['setup']:.2f} s)",
        "< 5 s warm-up",
        result["wall"] < 5,
        "first simulate_ode call in a fresh process, to t = 1e-6",
    )


_BACKEND = """
import json, numba
from nn2crn.compile import compile_network
from nn2crn.nn import load_network
from nn2crn.simulate import simulate_ode
crn = compile_network(load_network(__import__("sys").argv[1]))
stats = simulate_ode(crn, [[0.1, 0.2, 0.3, 0.4]], t_end=1.0, n_points=2, store="outputs").stats
print(json.dumps({"numba": numba.__version__, "backend": stats.backend}))
"""


def numba_default(ctx: Context) -> Outcome:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = [d for d in project.get("dependencies", []) if d.lower().startswith("numba")]
    result = python_json(_BACKEND, str(MODELS / "iris-4-3-3-ternary.json"))
    return Outcome(
        f"{', '.join(listed) or 'numba not'} in [project] dependencies; numba {result['numba']}; "
        f"ODE backend {result['backend']}",
        "numba a core dependency, compiled kernels used by default (the C ODE kernel, else numba's)",
        bool(listed) and result["backend"] in ("c", "numba"),
    )


_CHAIN = """
import json, sys, time
import numpy as np
from nn2crn.crn import parse_crn
from nn2crn.simulate import plan_exact, stable_outputs
n = int(sys.argv[1])
text = "input x = a0\\noutput y = a%d\\n" % n + "\\n".join("a%d -> a%d" % (k, k + 1) for k in range(n))
crn = parse_crn(text)
x = np.array([[1.0], [2.0], [0.5]])
start = time.perf_counter()
plan = plan_exact(crn)
planned = time.perf_counter()
y = stable_outputs(crn, x, plan=plan)
done = time.perf_counter()
assert np.allclose(y, x)
print(json.dumps({"plan": planned - start, "fire": done - planned, "reactions": crn.n_reactions}))
"""


def exact_chain(ctx: Context) -> Outcome:
    result = python_json(_CHAIN, "80000")
    total = result["plan"] + result["fire"]
    return Outcome(
        f"{total:.2f} s (plan {result['plan']:.2f} + fire {result['fire']:.2f}; {result['reactions']:,} reactions, 3 rows)",
        "< 2 s",
        total < 2,
    )


_MEMORY = """
import json, sys, tracemalloc
import numpy as np
from nn2crn.compile import compile_network
from nn2crn.nn import random_ternary_network
from nn2crn.simulate import stable_outputs
width = int(sys.argv[1])
crn = compile_network(random_ternary_network((4, width, 3), rng=np.random.default_rng(0)))
crn.product_terms, crn.reactant_terms
# numpy reports its buffers to tracemalloc: the evaluation's own peak, plan included
tracemalloc.start()
stable_outputs(crn, np.random.default_rng(1).normal(size=(3, 4)))
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"delta_mb": peak / 1e6, "terms": int(crn.product_terms.nnz),
                  "dense_gb": crn.n_species * crn.n_reactions * 8 / 1e9}))
"""


def exact_memory(ctx: Context) -> Outcome:
    small = python_json(_MEMORY, "10000")
    per_term = small["delta_mb"] * 1e6 / small["terms"]
    measured = f"peak {small['delta_mb']:.0f} MB (tracemalloc) for {small['terms']:,} product terms ({per_term:.0f} B/term)"
    met = per_term <= 1000
    if not ctx.quick:
        big = python_json(_MEMORY, "40000")
        growth = math.log(max(big["delta_mb"], 1e-3) / max(small["delta_mb"], 1e-3)) / math.log(
            big["terms"] / small["terms"]
        )
        measured += f"; 4-40000-3: {big['delta_mb']:.0f} MB for {big['terms']:,} (exponent {growth:.2f})"
        met = met and growth <= 1.2
    return Outcome(
        measured,
        "O(product terms) (<= 1 kB per term)",
        met,
        f"a dense species x reactions matrix: {small['dense_gb']:.1f} GB",
    )


def export_sbml(ctx: Context) -> Outcome:
    from nn2crn.compile import compile_network
    from nn2crn.crn import write_crn
    from nn2crn.nn import random_ternary_network

    wide = ctx.work / "w4000.crn"
    crn = compile_network(random_ternary_network((64, 4000, 10), rng=np.random.default_rng(0)))
    write_crn(crn, wide)
    argv = cli("export", str(wide), "--to", "sbml", "-o", str(ctx.work / "w4000.xml"), "-q")
    runs = [run_child(argv) for _ in range(ctx.repeats(1, 2))]
    wall, cpu = min(w for w, _ in runs), min(c for _, c in runs)
    return Outcome(f"{wall:.2f} s wall, {cpu:.2f} s CPU ({crn.n_species:,} species)", "< 10 s", wall < 10)


_READ_WRITE = """
import json, sys, time
import numpy as np
from nn2crn.compile import compile_network, reduce_crn
from nn2crn.crn import read_crn, write_crn
from nn2crn.nn import random_ternary_network
width, repeats, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
compiled = compile_network(random_ternary_network((64, width, width, 10), rng=np.random.default_rng(width)))
result = {}
for label, crn in (("compiled", compiled), ("reduced", reduce_crn(compiled))):
    writes, reads = [], []
    for _ in range(repeats):
        cpu = time.process_time(); write_crn(crn, path); writes.append(time.process_time() - cpu)
        cpu = time.process_time(); back = read_crn(path); reads.append(time.process_time() - cpu)
    assert back.n_reactions == crn.n_reactions
    result[label] = (min(reads), min(writes), int(crn.product_terms.nnz))
print(json.dumps(result))
"""


def read_crn_speed(ctx: Context) -> Outcome:
    width = 1024 if ctx.quick else 2048
    result = python_json(_READ_WRITE, str(width), str(ctx.repeats(2, 3)), str(ctx.work / "rw.crn"))
    ratios = {label: read / write for label, (read, write, _) in result.items()}
    measured = ", ".join(
        f"{label} read {read:.2f} s ({ratios[label]:.2f}x write)"
        for label, (read, write, _) in result.items()
    )
    anchor = ", ".join(f"{label} write {write:.2f} s CPU" for label, (_, write, _) in result.items())
    return Outcome(f"W = {width}: {measured}", "no slower than writing", max(ratios.values()) <= 1.0, anchor)


def eval_cli(ctx: Context) -> Outcome:
    from bench_crn_io import eval_row

    result = eval_row(ctx.work, ctx.repeats(3, 7))
    wall, cpu = result["eval wall"] / result["goal wall"], result["eval cpu"] / result["goal cpu"]
    io_wall = result["eval wall"] / result["goal with I/O wall"]
    io_cpu = result["eval cpu"] / result["goal with I/O cpu"]
    # Two readings of "in-process time": the evaluation alone (strict), or the same job in a
    # library user's code, which reads and writes the CSVs with numpy too.
    return Outcome(
        f"{result['eval wall']:.2f} s wall, {result['eval cpu']:.2f} s CPU: {wall:.2f} / {cpu:.2f} of the "
        f"strict goal, {io_wall:.2f} / {io_cpu:.2f} of the goal with the library's CSV I/O",
        f"<= 3 x in-process + start-up = {result['goal wall']:.2f} s wall / {result['goal cpu']:.2f} s CPU "
        f"(evaluation only); {result['goal with I/O wall']:.2f} / {result['goal with I/O cpu']:.2f} s "
        "(np.loadtxt + evaluation + np.savetxt)",
        wall <= 1 and cpu <= 1,
        f"in-process {result['in-process wall']:.3f} s wall / {result['in-process cpu']:.3f} s CPU, "
        f"with I/O {result['in-process with I/O wall']:.3f} / {result['in-process with I/O cpu']:.3f} s; "
        f'python -c "import numpy" {result["numpy wall"]:.3f} / {result["numpy cpu"]:.3f} s',
    )


def small_commands(ctx: Context) -> Outcome:
    import bench_cli

    bench_cli.ENV = ENV  # .pyc written, as after pip install
    cases = bench_cli.commands(ctx.work)
    for arguments in cases.values():  # OS file cache, .pyc
        subprocess.run(cli(*arguments), check=False, capture_output=True, env=ENV)
    samples: dict[str, list[tuple[float, float]]] = {"python -c pass": [], **{name: [] for name in cases}}
    for _ in range(ctx.repeats(3, 5)):
        samples["python -c pass"].append(bench_cli.wall_and_cpu([sys.executable, "-c", "pass"]))
        for name, arguments in cases.items():
            samples[name].append(bench_cli.wall_and_cpu(cli(*arguments)))
    figures = {name: medians(values) for name, values in samples.items()}
    anchor = figures.pop("python -c pass")
    slowest = max(figures, key=lambda name: figures[name][1])
    return Outcome(
        f"slowest {slowest}: {figures[slowest][1]:.3f} s CPU, {figures[slowest][0]:.3f} s wall; "
        f"--help {figures['nn2crn --help'][1]:.3f} s CPU",
        "<= 0.3 s",
        figures[slowest][1] <= 0.3,
        f"python -c pass {anchor[1]:.3f} s CPU, {anchor[0]:.3f} s wall",
    )


def deep_ode(ctx: Context) -> Outcome:
    from bench_ode import ATOL, RTOL, T_END, Clock
    from nn2crn.compile import compile_network
    from nn2crn.nn import random_ternary_network
    from nn2crn.simulate import simulate_ode

    depths = range(1, 4 if ctx.quick else 6)
    n_inputs = ctx.repeats(16, 64)
    rng = np.random.default_rng(0)
    points = []
    for depth in depths:  # bench_ode.py --deep's networks and inputs, the default solver
        crn = compile_network(random_ternary_network((64,) * (depth + 1), rng=np.random.default_rng(depth)))
        inputs = rng.standard_normal((n_inputs, 64))
        terms = int(crn.product_terms.nnz + crn.reactant_terms.nnz)
        simulate_ode(crn, inputs[:2], t_end=T_END, store="outputs", n_threads=1)
        with Clock() as clock:
            simulate_ode(crn, inputs, t_end=T_END, rtol=RTOL, atol=ATOL, store="outputs", n_threads=1)
        points.append((depth, terms, clock.cpu))
    terms, seconds = np.log([p[1] for p in points]), np.log([max(p[2], 1e-4) for p in points])
    exponent = float(np.polyfit(terms, seconds, 1)[0])
    floor = _trajectory_floor(depths)
    floor_exponent = float(
        np.polyfit(terms, np.log([f * p[1] for f, p in zip(floor, points, strict=True)]), 1)[0]
    )
    return Outcome(
        f"time ~ terms^{exponent:.2f} over depth {points[0][0]}-{points[-1][0]} ("
        + ", ".join(f"{t:,} terms {s:.2f} s" for _, t, s in points)
        + f"; {n_inputs} inputs, CPU, 1 thread)",
        "grows no faster than product terms (exponent <= 1, 1.15 with noise)",
        exponent <= 1.15,
        "the product terms of each depth; the exact trajectory's floor (fewest degree-5 pieces within "
        f"the tolerance, deep_min_pieces.py; row 0): {', '.join(map(str, floor))} pieces, so pieces x terms "
        f"~ terms^{floor_exponent:.2f}",
    )


def _trajectory_floor(depths: range) -> list[int]:
    """deep_min_pieces.py's floor for row 0 of each depth: the fewest degree-5 pieces, all species."""
    from bench_ode import _deep_case
    from deep_min_pieces import floor_pieces

    floor = []
    for depth in depths:
        crn, inputs = _deep_case(depth, 64, 1)
        floor.append(floor_pieces(crn, inputs[0]))
    return floor


_FULL_REDUCTION = """
import json, sys
import numpy as np
from nn2crn import PrecisionLossError
from nn2crn.compile import compile_network, reduce_crn
from nn2crn.nn import random_ternary_network
from nn2crn.simulate import stable_outputs
rows = int(sys.argv[1])
rng = np.random.default_rng(0)
network = random_ternary_network((256,) * 8 + (10,), rng=rng)
inputs = rng.normal(size=(rows, 256))
reduced = reduce_crn(compile_network(network), keep_inputs=False)
expected = network.forward(inputs)
try:
    got = stable_outputs(reduced, inputs)
except PrecisionLossError as error:
    print(json.dumps({"refused": str(error), "terms": int(reduced.product_terms.nnz)}))
else:
    scale = np.maximum(np.abs(expected).max(axis=1), np.abs(inputs).max(axis=1))
    error = float((np.abs(got - expected).max(axis=1) / scale).max())
    print(json.dumps({"error": error, "terms": int(reduced.product_terms.nnz)}))
"""


def full_reduction(ctx: Context) -> Outcome:
    rows = ctx.repeats(1000, 10_000)
    result = python_json(_FULL_REDUCTION, str(rows))
    if "refused" in result:
        message = result["refused"]
        clear = message.startswith("exact evaluation: row") and "--rtol" in message
        return Outcome(
            f"refused ({rows:,} rows, {result['terms']:,} terms): {message[:150]}...",
            "error <= 1e-9 relative, or a clear refusal",
            clear,
            "network.forward of the same rows",
        )
    return Outcome(
        f"max per-row relative error {result['error']:.1e} ({rows:,} rows, {result['terms']:,} terms)",
        "error <= 1e-9 relative, or a clear refusal",
        result["error"] <= 1e-9,
        "network.forward of the same rows",
    )


ROWS = (
    Row("first-simulate", "first `nn2crn simulate` after a fresh install vs warm", first_simulate, slow=True),
    Row("simulate-200", "warm CLI simulate, 200 inputs, MNIST 732-species CRN", simulate_vs_lsoda),
    Row("ssa-rebop", "first SSA call, virus CRN V = 1000, 20 inputs", ssa_vs_rebop),
    Row("iris-ode", "demo report IRIS table: ODE time compiled vs reduced", iris_ode_times),
    Row("compile-reduce", "`nn2crn compile --reduce` 784-256-256-256-10 binary", compile_reduce),
    Row("check-6m", "`nn2crn check` reduced 1024-1024-1024-10 (6.4 M terms)", check_6m, slow=True),
    Row("first-ode-12k", "first ODE call on a 12,308-species CRN", first_ode_12k),
    Row("numba-default", "default install is fast (numba a core dependency)", numba_default),
    Row("exact-chain", "exact evaluation, 80k-reaction chain", exact_chain),
    Row("exact-memory", "exact evaluation memory, 4-10000-3, 3 rows", exact_memory),
    Row("export-sbml", "`export --to sbml` 64-4000-10", export_sbml),
    Row("read-crn", "reading a .crn (W = 2048; --quick 1024) compiled / reduced", read_crn_speed),
    Row("eval-10k", "`nn2crn eval` 10,000 rows, MNIST CRN, CLI, warm", eval_cli),
    Row("small-commands", "fixed cost of `--help` and small commands", small_commands),
    Row("deep-ode", "ODE on deep networks, W = 64", deep_ode),
    Row("full-reduction", "full reduction W = 256 depth 8", full_reduction),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the slowest rows, fewer repeats")
    parser.add_argument("--only", help="comma-separated row names (see --list)")
    parser.add_argument("--list", action="store_true", help="list the rows and exit")
    args = parser.parse_args()
    if args.list:
        for row in ROWS:
            print(f"{row.name:16s} {row.title}{'  (slow: not in --quick)' if row.slow else ''}")
        return
    chosen = ROWS
    if args.only:
        names = args.only.split(",")
        unknown = sorted(set(names) - {row.name for row in ROWS})
        if unknown:
            parser.error(f"unknown rows {', '.join(unknown)}; see --list")
        chosen = tuple(row for row in ROWS if row.name in names)
    # the reused helpers (bench_reduce_cli.run, bench_cli) build their children's environment
    # from os.environ: let every child write its .pyc, as after pip install
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    ctx = Context(Path(tempfile.mkdtemp(prefix="bench_issue12_")), args.quick)
    started = time.perf_counter()
    print(f"load average at the start: {os.getloadavg()[0]:.2f}; work files in {ctx.work}", flush=True)
    skipped = [row for row in chosen if row.slow and args.quick]
    if skipped:
        print(f"--quick skips: {', '.join(row.name for row in skipped)}", flush=True)
    if any(row.name not in ("numba-default", "small-commands") for row in chosen):
        wall, cpu = run_child(cli("warm-up", "-q"))
        print(f"nn2crn warm-up (this tree's numba cache): {cpu:.1f} s CPU, {wall:.1f} s wall", flush=True)
    results: list[tuple[Row, Outcome, float]] = []
    for number, row in enumerate(chosen, start=1):
        if row in skipped:
            results.append((row, Outcome("skipped (--quick)", "", None), 0.0))
            continue
        row_start = time.perf_counter()
        try:
            outcome = row.measure(ctx)
        except Exception as error:  # a failing row is reported, the others still run
            traceback.print_exc()
            outcome = Outcome(f"failed: {type(error).__name__}: {str(error)[:200]}", "", None)
        seconds = time.perf_counter() - row_start
        results.append((row, outcome, seconds))
        verdict = {True: "met", False: "NOT met", None: "?"}[outcome.met]
        print(
            f"[{number}/{len(chosen)}] {row.name}: {outcome.measured} | goal {outcome.goal} | {verdict}"
            f"{' | anchor: ' + outcome.anchor if outcome.anchor else ''} ({seconds:.0f} s, load "
            f"{os.getloadavg()[0]:.1f})",
            flush=True,
        )
    print("\n| row | measured | goal | met? | anchor (same run) |")
    print("|---|---|---|---|---|")
    for row, outcome, _ in results:
        verdict = {True: "yes", False: "**no**", None: "—"}[outcome.met]
        cells = (row.title, outcome.measured, outcome.goal, verdict, outcome.anchor)
        print("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    met = sum(outcome.met is True for _, outcome, _ in results)
    decided = sum(outcome.met is not None for _, outcome, _ in results)
    print(
        f"\n{met} of {decided} measured rows met; {len(results) - decided} skipped or failed; "
        f"{time.perf_counter() - started:.0f} s in all; load average at the end: {os.getloadavg()[0]:.2f}"
    )
    print(machine_line())


if __name__ == "__main__":
    main()
