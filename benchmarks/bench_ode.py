"""Deterministic kinetics speed goal (issue 4): 1,000 inputs of a compiled 196-64-10 network.

What is compared, all at mass action, t_end = 200, rtol = 1e-6, atol = 1e-9 and
101 sample times, on the *compiled, not reduced* CRN of a 196-64-10 ternary
network (732 species, ~648 reactions):

- **nn2crn** ``simulate_ode`` (RODAS5P, numba kernel): wall time of one call
  for all N inputs (default 1,000), including the model building inside the
  call, on one thread (the anchors are single-threaded); the time with all CPUs
  is printed too. The numba JIT is warmed up first (the warm-up time is printed).
- **libroadrunner** (CVODE, LLVM-compiled): model load time (SBML from
  ``nn2crn.crn.sbml.to_sbml``) + a per-input loop (set initial amounts, reset,
  simulate), timed on S inputs (default 20) and scaled to N.
- **SciPy LSODA** (``solve_ivp``, sparse mass-action right-hand side and the
  analytic Jacobian, which is several times faster than letting LSODA difference
  732 columns): per-input loop timed on S inputs and scaled to N.

It prints each anchor's time for N inputs, the ratio anchor / nn2crn (goal:
>= 100x for both; also against the issue's quoted anchor figures, 60 s + 0.64 s
per input for roadrunner and 0.70 s per input for LSODA), CPU-time ratios (less sensitive to other load on a shared
machine), the maximum |output difference| against roadrunner and LSODA on the
sampled inputs (at t_end and over all sample times; goal: <= 1e-5 against
roadrunner), each method's error against roadrunner at rtol 1e-10 / atol 1e-14
on a few inputs (to tell whose error a difference is), and a machine line.

Networks: a random ternary 196-64-10 network (seed 0) and, when present, the
shipped ``src/nn2crn/models/mnist-196-64-10-ternary.json``. Inputs: standardized
14x14 digits from the bundled MNIST sample (both signs), N of them.

Deep networks (issue 12; ``--deep``): random ternary W = 64 networks of depth 1..6
(seed = depth), 64 standard-normal inputs, t_end 200: CPU seconds and steps of
``simulate_ode`` as one system at the default tolerances (the anchor), the steps of one
row alone, ``layered=True``, and the whole system at rtol 1e-4, with each one's error at
t_end against a tight solve (rtol 1e-10) and the exact stable state. ``--deep --deep-why``:
accepted steps per time window, the step count against the input scale, SciPy BDF/Radau
step counts, and which species' errors set the step (benchmarks/README.md).
``--deep --deep-reduced``: the same networks' reduced CRNs (inputs kept): steps, kernel
size and CPU time per depth.

Run: python benchmarks/bench_ode.py [--n-inputs 1000] [--sample 20] [--skip-roadrunner]
     python benchmarks/bench_ode.py --deep [--depths 1,2,3,4,5,6] [--deep-inputs 64] [--deep-why | --deep-reduced]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _timing import machine_line  # noqa: E402
from nn2crn.compile import compile_network  # noqa: E402
from nn2crn.crn import CRN  # noqa: E402
from nn2crn.nn import load_network, random_ternary_network  # noqa: E402
from nn2crn.simulate.ode import simulate_ode  # noqa: E402

T_END, RTOL, ATOL, N_POINTS = 200.0, 1e-6, 1e-9, 101
# The issue's anchors, measured on this machine on the authors' MNIST CRN (seconds).
QUOTED_RR_LOAD, QUOTED_RR_PER_INPUT, QUOTED_LSODA_PER_INPUT = 60.0, 0.64, 0.70
MODEL = Path(__file__).resolve().parents[1] / "src" / "nn2crn" / "models" / "mnist-196-64-10-ternary.json"


class Clock:
    """Wall and process CPU time of a block."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def mnist_inputs(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Raw 14x14 digits in [0, 1] and the same standardized per pixel (train split), each (n, 196)."""
    from nn2crn.datasets.mnist import load_mnist

    data = load_mnist(source="sample", download=False)
    mean = data.train.x.mean(axis=0)
    scale = data.train.x.std(axis=0)
    scale[scale == 0] = 1.0
    pool = np.concatenate((data.test.x, data.val.x, data.train.x))
    raw = pool[rng.permutation(len(pool))[:n]]
    return raw, (raw - mean) / scale


def lsoda_loop(crn: CRN, x0: np.ndarray, times: np.ndarray) -> np.ndarray:
    """SciPy LSODA on each row; outputs of shape (n_rows, n_times, n_outputs)."""
    import scipy.sparse as sp
    from scipy.integrate import solve_ivp

    stoich = crn.stoichiometry.T.tocsr()
    columns, powers, rates = crn.reactant_columns, crn.reactant_powers, crn.rates
    first, second = columns[:, 0], columns[:, 1] if columns.shape[1] > 1 else None
    simple = (powers.max(initial=1) <= 1) and columns.shape[1] <= 2

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        if simple:
            v = rates * y[first]
            if second is not None:
                v = v * np.where(second >= 0, y[second], 1.0)
        else:
            v = rates * np.prod(np.where(columns >= 0, y[columns] ** powers, 1.0), axis=1)
        return stoich @ v

    valid = columns >= 0
    safe = np.where(valid, columns, 0)
    jac_rows = np.concatenate([np.flatnonzero(valid[:, slot]) for slot in range(columns.shape[1])])
    jac_cols = np.concatenate([columns[valid[:, slot], slot] for slot in range(columns.shape[1])])

    def jac(t: float, y: np.ndarray) -> np.ndarray:
        x = y[safe]
        factors = np.where(valid, x**powers, 1.0)
        values = []
        for slot in range(columns.shape[1]):
            others = np.prod(np.delete(factors, slot, axis=1), axis=1)
            d = rates * powers[:, slot] * x[:, slot] ** np.maximum(powers[:, slot] - 1, 0) * others
            values.append(d[valid[:, slot]])
        dv = sp.csr_array((np.concatenate(values), (jac_rows, jac_cols)), shape=(len(rates), crn.n_species))
        return (stoich @ dv).toarray()

    results = []
    for row in x0:
        solution = solve_ivp(
            rhs, (0.0, times[-1]), row, method="LSODA", t_eval=times, rtol=RTOL, atol=ATOL, jac=jac
        )
        if solution.status != 0:
            raise RuntimeError(f"LSODA failed: {solution.message}")
        results.append(crn.read_outputs(solution.y.T))
    return np.array(results)


def roadrunner_run(
    crn: CRN, x0: np.ndarray, n_points: int, n_reference: int
) -> tuple[float, float, float, float, np.ndarray, np.ndarray]:
    """Roadrunner at the benchmark tolerances, and at tight ones as an independent reference.

    Returns load time (wall, cpu), per-input loop time (wall, cpu), outputs of
    shape (n_rows, n_times, n_outputs), and reference outputs for the first
    `n_reference` rows (rtol 1e-10, atol 1e-14).
    """
    import roadrunner

    from nn2crn.crn.sbml import to_sbml

    with Clock() as load:
        runner = roadrunner.RoadRunner(to_sbml(crn))
        order = [crn.species_index[name] for name in runner.model.getFloatingSpeciesIds()]
        runner.timeCourseSelections = ["time", *crn.species]

    def run(rows: np.ndarray, rtol: float, atol: float) -> np.ndarray:
        runner.integrator.relative_tolerance = rtol
        runner.integrator.absolute_tolerance = atol
        results = []
        for row in rows:
            runner.resetAll()
            runner.model.setFloatingSpeciesInitAmounts(row[order])
            runner.reset()
            states = np.asarray(runner.simulate(0.0, T_END, n_points))[:, 1:]
            results.append(crn.read_outputs(states))
        return np.array(results)

    with Clock() as loop:
        outputs = run(x0, RTOL, ATOL)
    runner.integrator.setValue("maximum_num_steps", 10**6)
    reference = run(x0[:n_reference], 1e-10, 1e-14)
    return load.wall, load.cpu, loop.wall, loop.cpu, outputs, reference


def simulate(crn: CRN, inputs: np.ndarray, n_threads: int | None) -> tuple[Clock, object]:
    with Clock() as clock:
        trajectory = simulate_ode(
            crn,
            inputs,
            t_end=T_END,
            n_points=N_POINTS,
            rtol=RTOL,
            atol=ATOL,
            store="outputs",
            n_threads=n_threads,
        )
    return clock, trajectory


def bench(name: str, crn: CRN, inputs: np.ndarray, sample: int, skip_roadrunner: bool) -> None:
    n = len(inputs)
    print(f"\n== {name}: {crn.n_species} species, {crn.n_reactions} reactions, {n} inputs ==")
    # Warm-up (JIT compile on the first ever run is cached on disk afterwards).
    with Clock() as warm:
        simulate_ode(crn, inputs[:2], t_end=T_END, n_points=N_POINTS, rtol=RTOL, atol=ATOL, store="outputs")
    print(f"warm-up call (includes numba JIT compile or cache load): {warm.wall:.2f} s")

    ours, trajectory = simulate(crn, inputs, n_threads=1)
    parallel, _ = simulate(crn, inputs, n_threads=None)
    stats = trajectory.stats
    print(
        f"nn2crn simulate_ode ({stats.solver}, {stats.backend}, 1 thread): {ours.wall:.2f} s wall, "
        f"{ours.cpu:.2f} s CPU for {n} inputs ({ours.wall / n * 1e3:.2f} ms/input; setup "
        f"{stats.seconds_setup:.3f} s; {stats.steps / stats.chunks:.0f} steps per chunk of <= 64 rows; "
        f"{stats.n_integrated_species} integrated + {stats.n_closed_form_species} closed-form species)"
    )
    print(f"nn2crn simulate_ode, all {os.cpu_count()} CPUs: {parallel.wall:.2f} s wall")
    outputs = trajectory.outputs
    quoted_rr = QUOTED_RR_LOAD + QUOTED_RR_PER_INPUT * n
    quoted_lsoda = QUOTED_LSODA_PER_INPUT * n
    print(
        f"against the issue's quoted anchors ({quoted_rr:.0f} s roadrunner, {quoted_lsoda:.0f} s LSODA for {n} "
        f"inputs): {quoted_rr / ours.wall:.0f}x and {quoted_lsoda / ours.wall:.0f}x single-threaded "
        f"(goal >= 100x each)"
    )
    x0 = crn.initial_state(inputs[:sample])
    times = trajectory.times

    with Clock() as lsoda:
        lsoda_outputs = lsoda_loop(crn, x0, times)
    lsoda_total = lsoda.wall / sample * n
    lsoda_cpu = lsoda.cpu / sample * n
    print(
        f"SciPy LSODA loop: {lsoda.wall / sample:.3f} s/input -> {lsoda_total:.1f} s for {n} inputs "
        f"(ratio {lsoda_total / ours.wall:.0f}x wall, {lsoda_cpu / ours.cpu:.0f}x CPU)"
    )
    delta = np.abs(outputs[:sample] - lsoda_outputs)
    print(
        f"  max |nn2crn - LSODA| outputs: {delta[:, -1].max():.2e} at t_end, {delta.max():.2e} over all times"
    )

    if skip_roadrunner:
        print(f"RESULT {name}: {lsoda_total / ours.wall:.0f}x vs LSODA measured here (goal >= 100x)")
        return
    n_reference = min(5, sample)
    load_wall, load_cpu, loop_wall, loop_cpu, rr_outputs, reference = roadrunner_run(
        crn, x0, len(times), n_reference
    )
    rr_total = load_wall + loop_wall / sample * n
    rr_cpu = load_cpu + loop_cpu / sample * n
    print(
        f"libroadrunner: load {load_wall:.1f} s + {loop_wall / sample:.3f} s/input -> {rr_total:.1f} s for {n} "
        f"inputs (ratio {rr_total / ours.wall:.0f}x wall, {rr_cpu / ours.cpu:.0f}x CPU)"
    )
    delta = np.abs(outputs[:sample] - rr_outputs)
    print(
        f"  max |nn2crn - roadrunner| outputs: {delta[:, -1].max():.2e} at t_end, {delta.max():.2e} over all "
        f"times (goal <= 1e-5); |roadrunner - LSODA| over all times: {np.abs(rr_outputs - lsoda_outputs).max():.2e}"
    )
    print(
        f"  error against roadrunner at rtol 1e-10, atol 1e-14 ({n_reference} inputs; at t_end / over all times):"
    )
    for label, values in (("nn2crn", outputs), ("roadrunner", rr_outputs), ("LSODA", lsoda_outputs)):
        error = np.abs(values[:n_reference] - reference)
        print(f"    {label:11s} {error[:, -1].max():.2e} / {error.max():.2e}")
    print(
        f"RESULT {name}: {rr_total / ours.wall:.0f}x vs libroadrunner, {lsoda_total / ours.wall:.0f}x vs LSODA "
        f"measured here, single-threaded (goal >= 100x each)"
    )


def _deep_case(depth: int, width: int, n_inputs: int) -> tuple[CRN, np.ndarray]:
    """The deep benchmark's network (seed = depth) and standard-normal inputs (seed 0)."""
    network = random_ternary_network((width,) * (depth + 1), rng=np.random.default_rng(depth))
    return compile_network(network), np.random.default_rng(0).standard_normal((n_inputs, width))


def deep_scaling(depths: list[int], n_inputs: int, width: int = 64, n_reference: int = 8) -> None:
    """Time vs depth at one width: the whole system, one row alone, layer by layer, and rtol 1e-4.

    Errors at t_end are in units of each row's largest |exact stable output|, against the
    whole-system solver at rtol 1e-10 / atol 1e-14 (first `n_reference` rows) and against
    the exact stable state (all rows; at t_end = 200 the outputs are still converging).
    """
    from nn2crn.simulate.exact import stable_outputs

    print(f"\n== deep networks: width {width}, {n_inputs} inputs, t_end {T_END:g}, CPU seconds (1 thread) ==")
    print(
        "whole: default solver (rtol 1e-6, atol 1e-9, one step sequence per chunk of 64 rows); "
        "1 row: steps of row 0 alone; layered: layered=True; loose: whole system at rtol 1e-4.\n"
        "err/tight: max |output - tight solve| / row scale at t_end; err/exact: the same against the "
        "stable state."
    )
    print(
        f"{'depth':>5s} {'species':>7s} {'terms':>6s} {'whole s':>8s} {'steps':>6s} {'1 row':>6s} "
        f"{'layered s':>9s} {'steps':>6s} {'loose s':>8s} {'steps':>6s} "
        f"{'err/tight whole':>15s} {'layered':>8s} {'loose':>8s} {'err/exact whole':>15s} {'loose':>8s}"
    )
    for depth in depths:
        crn, inputs = _deep_case(depth, width, n_inputs)
        terms = int(sum(len(r.reactants) + len(r.products) for r in crn.reactions))
        runs = {}
        for label, options in (
            ("whole", {}),
            ("layered", {"layered": True}),
            ("loose", {"rtol": 1e-4}),
        ):
            options = {"rtol": RTOL, "atol": ATOL, **options}
            simulate_ode(crn, inputs[:2], t_end=T_END, store="outputs", n_threads=1, **options)  # warm
            with Clock() as clock:
                trajectory = simulate_ode(
                    crn, inputs, t_end=T_END, n_points=2, store="outputs", n_threads=1, **options
                )
            runs[label] = (clock.cpu, trajectory)
        alone = simulate_ode(crn, inputs[:1], t_end=T_END, n_points=2, rtol=RTOL, atol=ATOL, n_threads=1)
        tight = simulate_ode(
            crn,
            inputs[:n_reference],
            t_end=T_END,
            n_points=2,
            rtol=1e-10,
            atol=1e-14,
            n_threads=1,
            store="outputs",
            max_steps=10**7,
        ).final_outputs
        exact = stable_outputs(crn, inputs)
        scale = np.abs(exact).max(axis=1, keepdims=True)

        def error(label: str, reference: np.ndarray, runs: dict = runs, scale: np.ndarray = scale) -> float:
            outputs = runs[label][1].final_outputs[: len(reference)]
            return float((np.abs(outputs - reference) / scale[: len(reference)]).max())

        (whole_s, whole), (layered_s, layered), (loose_s, loose) = (
            runs["whole"],
            runs["layered"],
            runs["loose"],
        )
        print(
            f"{depth:5d} {crn.n_species:7d} {terms:6d} {whole_s:8.2f} {whole.stats.steps:6d} "
            f"{alone.stats.steps:6d} {layered_s:9.2f} {layered.stats.steps:6d} {loose_s:8.2f} "
            f"{loose.stats.steps:6d} {error('whole', tight):15.1e} {error('layered', tight):8.1e} "
            f"{error('loose', tight):8.1e} {error('whole', exact):15.1e} {error('loose', exact):8.1e}",
            flush=True,
        )


def deep_why(depths: list[int], width: int = 64) -> None:
    """Where the deep networks' steps go: time windows, amounts, and which species limit the step.

    Accepted steps per time window come from the numba kernel's step tape (the whole
    system, one chunk); the input-scale rows show the step count's dependence on the
    amounts (scaling every input by s scales every amount by s); the error shares
    re-run one row through the numpy twin of the kernel and attribute each accepted
    step's squared weighted error to the species' kind (z+/z-/m/h+/h-) and layer.
    """
    from nn2crn.simulate._ode_control import StepControl
    from nn2crn.simulate._ode_numba import integrate_chunk
    from nn2crn.simulate._ode_plan import build_plan
    from nn2crn.simulate._ode_rodas import TABLEAUS
    from nn2crn.simulate._ode_stages import no_drive

    tableau = TABLEAUS["rodas5p"]
    edges = [0.0, 0.1, 1.0, 3.0, 10.0, 30.0, 100.0, T_END * 1.001]
    print(f"\n== where the steps go (width {width}, rtol {RTOL:g}, atol {ATOL:g}) ==")
    print(f"accepted steps per time window {edges[:-1]} .. {T_END:g}; largest amount at t_end")
    for n_rows in (1, 64):
        for depth in depths:
            crn, inputs = _deep_case(depth, width, n_rows)
            plan = build_plan(crn)
            x0 = crn.initial_state(inputs)
            y = np.ascontiguousarray(x0[:, plan.dynamic].T)
            coef = np.ascontiguousarray(plan.inflow_coefficients(x0))
            stats, tape, _ = integrate_chunk(
                y,
                coef,
                np.array([0.0, T_END]),
                np.zeros(0, np.int64),
                np.zeros((n_rows, 2, 0)),
                plan.kernel(),
                tableau.kernel(),
                StepControl(RTOL, ATOL, 10**7, tableau.exponent),
                no_drive(int(tableau.dense.shape[0])),
                np.zeros(0, np.int64),
            )
            counts = np.histogram(tape[:-1], bins=edges)[0].tolist()
            print(
                f"  {n_rows:2d} row(s), depth {depth}: {stats.steps:5d} steps {counts}  max amount {np.abs(y).max():.2g}"
            )
    print("steps (64 inputs) with every input scaled by s:")
    for depth in depths:
        crn, inputs = _deep_case(depth, width, 64)
        counts = [
            simulate_ode(crn, inputs * s, t_end=T_END, n_points=2, n_threads=1, store="outputs").stats.steps
            for s in (1e-4, 1e-2, 1.0, 1e2)
        ]
        print(f"  depth {depth}: s = 1e-4, 1e-2, 1, 1e2 -> {counts}")
    print("one row's steps with SciPy's BDF and Radau (same tolerances, analytic sparse Jacobian):")
    for depth in [d for d in depths if 2 <= d <= 4]:
        print(f"  depth {depth}: {_scipy_steps(*_deep_case(depth, width, 1))}")
    _error_shares(min(max(depths), 4), width)


def scipy_rhs_jac(crn: CRN) -> tuple[Callable, Callable]:
    """Mass-action right-hand side and analytic sparse (CSC) Jacobian of `crn` for SciPy's solve_ivp."""
    import scipy.sparse as sp

    stoich, rates = crn.stoichiometry.T.tocsr(), crn.rates
    first = crn.reactant_columns[:, 0]
    # a CRN without bimolecular reactions has one reactant column
    second = crn.reactant_columns[:, 1] if crn.reactant_columns.shape[1] > 1 else np.full_like(first, -1)
    pair = second >= 0
    other = np.maximum(second, 0)
    rows = np.concatenate((np.arange(len(rates)), np.flatnonzero(pair)))
    columns = np.concatenate((first, second[pair]))

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        return stoich @ (rates * y[first] * np.where(pair, y[other], 1.0))

    def jac(t: float, y: np.ndarray) -> sp.csc_array:
        values = np.concatenate((rates * np.where(pair, y[other], 1.0), rates[pair] * y[first[pair]]))
        return (stoich @ sp.csr_array((values, (rows, columns)), shape=(len(rates), crn.n_species))).tocsc()

    return rhs, jac


def _scipy_steps(crn: CRN, inputs: np.ndarray) -> str:
    """Accepted steps of SciPy's stiff solvers on one row: an independent check of the step growth."""
    from scipy.integrate import solve_ivp

    rhs, jac = scipy_rhs_jac(crn)
    counts = []
    for method in ("BDF", "Radau"):
        solution = solve_ivp(
            rhs, (0.0, T_END), crn.initial_state(inputs)[0], method=method, rtol=RTOL, atol=ATOL, jac=jac
        )
        counts.append(f"{method} {len(solution.t) - 1}")
    return ", ".join(counts)


def _error_shares(depth: int, width: int) -> None:
    """Share of each accepted step's squared weighted error by species kind and layer, one row, numpy twin."""
    import math
    import re
    from collections import defaultdict

    from nn2crn.simulate._ode_control import StepControl, initial_step, next_step, reaches_end
    from nn2crn.simulate._ode_numpy import NumpyKernel, rosenbrock_stages
    from nn2crn.simulate._ode_plan import build_plan
    from nn2crn.simulate._ode_rodas import TABLEAUS

    crn, inputs = _deep_case(depth, width, 1)
    plan = build_plan(crn)
    kinds = []
    for name in (crn.species[i] for i in plan.dynamic):
        match = re.match(r"([a-z]+)(\d*)_", name)
        kinds.append(
            f"{match.group(1)}{name[-1] if name[-1] in 'pn' else ''}{match.group(2)}" if match else name
        )
    kernel, tableau = NumpyKernel(plan), TABLEAUS["rodas5p"]
    control = StepControl(RTOL, ATOL, 10**6, tableau.exponent)
    x0 = crn.initial_state(inputs)
    y = np.ascontiguousarray(x0[:, plan.dynamic])
    coef = np.ascontiguousarray(plan.inflow_coefficients(x0).T)
    t, rejected_before, log = 0.0, False, []
    f0 = kernel.rhs(t, y, coef)
    scale = ATOL + RTOL * np.abs(y)
    h = initial_step(
        float(np.sqrt(np.mean((y / scale) ** 2))), float(np.sqrt(np.mean((f0 / scale) ** 2))), T_END
    )
    while t < T_END:  # the same step as integrate_chunk_numpy, keeping the error terms
        last = reaches_end(t, h, T_END)
        if last:
            h = T_END - t
        f0, jac, ft = kernel.rhs(t, y, coef), kernel.jacobian(y), kernel.time_derivative(t, coef, 1)
        lu = kernel.factor(1.0 / (h * tableau.gamma), jac)
        ks, ynew = rosenbrock_stages(kernel, tableau, t, y, h, coef, f0, ft, lu)
        terms = (ks[-1] / (ATOL + RTOL * np.maximum(np.abs(y), np.abs(ynew))))[0] ** 2
        err = math.sqrt(terms.mean())
        if err <= 1.0:
            log.append((t, h, terms / max(terms.sum(), 1e-300)))
            y, t = np.maximum(ynew, 0.0), (T_END if last else t + h)
        h = next_step(h, err, rejected_before, control)
        rejected_before = err > 1.0
    print(f"error shares, depth {depth}, one row ({len(log)} steps): window, steps, median h, largest shares")
    edges = [0.0, 1.0, 3.0, 10.0, 30.0, 100.0, T_END * 1.001]
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        window = [entry for entry in log if lo <= entry[0] < hi]
        if not window:
            continue
        share: dict[str, float] = defaultdict(float)
        for _, _, part in window:
            for j in np.flatnonzero(part > 1e-3):
                share[kinds[j]] += part[j] / len(window)
        best = sorted(share.items(), key=lambda item: -item[1])[:4]
        print(
            f"  t in [{lo:g}, {hi:g}): {len(window):4d} steps, h {np.median([e[1] for e in window]):.3g}: "
            + ", ".join(f"{kind} {value:.2f}" for kind, value in best)
        )


def deep_reduced(depths: list[int], n_inputs: int, width: int = 64) -> None:
    """The same deep networks' *reduced* CRNs (inputs kept): steps, kernel size and CPU time per depth.

    The kernel size is what one right-hand side costs: the integrated species' stoichiometry
    entries (inputs decay in closed form, so their fan-out costs one inflow per species).
    """
    from nn2crn.compile import reduce_crn
    from nn2crn.simulate._ode_plan import build_plan

    print(
        f"\n== reduced deep networks: width {width}, {n_inputs} inputs, t_end {T_END:g}, CPU seconds (1 thread) =="
    )
    print(
        f"{'depth':>5s} {'species':>7s} {'terms':>7s} {'kernel entries':>14s} {'steps':>6s} {'CPU s':>6s}  "
        "largest amount of row 0 (compiled, reduced; 201 samples)"
    )
    points = []
    for depth in depths:
        compiled, inputs = _deep_case(depth, width, n_inputs)
        crn = reduce_crn(compiled, keep_inputs=True)
        terms = int(crn.product_terms.nnz + crn.reactant_terms.nnz)
        entries = int(build_plan(crn).stoich_idx.shape[0])
        simulate_ode(crn, inputs[:2], t_end=T_END, store="outputs", n_threads=1)  # warm
        with Clock() as clock:
            steps = simulate_ode(
                crn, inputs, t_end=T_END, rtol=RTOL, atol=ATOL, n_points=2, store="outputs", n_threads=1
            ).stats.steps
        points.append((terms, entries, clock.cpu))
        largest = [
            float(np.abs(simulate_ode(each, inputs[:1], t_end=T_END, n_points=201, n_threads=1).states).max())
            for each in (compiled, crn)
        ]
        print(
            f"{depth:5d} {crn.n_species:7d} {terms:7d} {entries:14d} {steps:6d} {clock.cpu:6.2f}  "
            f"{largest[0]:.2g}, {largest[1]:.2g}",
            flush=True,
        )
    # depth 1 has no integrated species with reactions (all in closed form): no kernel entries
    points = [point for point in points if point[1] > 0]
    if len(points) >= 2:
        terms, entries, seconds = (np.log([p[k] for p in points]) for k in range(3))
        print(
            f"fitted CPU exponent (depths with kernel entries) against product terms "
            f"{np.polyfit(terms, seconds, 1)[0]:.2f}, against kernel entries {np.polyfit(entries, seconds, 1)[0]:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-inputs", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=20, help="inputs timed for each anchor (scaled up)")
    parser.add_argument(
        "--skip-roadrunner", action="store_true", help="skip the ~1 min roadrunner model load"
    )
    parser.add_argument("--deep", action="store_true", help="only the deep-network scaling (W = 64)")
    parser.add_argument("--depths", default="1,2,3,4,5,6")
    parser.add_argument("--deep-inputs", type=int, default=64)
    parser.add_argument(
        "--deep-why",
        action="store_true",
        help="with --deep: where the steps go (windows, amounts, error shares)",
    )
    parser.add_argument(
        "--deep-reduced", action="store_true", help="with --deep: the reduced CRNs of the same networks"
    )
    args = parser.parse_args()
    if args.deep:
        print(machine_line())
        print(f"load average at start: {os.getloadavg()[0]:.2f} (other processes slow every timing alike)")
        depths = [int(d) for d in args.depths.split(",")]
        if args.deep_why:
            deep_why(depths)
        elif args.deep_reduced:
            deep_reduced(depths, args.deep_inputs)
        else:
            deep_scaling(depths, args.deep_inputs)
        return
    rng = np.random.default_rng(0)
    raw, standardized = mnist_inputs(args.n_inputs, rng)
    print(machine_line())
    print(f"load average at start: {os.getloadavg()[0]:.2f} (other processes slow every timing alike)")
    networks = [
        ("random ternary 196-64-10", random_ternary_network((196, 64, 10), rng=np.random.default_rng(0)))
    ]
    if MODEL.exists():
        networks.append((f"shipped {MODEL.name}", load_network(MODEL)))
    for name, network in networks:
        values = network.transform(raw) if network.input_transform is not None else standardized
        bench(name, compile_network(network), values, args.sample, args.skip_roadrunner)


if __name__ == "__main__":
    main()
