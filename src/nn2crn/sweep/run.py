"""The sweep driver: split a spec into tasks, run the unfinished ones on Dask, merge the parts.

Tasks are (parameter point x chunk of input rows). The driver builds the shared
:class:`~nn2crn.sweep.context.SweepContext` once, hands it to Dask once, and
submits every unfinished task with Dask's retries. As each task completes its rows
are written as a Parquet part (:mod:`nn2crn.sweep.parts`), so an interrupted sweep
loses at most the tasks in flight; running it again skips the finished parts.

Without a scheduler address a :class:`distributed.LocalCluster` is started with
one single-threaded worker process per core. A worker that dies (killed, out of
memory) is restarted by its nanny and the scheduler reruns its tasks; a task that
raises is retried ``RETRIES`` times before the sweep stops with its error.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import NN2CRNError
from .context import SweepContext, load_context
from .parts import finished_keys, merge_parts, part_path, prepare_folder, write_part
from .spec import SweepSpec
from .summary import SweepSummary, summarize_results
from .tasks import STUDIES, Streams, column_value, point_key

RETRIES = 2


class SweepTaskError(NN2CRNError):
    """A task of a sweep failed (after Dask's retries); the message names the task."""


@dataclass(frozen=True)
class Task:
    """One unit of work: a parameter point and a range of input rows.

    Attributes
    ----------
    index : int
        Position in the sweep's task order (the order of ``results.parquet``).
    key : str
        Digest of the study, the point and the rows; the part's file name.
    point : tuple of (name, value)
    start, stop : int
        Input rows ``start <= row < stop`` (both 0 for studies without input rows).
    """

    index: int
    key: str
    point: tuple[tuple[str, object], ...]
    start: int
    stop: int

    def describe(self) -> str:
        values = ", ".join(f"{name}={column_value(value)}" for name, value in self.point)
        return f"{values}, rows {self.start}..{self.stop - 1}" if self.stop > self.start else values


def plan_tasks(spec: SweepSpec, n_rows: int) -> tuple[Task, ...]:
    """Every task of the sweep, in order: points in grid order, then chunks of ``spec.chunk`` rows."""
    chunked = spec.study_info.input_kind == "crn"
    ranges = (
        [(start, min(n_rows, start + spec.chunk)) for start in range(0, n_rows, spec.chunk)]
        if chunked
        else [(0, 0)]
    )
    tasks: list[Task] = []
    for point in spec.points():
        for start, stop in ranges:
            text = json.dumps([spec.study, [[n, column_value(v)] for n, v in point], start, stop])
            key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
            tasks.append(Task(len(tasks), key, point, start, stop))
    return tuple(tasks)


def execute_task(task: Task, context: SweepContext, study: str, spec_seed: int) -> tuple[Any, float]:
    """Run one task (on a worker); returns (pyarrow Table of its rows, compute seconds).

    The table's columns are the point's parameter values, then the study's columns.
    """
    import pyarrow as pa

    started = time.perf_counter()
    streams = Streams(spec_seed, point_key(study, task.point))
    rows = np.arange(task.start, task.stop, dtype=np.int64)
    columns = STUDIES[study].function(context, dict(task.point), rows, streams)
    n = len(next(iter(columns.values())))
    table: dict[str, Any] = {name: [column_value(value)] * n for name, value in task.point}
    table.update(columns)
    return pa.table(table), time.perf_counter() - started


@dataclass(frozen=True)
class SweepOutcome:
    """What :func:`run_sweep` did.

    Attributes
    ----------
    folder : Path
    n_tasks, n_skipped, n_run : int
        Tasks of the sweep; finished before this run (skipped); run now.
    summary : SweepSummary
    seconds : float
        Wall time of the run, including the cluster's start.
    task_seconds : float
        Compute time of the tasks run now, summed (measured inside each task).
    dashboard : str or None
        Address of the Dask dashboard (None when run in-process).
    """

    folder: Path
    n_tasks: int
    n_skipped: int
    n_run: int
    summary: SweepSummary
    seconds: float
    task_seconds: float
    dashboard: str | None


def folder_record(spec: SweepSpec, context: SweepContext) -> dict[str, Any]:
    """The ``sweep.json`` of a results folder."""
    return {
        "format": "nn2crn-sweep",
        "version": 1,
        "fingerprint": context.fingerprint,
        "study": spec.study,
        "name": spec.name,
        "seed": spec.seed,
        "grid": [name for name, _ in spec.grid],
        "parameters": [parameter.name for parameter in spec.study_info.parameters],
        "spec_file": str(spec.path),
        "spec_text": spec.path.read_text(encoding="utf-8"),
    }


def run_sweep(
    spec: SweepSpec,
    folder: str | os.PathLike[str],
    *,
    scheduler: str | None = None,
    n_workers: int | None = None,
    in_process: bool = False,
    force: bool = False,
    on_start: Callable[[int, int, str | None], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepOutcome:
    """Run (or resume) a sweep and merge its results.

    Parameters
    ----------
    spec : SweepSpec
    folder : path-like
        The results folder (created; an existing one must hold this same sweep).
    scheduler : str, optional
        Address of a running Dask scheduler, e.g. ``tcp://10.0.0.1:8786``. Default: a
        LocalCluster on this machine.
    n_workers : int, optional
        Worker processes of the LocalCluster (default: one per core).
    in_process : bool
        Run the tasks one after another in this process, without Dask (the reference).
    force : bool
        Discard parts of a different sweep found in `folder`.
    on_start : callable(n_pending, n_total, dashboard), optional
        Called once the tasks are submitted.
    progress : callable(done, total), optional
        Called after each finished task (`done` counts skipped tasks too).

    Returns
    -------
    SweepOutcome

    Raises
    ------
    SweepSpecError
        The spec's model and inputs do not fit together.
    InputDataError
        `folder` holds something else.
    SweepTaskError
        A task failed after its retries; the finished parts are kept.
    """
    started = time.perf_counter()
    folder = Path(folder)
    context = load_context(spec)
    prepare_folder(folder, folder_record(spec, context), force=force)
    tasks = plan_tasks(spec, context.n_rows)
    done = finished_keys(folder)
    pending = [task for task in tasks if task.key not in done]
    skipped = len(tasks) - len(pending)
    task_seconds = 0.0
    dashboard = None
    count = skipped

    def finish(task: Task, table: Any, seconds: float) -> None:
        nonlocal count, task_seconds
        write_part(folder, task.key, table, {"task": task.describe(), "seconds": f"{seconds:.6f}"})
        task_seconds += seconds
        count += 1
        if progress is not None:
            progress(count, len(tasks))

    if progress is not None:
        progress(count, len(tasks))
    if pending and in_process:
        if on_start is not None:
            on_start(len(pending), len(tasks), None)
        for task in pending:
            table, seconds = _run_here(context, spec, task)
            finish(task, table, seconds)
    elif pending:
        dashboard = _run_on_dask(context, spec, pending, len(tasks), scheduler, n_workers, on_start, finish)
    table = merge_parts(folder, [task.key for task in tasks])
    summary = summarize_results(table, spec.study, [p.name for p in spec.study_info.parameters])
    summary.write_csv(folder / "summary.csv")
    return SweepOutcome(
        folder,
        len(tasks),
        skipped,
        len(pending),
        summary,
        time.perf_counter() - started,
        task_seconds,
        dashboard,
    )


def _run_here(context: SweepContext, spec: SweepSpec, task: Task) -> tuple[Any, float]:
    try:
        return execute_task(task, context, spec.study, spec.seed)
    except NN2CRNError as error:
        raise SweepTaskError(f"task {task.describe()}: {error}") from None


def _identity(value: Any) -> Any:
    return value


def _run_on_dask(
    context: SweepContext,
    spec: SweepSpec,
    pending: list[Task],
    n_total: int,
    scheduler: str | None,
    n_workers: int | None,
    on_start: Callable[[int, int, str | None], None] | None,
    finish: Callable[[Task, Any, float], None],
) -> str | None:
    import logging

    from distributed import Client, KilledWorker, LocalCluster, as_completed

    from .._errors import InputDataError

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=n_workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
    try:
        try:
            client = Client(cluster if cluster is not None else scheduler, set_as_default=False)
        except OSError as error:
            raise InputDataError(
                f"--scheduler {scheduler}: cannot connect ({error}); check the address (tcp://HOST:PORT) "
                f"and that the scheduler is running"
            ) from None
        with client:
            # Submitted, not scattered: the scheduler keeps the context in the task graph,
            # so it is recomputed if the workers holding it die.
            shared = client.submit(
                _identity, context, pure=False, key=f"nn2crn-context-{context.fingerprint[:16]}"
            )
            futures = client.map(
                execute_task,
                pending,
                context=shared,
                study=spec.study,
                spec_seed=spec.seed,
                key=[f"nn2crn-task-{task.key}" for task in pending],
                retries=RETRIES,
                pure=False,
            )
            by_key = {future.key: task for future, task in zip(futures, pending, strict=True)}
            dashboard = client.dashboard_link
            if on_start is not None:
                on_start(len(pending), n_total, dashboard)
            for future in as_completed(futures, loop=client.loop):
                task = by_key[future.key]
                try:
                    table, seconds = future.result()
                except NN2CRNError as error:
                    raise SweepTaskError(f"task {task.describe()}: {error}") from None
                except KilledWorker:
                    raise SweepTaskError(
                        f"task {task.describe()}: its worker died every time it ran it (out of memory?); "
                        f"give the workers more memory (docs/sweep.md) or use smaller chunks (sweep.chunk)"
                    ) from None
                finish(task, table, seconds)
                future.release()
            return dashboard
    finally:
        if cluster is not None:
            cluster.close()


__all__ = ["SweepOutcome", "SweepTaskError", "Task", "execute_task", "part_path", "plan_tasks", "run_sweep"]
