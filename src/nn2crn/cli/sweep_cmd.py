"""``nn2crn sweep``: run a sweep spec on Dask into a resumable results folder (needs nn2crn[sweep])."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A rich bar on stderr: tasks done of the total, elapsed time and an estimate of the rest."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("tasks"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        bar = progress.add_task("tasks", total=None)

        def update(done: int, total: int) -> None:
            progress.update(bar, completed=done, total=total)

        yield update


@click.command("sweep")
@click.argument("spec_file", metavar="SPEC.toml", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False),
    help="Results folder; running the same command again resumes the sweep in it.",
)
@click.option(
    "--scheduler", metavar="tcp://HOST:PORT", help="Run on this Dask scheduler instead of a LocalCluster."
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Worker processes of the LocalCluster (one thread each).  [default: one per core]",
)
@click.option("--in-process", is_flag=True, help="Run the tasks one by one in this process, without Dask.")
@click.option("--force", is_flag=True, help="Discard parts of a different sweep found in the results folder.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no messages.")
def sweep_command(
    spec_file: str,
    output: str,
    scheduler: str | None,
    workers: int | None,
    in_process: bool,
    force: bool,
    quiet: bool,
) -> None:
    """Run the study of SPEC.toml over its parameter grid, as tasks on Dask.

    Every task (parameter point x chunk of input rows) writes its rows to
    RESULTS/parts/ as soon as it finishes; at the end they are merged into
    RESULTS/results.parquet and RESULTS/summary.csv. Interrupt it at any time:
    the same command resumes, skipping the finished tasks. The spec format is
    in docs/sweep.md.

    \b
    Examples:
      nn2crn sweep examples/sweeps/mnist-volume.toml -o mnist-volume/
      nn2crn sweep spec.toml -o results/ --scheduler tcp://10.0.0.5:8786
      nn2crn sweep-report mnist-volume/
    """
    from .._errors import InputDataError
    from ..sweep import load_spec, run_sweep
    from ._output import echo_err, show_progress

    if scheduler is not None and (workers is not None or in_process):
        raise InputDataError("--scheduler runs on an existing cluster; drop --workers and --in-process")
    if in_process and workers is not None:
        raise InputDataError("--in-process uses no workers; drop --workers")
    _require_extra(in_process)
    spec = load_spec(spec_file)

    def started(n_pending: int, n_total: int, dashboard: str | None) -> None:
        if quiet:
            return
        where = "in this process" if dashboard is None else f"on Dask; dashboard {dashboard}"
        echo_err(f"running {n_pending} of {n_total} tasks {where}")

    done = [0]
    with _progress_bar(show_progress(quiet)) as bar:

        def progress(count: int, total: int) -> None:
            done[0] = count
            if bar is not None:
                bar(count, total)

        try:
            outcome = run_sweep(
                spec,
                output,
                scheduler=scheduler,
                n_workers=workers,
                in_process=in_process,
                force=force,
                on_start=started,
                progress=progress,
            )
        except KeyboardInterrupt:
            echo_err(
                f"interrupted: {done[0]} finished tasks are kept in {output}/parts; "
                f"run the same command again to resume"
            )
            raise click.exceptions.Exit(130) from None
    if not quiet:
        skipped = f" ({outcome.n_skipped} already finished)" if outcome.n_skipped else ""
        echo_err(
            f"{outcome.n_tasks} tasks{skipped} in {outcome.seconds:.1f} s; wrote {output}/results.parquet "
            f"and {output}/summary.csv"
        )


def _require_extra(in_process: bool) -> None:
    from importlib.util import find_spec

    from .._errors import NN2CRNError

    missing = [
        name for name in ("pyarrow", *(() if in_process else ("distributed",))) if find_spec(name) is None
    ]
    if missing:
        raise NN2CRNError(
            f"nn2crn sweep needs {', '.join(missing)}; install them with pip install 'nn2crn[sweep]'"
        )


@click.command("sweep-report")
@click.argument("results", metavar="RESULTS/", type=click.Path(file_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False),
    help="Report folder (must not exist, unless --force).  [default: RESULTS/report]",
)
@click.option(
    "--force", is_flag=True, help="Write into an existing report folder, replacing its report files."
)
@click.option("-q", "--quiet", is_flag=True, help="No message.")
def sweep_report_command(results: str, output: str | None, force: bool, quiet: bool) -> None:
    """Plots and tables of a finished sweep: report.html and report.md.

    \b
    Figures by study:
      ssa         agreement and accuracy against volume, error bars over seeds
      robustness  settling times against the rate-set spread
      train       test accuracy against circuit size, with the Pareto front

    \b
    Example:
      nn2crn sweep-report mnist-volume/
    """
    import shlex
    from pathlib import Path

    from ..report._folder import check_output_folder, staged_folder
    from ..report.html import write_report
    from ..report.sweep_report import build_sweep_report
    from ..sweep import read_record
    from ._output import echo_err

    read_record(results)
    target = Path(output) if output is not None else Path(results) / "report"
    check_output_folder(target, force=force)
    command = shlex.join(
        ["nn2crn", "sweep-report", results, *(["-o", output] if output else []), *(["--force"] * force)]
    )
    with staged_folder(target, force=force) as staging:
        report = build_sweep_report(results, staging, command=command)
        write_report(report, staging)
    if not quiet:
        echo_err(f"wrote {target}/report.html and {target}/report.md")
