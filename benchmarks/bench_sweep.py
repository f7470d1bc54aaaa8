"""Sweep scaling: an SSA sweep on a LocalCluster of 2 workers against the same tasks in one process.

Anchor: the same sweep run task after task in this process (``run_sweep(in_process=True)``,
each task single-threaded, exactly as on a worker). Goals (issue 13): wall-time ratio
>= 1.7x with 2 workers, and scheduling overhead per task < 5% of the task time for
tasks of >= 0.5 s.

The sweep: the shipped IRIS 4-8-3 binary network, 10 input rows per task, V = 100,
``seed = "0..N-1"`` so there are N tasks; ``runs`` is calibrated so that one task takes
about ``--task-seconds`` on this machine. Both runs write real Parquet parts and the
merged results, and the two results tables must be identical.

Overhead per task = (workers x parallel wall time - sum of the tasks' own compute
times) / tasks: everything that is not a task computing (scheduling, transfers,
writing parts, idle workers at the end, loading the context and merging), charged per
task, as a fraction of the mean task time. A second figure first subtracts what the
one-process run spends outside its tasks (context, parts, merge), leaving scheduling.

Printed twice: in-process (a warmed LocalCluster started before the clock runs; the
anchor after a warm-up task), and from the user's point of view (``nn2crn sweep ...
--workers 2`` against ``nn2crn sweep ... --in-process``, each in a fresh process,
start-up, cluster start and numba loading included). Also the load average before and
after, since the machine may be shared.

Also printed first: the hardware ceiling, the same tasks in plain worker processes with
no Dask at all (``concurrent.futures`` over ``spawn``), since two busy processes on this
machine's two virtual cores do not run at twice the speed of one.

Run: python benchmarks/bench_sweep.py [--tasks 200] [--task-seconds 0.5] [--skip-cli] [--skip-ceiling]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import machine_line  # noqa: E402

SPEC = """
[sweep]
study = "ssa"
seed = 1
chunk = 10

[model]
shipped = "iris-4-8-3-binary"

[inputs]
dataset = "iris"
limit = 10

[grid]
seed = "0..{last}"

[fixed]
volume = 100
runs = {runs}
t_end = 20
"""


def write_spec(folder: Path, tasks: int, runs: int) -> Path:
    path = folder / f"sweep-{tasks}-{runs}.toml"
    path.write_text(SPEC.format(last=tasks - 1, runs=runs), encoding="utf-8")
    return path


class LoadedSweep(NamedTuple):
    spec: Any
    context: Any
    tasks: tuple[Any, ...]

    def run_task(self, index: int) -> float:
        """Compute seconds of task `index`, exactly as a worker runs it."""
        from nn2crn.sweep.run import execute_task

        return execute_task(self.tasks[index], self.context, self.spec.study, self.spec.seed)[1]


def load_warm(spec_path: Path) -> LoadedSweep:
    """The spec, its context and its tasks, with the numba kernel loaded by one task."""
    from nn2crn.sweep import load_spec
    from nn2crn.sweep.context import load_context
    from nn2crn.sweep.run import plan_tasks

    spec = load_spec(spec_path)
    context = load_context(spec)
    loaded = LoadedSweep(spec, context, plan_tasks(spec, context.n_rows))
    loaded.run_task(0)
    return loaded


def calibrate(folder: Path, task_seconds: float) -> int:
    """Runs per input row that make one task take about `task_seconds` here."""
    runs = 20
    loaded = load_warm(write_spec(folder, 3, runs))
    seconds = min(loaded.run_task(index) for index in range(len(loaded.tasks)))
    return max(1, round(runs * task_seconds / seconds))


def load() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def in_process_figures(folder: Path, spec_path: Path, workers: int) -> None:
    from distributed import LocalCluster

    from nn2crn.sweep import load_spec, read_results, run_sweep

    spec = load_spec(spec_path)
    warm_spec = load_spec(write_spec(folder, 2 * workers, 1))
    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        run_sweep(warm_spec, folder / "warm-cluster", scheduler=cluster.scheduler_address)
        run_sweep(warm_spec, folder / "warm-here", in_process=True)
        serial = run_sweep(spec, folder / "serial", in_process=True)
        parallel = run_sweep(spec, folder / "parallel", scheduler=cluster.scheduler_address)
    assert read_results(folder / "serial").equals(read_results(folder / "parallel")), "results differ"
    n = parallel.n_run
    mean_task = parallel.task_seconds / n
    overhead = (workers * parallel.seconds - parallel.task_seconds) / n
    # What the one-process run spends outside its tasks (loading the context, writing the
    # parts, merging) is not scheduling; the second figure leaves it out.
    fixed = serial.seconds - serial.task_seconds
    scheduling = (workers * (parallel.seconds - fixed) - parallel.task_seconds) / n
    print(
        f"in-process: {n} tasks, mean task {mean_task:.3f} s on the workers, {serial.task_seconds / n:.3f} s here"
    )
    print(f"  one process: {serial.seconds:7.2f} s")
    print(f"  LocalCluster, {workers} workers: {parallel.seconds:7.2f} s")
    print(f"  ratio {serial.seconds / parallel.seconds:.2f}x (goal >= 1.7x)")
    print(
        f"  overhead per task {overhead * 1000:.1f} ms = {100 * overhead / mean_task:.1f}% of the task time (goal < 5%)"
    )
    print(
        f"  of which beyond the one-process run's own {fixed:.2f} s outside tasks: "
        f"{scheduling * 1000:.1f} ms = {100 * scheduling / mean_task:.1f}%"
    )


def cli_figures(folder: Path, spec_path: Path, workers: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}

    def run(name: str, *options: str) -> float:
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "nn2crn.cli",
                "sweep",
                str(spec_path),
                "-o",
                str(folder / name),
                "-q",
                *options,
            ],
            env=env,
            check=True,
        )
        return time.perf_counter() - started

    serial = run("cli-serial", "--in-process")
    parallel = run("cli-parallel", "--workers", str(workers))
    serial_tasks = task_seconds(folder / "cli-serial")
    parallel_tasks = task_seconds(folder / "cli-parallel")
    n = len(parallel_tasks)
    mean_task = sum(parallel_tasks) / n
    overhead = (workers * parallel - sum(parallel_tasks)) / n
    # The one-process command's time outside its tasks (interpreter start-up, imports,
    # context, parts, merge) is paid by both commands; what is left is the cluster's.
    fixed = serial - sum(serial_tasks)
    scheduling = (workers * (parallel - fixed) - sum(parallel_tasks)) / n
    print("CLI, fresh processes (start-up, cluster start and numba loading included):")
    print(f"  nn2crn sweep --in-process: {serial:7.2f} s")
    print(f"  nn2crn sweep --workers {workers}: {parallel:7.2f} s")
    print(f"  ratio {serial / parallel:.2f}x (goal >= 1.7x)")
    print(
        f"  overhead per task {overhead * 1000:.1f} ms = {100 * overhead / mean_task:.1f}% of the task time (goal < 5%)"
    )
    print(
        f"  of which beyond the one-process command's own {fixed:.2f} s outside tasks: "
        f"{scheduling * 1000:.1f} ms = {100 * scheduling / mean_task:.1f}%"
    )


# Each pool process's loaded sweep (set by its initializer).
_WORKER_SWEEP: LoadedSweep | None = None


def _load_in_worker(spec_path: str) -> None:
    global _WORKER_SWEEP
    _WORKER_SWEEP = load_warm(Path(spec_path))


def _run_in_worker(index: int) -> float:
    assert _WORKER_SWEEP is not None
    return _WORKER_SWEEP.run_task(index)


def ceiling_figures(spec_path: Path, workers: int) -> None:
    """What this machine gives `workers` plain processes running the same tasks, with no Dask.

    Two busy processes on two virtual cores do not run at twice the speed of one (shared
    caches, the host's clock, hyperthread siblings); this ratio is the most any scheduler
    can reach here, so the Dask ratio is read against it.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    loaded = load_warm(spec_path)
    n = len(loaded.tasks)
    started = time.perf_counter()
    for index in range(n):
        loaded.run_task(index)
    serial = time.perf_counter() - started
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_load_in_worker, initargs=(str(spec_path),)
    ) as pool:
        list(pool.map(_run_in_worker, range(workers), chunksize=1))  # every process loaded and warm
        started = time.perf_counter()
        list(pool.map(_run_in_worker, range(n), chunksize=1))
        parallel = time.perf_counter() - started
    print(f"hardware ceiling, no Dask: the same {n} tasks in {workers} plain processes")
    print(
        f"  one process: {serial:7.2f} s, {workers} processes: {parallel:7.2f} s, ratio {serial / parallel:.2f}x"
    )


def task_seconds(folder: Path) -> list[float]:
    """The compute time of every task of a finished results folder (from its parts' metadata)."""
    from nn2crn.sweep.parts import finished_keys, part_metadata

    return [float(part_metadata(folder, key)["seconds"]) for key in sorted(finished_keys(folder))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--task-seconds", type=float, default=0.5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--skip-ceiling", action="store_true")
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        print(machine_line())
        print(f"before: {load()}")
        runs = calibrate(folder, arguments.task_seconds)
        spec_path = write_spec(folder, arguments.tasks, runs)
        print(
            f"{arguments.tasks} tasks of 10 IRIS rows x {runs} SSA runs at V = 100 (~{arguments.task_seconds} s each)"
        )
        if not arguments.skip_ceiling:
            ceiling_figures(spec_path, arguments.workers)
        in_process_figures(folder, spec_path, arguments.workers)
        if not arguments.skip_cli:
            cli_figures(folder, spec_path, arguments.workers)
        print(f"after: {load()}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
