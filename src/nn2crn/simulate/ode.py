"""Deterministic kinetics: fast batched ODE simulation of a CRN.

Method
------
RODAS5P (Steinebach 2023; default) or RODAS4 (Hairer & Wanner): stiffly
accurate, L-stable Rosenbrock methods of order 5 (4) with embedded error
estimates of order 4 (3) and continuous extensions for the sample times (see
:mod:`nn2crn.simulate._ode_rodas`). They need the exact Jacobian, which the rate
laws give in closed form, and one linear solve with ``I / (h gamma) - J`` per
stage (no Newton iteration).

What makes it fast (see :mod:`nn2crn.simulate._ode_plan`):

- Species that are never produced and decay only through unimolecular reactions
  (a compiled network's inputs) are integrated in closed form, ``s(0) exp(-K t)``;
  their fan-out reactions become a known exponential inflow. The compiled
  MNIST 196-64-10 CRN keeps 340 of its 732 species in the integrated system.
- The dynamic species are ordered by the strongly connected components of the
  Jacobian, so ``I / (h gamma) - J`` is block lower triangular (2x2 blocks at the
  ReLU pairs ``M + Z- -> Y-`` of a feed-forward CRN) and each solve is a forward
  substitution, not a sparse LU.
- Jacobian entries of first-order mass-action reactions are constants kept
  once; only the others are recomputed each step.
- Batch rows are integrated in chunks of 64 rows sharing one step size, with
  the rows as the innermost, contiguous array axis (SIMD), in a compiled kernel
  that releases the GIL, so chunks run on parallel threads (`n_threads`): the C
  kernel that ``pip install`` builds (``_ode_ckernel.c``; a fresh process needs
  neither numba nor scipy for it), or the numba kernel (for ``layered=True``,
  or when the C extension was not built). Without either the same method runs
  in numpy with SuperLU solves (much slower; same results to within the
  tolerances).

Conventions
-----------
- **Error control**: per batch row, the weighted RMS norm over the integrated
  species of the local error estimate, with weights ``atol + rtol * |y|``
  (as CVODE and SciPy); the worst row of a chunk decides the shared step size.
  Closed-form species are exact.
- **Non-negativity**: after every accepted step, amounts are projected onto
  ``y >= 0`` (values below 0 are set to 0); interpolated samples are clipped
  the same way. The largest amount clipped is reported as
  ``Trajectory.stats.max_clipped`` (round-off sized for well-posed runs).
- **Failures raise**: a step-size collapse (e.g. a finite-time blow-up such as
  ``2 A -> 3 A``), non-finite values or more than `max_steps` step attempts raise
  :class:`~nn2crn.SimulationError` naming the batch row and the time.

Rate laws
---------
``"mass-action"``: ``v = k * prod_i x_i ** n_i``.

``"saturating"`` (Michaelis–Menten-style, ``K = 1``):
``v = k * prod_i (x_i / (K + x_i)) ** n_i``. Each reactant's factor rises like
mass action for ``x_i << K`` and saturates at 1 for ``x_i >> K``; it is 0 exactly
when a reactant is absent. Because a non-competitive feed-forward CRN's stable
state does not depend on the rate law (each reaction still fires until a
reactant is exhausted), compiled networks reach the same final outputs under
it, only on a different schedule.
"""

from __future__ import annotations

import importlib.util
import math
import os
import time as _time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from .._errors import SimulationError
from ..crn import CRN
from ._ode_plan import RATE_LAWS, OdePlan, build_plan
from ._ode_rodas import TABLEAUS
from .base import OdeStats, Status, Trajectory, check_trajectory_size, sample_grid

if TYPE_CHECKING:
    from ._ode_control import ChunkStats, StepControl

STORES = ("all", "outputs")
BACKENDS = ("auto", "c", "numba", "numpy")
CHUNK_ROWS = 64
"""Batch rows integrated together with one shared step size."""
SIMD_ROWS = 8
"""The numba kernel's chunks are padded (by repeating a row) to a multiple of this many rows,
so that its innermost loops have no scalar remainder."""
MAX_NUMBA_BLOCK = 48
"""Above this strongly connected block size, ``backend="auto"`` uses SuperLU (numpy): the C
and numba kernels factor each block densely per row (cubic in its size)."""


def _check_positive(name: str, value: object, *, upper: float | None = None) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SimulationError(f"{name} must be a number, got {value!r}") from None
    if not (math.isfinite(number) and number > 0):
        raise SimulationError(f"{name} must be a finite number > 0, got {value!r}")
    if upper is not None and number >= upper:
        raise SimulationError(f"{name} must be < {upper:g}, got {value!r}")
    return number


def _choose_backend(backend: str, plan: OdePlan, layered: bool) -> str:
    if backend not in BACKENDS:
        raise SimulationError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "c" or (backend == "auto" and not layered and plan.max_block <= MAX_NUMBA_BLOCK):
        from . import _ode_native

        if _ode_native.available():
            if layered:
                raise SimulationError(
                    "layered=True needs backend='numba' (the C kernel integrates whole systems)"
                )
            return "c"
        if backend == "c":
            raise SimulationError(
                "backend='c' needs the compiled extension nn2crn.simulate._ode_ckernel "
                "(built by pip install with a C compiler)"
            )
    has_numba = importlib.util.find_spec("numba") is not None
    if backend == "numba" and not has_numba:
        raise SimulationError("backend='numba' needs numba; install it with pip install 'nn2crn[fast]'")
    if backend == "auto":
        return "numba" if has_numba and plan.max_block <= MAX_NUMBA_BLOCK else "numpy"
    return backend


def _chunks(n_rows: int, size: int) -> list[tuple[int, int]]:
    """Consecutive chunks of `size` rows (the last one may be shorter)."""
    return [(start, min(start + size, n_rows)) for start in range(0, n_rows, size)]


def _failure(stats: ChunkStats, rows: np.ndarray, control: StepControl) -> SimulationError:
    status = Status(stats.status)
    row = int(rows[stats.worst_row])
    if status == Status.MAX_STEPS:
        what = f"more than max_steps = {control.max_steps} step attempts were needed; {status.message}"
    else:
        what = status.message
    return SimulationError(
        f"ODE solver failed on batch row {row} at t = {stats.t:.6g}: {what} "
        f"(now rtol/atol = {control.rtol:g}/{control.atol:g})"
    )


def simulate_ode(
    crn: CRN,
    input_values: object = None,
    *,
    t_end: float,
    times: object = None,
    n_points: int = 101,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    rate_law: str = "mass-action",
    store: str = "all",
    progress: Callable[[float], None] | None = None,
    max_steps: int = 100_000,
    method: str = "rodas5p",
    backend: str = "auto",
    n_threads: int | None = None,
    layered: bool = False,
) -> Trajectory:
    """Simulate deterministic kinetics of `crn` for a batch of input vectors.

    Parameters
    ----------
    crn : CRN
        Any CRN (not only non-competitive or feed-forward ones).
    input_values : array-like of shape (n_batch, n_inputs), or None
        Values of the declared inputs; each row sets initial amounts through
        :meth:`CRN.initial_state`. None for a CRN without inputs (one row).
    t_end : float
        Final time, > 0.
    times : array-like of shape (n_times,), optional
        Sample times: >= 0, strictly increasing, ending at `t_end`. Overrides `n_points`.
    n_points : int, default 101
        Number of equally spaced sample times from 0 to `t_end` (>= 2).
    rtol, atol : float
        Relative and absolute local error tolerances, both > 0.
    rate_law : {"mass-action", "saturating"}
        See the module docstring.
    store : {"all", "outputs"}
        Keep every species, or only those read by the declared outputs (saves
        memory for big batches; ``Trajectory.columns`` records which).
    progress : callable, optional
        Called with the fraction of rows done (0..1) after each chunk of rows.
    max_steps : int, default 100000
        Maximum step attempts per chunk of rows before giving up.
    method : {"rodas5p", "rodas4"}
        The Rosenbrock method (see the module docstring).
    backend : {"auto", "c", "numba", "numpy"}
        "auto" uses the C kernel when the extension is built and `layered` is False,
        else the numba kernel when numba is installed, else numpy; either compiled
        kernel only while the largest strongly connected block has at most
        ``MAX_NUMBA_BLOCK`` (48) species (numpy's SuperLU above). "c" and "numba"
        give the same results (the same arithmetic in the same order).
    n_threads : int, optional
        Threads integrating chunks of rows in parallel (C and numba backends);
        default: the CPUs available to this process. Results do not depend on it.
    layered : bool, default False
        Integrate layer by layer (numba backend): the integrated species are split
        into stages along the levels of their dependency graph (a feed-forward
        network's layers), each integrated over the whole time span with its own
        step sizes, driven by the earlier stages' dense output (see
        :mod:`nn2crn.simulate._ode_stages`). Each stage meets `rtol` and `atol`
        locally, but its step sizes follow only its own species, so the global
        error is larger than a whole-system solve's (whose steps follow every
        layer): on a 64-wide network of depth 3, 1.5e-2 against 2e-6 on outputs of
        size 550 at rtol 1e-6. At width 64 it takes 3.4-3.7x the steps of the
        whole system (shorter ones) and about the same CPU time at depth 5-6, with a
        t_end error of up to 2.4e-2 of the outputs' scale at depth 6
        (``benchmarks/bench_ode.py --deep``): for final outputs, a looser `rtol` on
        the whole system is faster and more accurate. False: one step-size sequence
        for the whole system (what the numpy backend always does).

    Returns
    -------
    Trajectory
        ``states`` of shape (n_batch, n_times, n_species) (or n_columns with
        ``store="outputs"``), ``method="ode"`` and ``stats`` an :class:`~nn2crn.simulate.base.OdeStats`
        (solver, backend, chunks, threads, steps, rejected steps and right-hand-side
        evaluations summed over chunks, the largest amount clipped, the structure of
        the integrated system and the wall times of setup and integration).

    Raises
    ------
    SimulationError
        Invalid settings, or a solver failure (naming the batch row and time).
    InputDataError
        Malformed `input_values`.

    Notes
    -----
    Rows are integrated in chunks of 64 (grouped by total initial amount) that
    share one step-size sequence, so a row's result can differ from a run on its
    own by an amount of the order of the tolerances, never more. The result does
    not depend on `n_threads`.

    On deep compiled networks the step count grows about 1.7x per layer at width 64,
    in this solver and in SciPy's BDF and Radau alike: the dual rails carry the
    sums of their inputs (amounts ~40x larger per layer), and the annihilations
    ``M + Z- -> Y-`` between such amounts have ever sharper transitions that the
    relative tolerance resolves. The outputs at `t_end` forget the local errors:
    at rtol 1e-4 they stay within 1e-8 of a tight solve (rtol 1e-10) relative to
    the largest output, about 3x faster than the default at depth 4-6.

    Examples
    --------
    >>> from nn2crn.crn import CRN, Reaction, Signal
    >>> crn = CRN((Reaction(["A"], ["B"]),), inputs=(Signal("a", ["A"]),), outputs=(Signal("b", ["B"]),))
    >>> trajectory = simulate_ode(crn, [[2.0]], t_end=1.0, n_points=3)
    >>> trajectory.final_outputs.round(6)  # 2 (1 - exp(-1))
    array([[1.264241]])
    """
    t_end = _check_positive("t_end", t_end)
    rtol = _check_positive("rtol", rtol, upper=1.0)
    atol = _check_positive("atol", atol)
    if rate_law not in RATE_LAWS:
        raise SimulationError(f"rate_law must be one of {', '.join(RATE_LAWS)}, got {rate_law!r}")
    if store not in STORES:
        raise SimulationError(f"store must be one of {', '.join(STORES)}, got {store!r}")
    if isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)) or max_steps < 1:
        raise SimulationError(f"max_steps must be a positive integer, got {max_steps!r}")
    if n_threads is None:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    elif isinstance(n_threads, bool) or not isinstance(n_threads, (int, np.integer)) or n_threads < 1:
        raise SimulationError(f"n_threads must be a positive integer or None, got {n_threads!r}")
    else:
        threads = int(n_threads)
    if progress is not None and not callable(progress):
        raise SimulationError("progress must be a callable taking the fraction done, or None")
    if method not in TABLEAUS:
        raise SimulationError(f"method must be one of {', '.join(TABLEAUS)}, got {method!r}")
    tableau = TABLEAUS[method]
    grid = sample_grid(t_end, times, n_points)
    from ._ode_control import StepControl

    control = StepControl(rtol, atol, int(max_steps), tableau.exponent)

    started = _time.perf_counter()
    x0 = crn.initial_state(input_values)  # validates the inputs
    n_batch = x0.shape[0]
    plan = build_plan(crn, rate_law)
    chosen = _choose_backend(backend, plan, layered)

    if store == "all":
        columns = np.arange(crn.n_species)
    else:
        columns = np.flatnonzero(np.any(crn.output_matrix != 0, axis=0))
    position = np.full(crn.n_species, -1, dtype=np.int64)
    position[plan.dynamic] = np.arange(plan.n_dynamic)
    stored_dynamic = columns[position[columns] >= 0]
    store_idx = np.ascontiguousarray(position[stored_dynamic])
    check_trajectory_size(n_batch, grid.shape[0], columns.shape[0])
    states = np.empty((n_batch, grid.shape[0], columns.shape[0]))
    column_slot = {int(c): k for k, c in enumerate(columns)}
    dynamic_slots = np.array([column_slot[int(c)] for c in stored_dynamic], dtype=np.int64)

    # Closed-form species: constants and exponential decays of sources.
    decay = np.zeros(crn.n_species)
    decay[plan.sources] = plan.source_decay
    closed = np.flatnonzero(position[columns] < 0)
    if closed.size:
        species = columns[closed]
        states[:, :, closed] = x0[:, None, species] * np.exp(-np.outer(grid, decay[species]))[None, :, :]
    coef_all = plan.inflow_coefficients(x0)  # (n_force, n_batch)
    built = _time.perf_counter()

    steps = rejected_steps = rhs_evaluations = 0
    max_clip = 0.0
    # Rows with similar initial amounts share chunks (and so step sizes) well: about 10% fewer
    # steps than chunking in input order on compiled networks.
    order = np.argsort(x0.sum(axis=1), kind="stable")
    chunks = [order[start:stop] for start, stop in _chunks(n_batch, CHUNK_ROWS)]
    if chosen == "c":
        from ._ode_native import integrate_chunk as integrate_native

        kernel_plan, kernel_tableau = plan.kernel(), tableau.kernel()
    elif chosen == "numba":
        from ._ode_numba import integrate_chunk
        from ._ode_stages import Stage, build_drive, no_drive, split_stages

        kernel_tableau = tableau.kernel()
        n_dense = int(tableau.dense.shape[0])
        stages = split_stages(plan) if layered else []
        if len(stages) <= 1:
            stages = [
                Stage(
                    0,
                    plan.n_dynamic,
                    plan.kernel(),
                    np.arange(plan.force_target.shape[0]),
                    *(np.zeros(0, np.int64),) * 4,
                )
            ]
        # A stage's tape is dropped after the last stage that it drives.
        last_use = {g: g for g in range(len(stages))}
        for g, stage in enumerate(stages):
            for owner in np.unique(stage.driven_stage).tolist():
                last_use[owner] = g
        stage_store = [
            np.flatnonzero((store_idx >= stage.start) & (store_idx < stage.stop)) for stage in stages
        ]
    else:
        from ._ode_numpy import NumpyKernel, integrate_chunk_numpy

        kernel = NumpyKernel(plan)

    def run_chunk(rows: np.ndarray) -> tuple[np.ndarray, ChunkStats]:
        n_rows = len(rows)
        if chosen == "c":  # padded as for numba, so that both kernels see the same chunks
            rows = np.concatenate((rows, np.full(-n_rows % SIMD_ROWS, rows[-1])))
            y = np.ascontiguousarray(x0[rows][:, plan.dynamic].T)
            out = np.zeros((len(rows), grid.shape[0], store_idx.shape[0]))
            stats = integrate_native(
                y,
                np.ascontiguousarray(coef_all[:, rows]),
                grid,
                store_idx,
                out,
                kernel_plan,
                kernel_tableau,
                control,
            )
            return out[:n_rows], stats._replace(worst_row=min(stats.worst_row, n_rows - 1))
        if chosen == "numba":
            rows = np.concatenate((rows, np.full(-n_rows % SIMD_ROWS, rows[-1])))
            x_dyn = x0[rows][:, plan.dynamic].T
            coef = coef_all[:, rows]
            padded = np.zeros((len(rows), grid.shape[0], store_idx.shape[0]))
            tapes: dict[int, tuple[np.ndarray, np.ndarray]] = {}
            total: ChunkStats | None = None
            for g, stage in enumerate(stages):
                y = np.zeros((stage.n_internal + stage.driven.shape[0], len(rows)))
                y[: stage.n_internal] = x_dyn[stage.start : stage.stop]
                stored = stage_store[g]
                out = np.zeros((len(rows), grid.shape[0], stored.shape[0]))
                drive = build_drive(stage, tapes, n_dense) if stage.driven.size else no_drive(n_dense)
                stats, tape_times, tape_values = integrate_chunk(
                    y,
                    np.ascontiguousarray(coef[stage.force_entries]),
                    grid,
                    np.ascontiguousarray(store_idx[stored] - stage.start),
                    out,
                    stage.kernel,
                    kernel_tableau,
                    control,
                    drive,
                    stage.export,
                )
                padded[:, :, stored] = out
                if stage.export.size:
                    tapes[g] = (tape_times, tape_values)
                for owner in [owner for owner in tapes if last_use[owner] <= g]:
                    del tapes[owner]
                total = (
                    stats
                    if total is None
                    else stats._replace(
                        steps=total.steps + stats.steps,
                        rejected_steps=total.rejected_steps + stats.rejected_steps,
                        rhs_evaluations=total.rhs_evaluations + stats.rhs_evaluations,
                        max_clipped=max(total.max_clipped, stats.max_clipped),
                    )
                )
                if Status(stats.status).failed:
                    break
            assert total is not None
            # a padding row repeats the last real row
            return padded[:n_rows], total._replace(worst_row=min(total.worst_row, n_rows - 1))
        out = np.zeros((n_rows, grid.shape[0], store_idx.shape[0]))
        y = np.ascontiguousarray(x0[rows][:, plan.dynamic])
        coef = np.ascontiguousarray(coef_all[:, rows].T)
        return out, integrate_chunk_numpy(kernel, tableau, y, coef, grid, store_idx, out, control)

    workers = min(threads, len(chunks)) if chosen in ("c", "numba") else 1
    executor = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
    done = 0
    try:
        if executor is None:
            results: Iterator = (run_chunk(rows) for rows in chunks)
        else:  # the compiled kernels release the GIL; results are consumed in chunk order
            results = (future.result() for future in [executor.submit(run_chunk, rows) for rows in chunks])
        for rows, (out, stats) in zip(chunks, results, strict=True):
            if Status(stats.status).failed:
                raise _failure(stats, rows, control)
            if not np.isfinite(
                out
            ).all():  # the error control rejects non-finite steps; never trust it silently
                where = np.argwhere(~np.isfinite(out))[0]
                raise SimulationError(
                    f"ODE solver produced a non-finite amount on batch row {int(rows[where[0]])} at "
                    f"t = {float(grid[where[1]]):g}; lower rtol or atol, or check the rate constants"
                )
            states[np.ix_(rows, np.arange(grid.shape[0]), dynamic_slots)] = out
            steps += stats.steps
            rejected_steps += stats.rejected_steps
            rhs_evaluations += stats.rhs_evaluations
            max_clip = max(max_clip, stats.max_clipped)
            done += len(rows)
            if progress is not None:
                progress(done / n_batch)
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
    finished = _time.perf_counter()

    stats = OdeStats(
        solver=tableau.name,
        backend=chosen,
        rate_law=rate_law,
        rtol=rtol,
        atol=atol,
        chunks=len(chunks),
        n_threads=workers,
        steps=steps,
        rejected_steps=rejected_steps,
        rhs_evaluations=rhs_evaluations,
        max_clipped=max_clip,
        n_integrated_species=plan.n_dynamic,
        n_closed_form_species=int(plan.sources.shape[0] + plan.constant.shape[0]),
        largest_block=plan.max_block,
        seconds_setup=built - started,
        seconds_integrate=finished - built,
        n_stages=len(stages) if chosen == "numba" else 1,
    )
    return Trajectory(
        crn=crn,
        times=grid,
        states=states,
        input_rows=np.arange(n_batch),
        method="ode",
        stats=stats,
        columns=None if store == "all" else columns,
    )
