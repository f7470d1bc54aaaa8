"""``nn2crn simulate``: ODE (mass-action or saturating) or SSA trajectories of a CRN."""

from __future__ import annotations

from typing import cast

import click

from ._options import RATE_LAWS, check_positive, check_rates, check_rtol
from ._output import progress_bar


@click.command("simulate")
@click.argument("crn_file", metavar="NET.crn", type=click.Path(dir_okay=False))
@click.option(
    "--inputs",
    "inputs_path",
    type=click.Path(dir_okay=False),
    help="CSV whose header names the CRN's declared inputs (as for eval). "
    "Not needed for a CRN without inputs.",
)
@click.option(
    "--model",
    type=click.Path(dir_okay=False),
    help="Model JSON: --inputs rows are raw features, passed through its input_transform.",
)
@click.option(
    "--t-end",
    type=float,
    default=200.0,
    show_default=True,
    callback=check_positive,
    help="Simulate from t = 0 to this time.",
)
@click.option(
    "--points",
    type=click.IntRange(min=2),
    default=101,
    show_default=True,
    help="Sample times, evenly spaced (or log-spaced with --log-time), including 0 and --t-end.",
)
@click.option(
    "--method",
    type=click.Choice(["ode", "ssa", "tau-leap"]),
    default="ode",
    show_default=True,
    help="Deterministic ODE, exact stochastic simulation (Gillespie), or approximate "
    "tau-leaping (fast at high copy numbers; error control --tau-epsilon).",
)
@click.option(
    "--rtol", type=float, default=1e-6, show_default=True, callback=check_rtol, help="ODE relative tolerance."
)
@click.option(
    "--atol",
    type=float,
    default=1e-9,
    show_default=True,
    callback=check_positive,
    help="ODE absolute tolerance.",
)
@click.option(
    "--rate-law",
    type=click.Choice(RATE_LAWS),
    default="mass-action",
    show_default=True,
    help="ODE kinetics: mass action, or a saturating (Michaelis-Menten-style) law.",
)
@click.option(
    "--rates",
    "rates_spec",
    metavar="SPEC",
    callback=check_rates,
    help="Change rate constants: random:SEED:LOW:HIGH (log-uniform per reaction), "
    "scale-relu:FACTOR, constant:K; combine with commas.",
)
@click.option(
    "--volume", type=float, callback=check_positive, help="SSA: volume V; initial counts are amounts x V."
)
@click.option(
    "--runs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="SSA: trajectories per input row.",
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="SSA: random seed.")
@click.option(
    "--tau-epsilon",
    type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
    default=0.03,
    show_default=True,
    help="tau-leap: allowed relative change of a propensity per leap (Cao, Gillespie & Petzold 2006).",
)
@click.option("--species", "all_species", is_flag=True, help="Add a column for every species.")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    help="Draw output trajectories with the exact stable values dashed (.png, .svg or .pdf).",
)
@click.option("--plot-rows", metavar="K,K,...", help="Batch rows to draw (0-based; default the first 4).")
@click.option(
    "--log-time",
    is_flag=True,
    help="Log-spaced sample times (0, then t_end*1e-4 .. t_end) and a logarithmic time axis in --plot.",
)
@click.option(
    "--convergence-plot",
    type=click.Path(dir_okay=False),
    help="Draw the distributions of settling times over the batch (.png, .svg or .pdf).",
)
@click.option(
    "--epsilon",
    type=float,
    default=0.01,
    show_default=True,
    callback=check_positive,
    help="Settling time: every output within EPSILON of its exact stable value.",
)
@click.option(
    "--fraction",
    type=click.FloatRange(min=0, max=1, min_open=True),
    default=0.9,
    show_default=True,
    help="Settling time: every output within a fraction F of its stable value.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Trajectory CSV (default: stdout).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary on stderr.")
def simulate_command(
    crn_file: str,
    inputs_path: str | None,
    model: str | None,
    t_end: float,
    points: int,
    method: str,
    rtol: float,
    atol: float,
    rate_law: str,
    rates_spec: str | None,
    volume: float | None,
    runs: int,
    seed: int,
    tau_epsilon: float,
    all_species: bool,
    plot: str | None,
    plot_rows: str | None,
    log_time: bool,
    convergence_plot: str | None,
    epsilon: float,
    fraction: float,
    output: str | None,
    quiet: bool,
) -> None:
    """Simulate NET.crn for each row of --inputs and write the trajectories as CSV.

    The CSV has one line per (input row, sample time): columns 'row' (0-based input
    row), 'time', 'run' (ssa only), then one column per declared output (Y+ - Y-),
    and with --species one column per species.

    \b
    Examples:
      nn2crn simulate iris.crn --inputs x.csv --t-end 200 -o traj.csv --plot traj.png
      nn2crn simulate iris.crn --inputs x.csv --rates random:1:0.1:10 --rate-law saturating
      nn2crn simulate iris.crn --inputs x.csv --method ssa --volume 100 --runs 5 --seed 3
      nn2crn simulate iris.crn --inputs x.csv --method tau-leap --volume 1e5 --tau-epsilon 0.03
    """
    import numpy as np

    from .._errors import CRNStructureError, InputDataError
    from ..crn import read_crn
    from ._inputs import load_crn_inputs
    from ._output import echo_err, refuse_same_file, show_progress, write_csv_text

    stochastic = method in ("ssa", "tau-leap")
    if stochastic and volume is None:
        raise click.BadParameter(
            f"--method {method} needs --volume V (molecules per unit amount)", param_hint="--volume"
        )
    if method == "ode" and (volume is not None or runs != 1):
        raise click.BadParameter(
            "--volume and --runs apply to --method ssa only", param_hint="--volume/--runs"
        )
    if stochastic and rate_law != "mass-action":
        raise click.BadParameter(
            f"--method {method} uses stochastic mass action only", param_hint="--rate-law"
        )
    refuse_same_file(output, crn_file, inputs_path, model)
    if plot is not None:
        from ..report.plots import check_plot_path

        check_plot_path(plot)
        refuse_same_file(plot, crn_file, inputs_path, model, output)
    if convergence_plot is not None:
        from ..report.plots import check_plot_path

        check_plot_path(convergence_plot)
        refuse_same_file(convergence_plot, crn_file, inputs_path, model, output, plot)
    rows_to_plot = _parse_rows(plot_rows)

    crn = read_crn(crn_file)
    if rates_spec is not None:
        from ..simulate.rates import apply_rates

        crn = apply_rates(crn, rates_spec)
    output_labels = None
    if inputs_path is not None:
        loaded = load_crn_inputs(inputs_path, crn, model)
        values = loaded.values
        if loaded.labels is not None and not quiet:
            echo_err(f"warning: column 'label' of {inputs_path} is ignored by simulate")
        if loaded.network is not None:
            output_labels = loaded.network.output_names
    elif crn.n_inputs:
        raise InputDataError(
            f"{crn_file} declares {crn.n_inputs} inputs ({', '.join(crn.input_names[:4])}"
            f"{', ...' if crn.n_inputs > 4 else ''}); give their values with --inputs X.csv"
        )
    else:
        values = None
    n_batch = (1 if values is None else values.shape[0]) * (runs if stochastic else 1)
    if rows_to_plot is not None and max(rows_to_plot) >= n_batch:
        raise InputDataError(
            f"--plot-rows: row {max(rows_to_plot)} is out of range; the simulation has batch rows 0..{n_batch - 1}"
            + (" (input row i, run j is batch row i * runs + j)" if stochastic else "")
        )
    from ..simulate.base import check_trajectory_size

    # Before the sample times themselves are allocated; the columns the simulators will store
    # (SSA keeps every species' state, the ODE only the output species unless --all-species).
    output_species = {name for signal in crn.outputs for name, _ in (*signal.positive, *signal.negative)}
    check_trajectory_size(
        n_batch,
        points,
        crn.n_species if all_species or method == "ssa" else len(output_species),
        remedy="use fewer --points, --runs or input rows",
    )
    if log_time:
        from ..studies.robustness import sample_times

        times = sample_times(t_end, points)
    else:
        times = np.linspace(0.0, t_end, points)
    store = "all" if all_species else "outputs"
    if method in ("ssa", "tau-leap") and volume is not None:
        from ._inputs import warn_vanishing_counts

        warn_vanishing_counts(crn, values, [volume])
    with progress_bar(show_progress(quiet), f"{method} {crn_file}") as progress:
        if method == "ode":
            from ..simulate.ode import simulate_ode

            trajectory = simulate_ode(
                crn,
                values,
                t_end=t_end,
                times=times,
                rtol=rtol,
                atol=atol,
                rate_law=rate_law,
                store=store,
                progress=progress,
            )
        else:
            from ..simulate.ssa import simulate_ssa

            trajectory = simulate_ssa(
                crn,
                values,
                volume=cast(float, volume),  # given with --method ssa (checked above)
                t_end=t_end,
                runs=runs,
                times=times,
                seed=seed,
                store=store,
                method="direct" if method == "ssa" else "tau-leap",
                epsilon=tau_epsilon,
                progress=progress,
            )

    stable = None
    # The exact stable outputs serve the summary and the plots only: a quiet run without plots
    # skips them (and the exact evaluator's imports).
    if not quiet or plot is not None or convergence_plot is not None:
        try:
            from ..simulate import stable_outputs

            # The reference for kinetics: float64 rounding of deep networks' rails (below 1e-6
            # relative even at depth 8) is far below what is compared with it: no bound check.
            stable = stable_outputs(crn, values, rtol=None)
        except CRNStructureError as error:
            if not quiet:
                echo_err(f"note: no exact stable outputs to compare with ({error})")

    header = ["row", "time"] + (["run"] if stochastic else []) + list(crn.output_names)
    if all_species:
        header += list(crn.species)
    write_csv_text(output, header, _csv_text(trajectory, method, all_species))
    if plot is not None:
        from ..report.plots import plot_trajectories

        plot_trajectories(
            trajectory,
            plot,
            stable=stable,
            rows=rows_to_plot,
            log_time=log_time,
            title=f"{crn_file}: {method} ({rate_law if method == 'ode' else f'V = {volume:g}'})",
            output_labels=output_labels,
        )
    settled = None
    if stable is not None and trajectory.crn.n_outputs:
        from ..simulate.metrics import convergence_times

        settled = convergence_times(trajectory, stable, epsilon=epsilon, fraction=fraction)
    if convergence_plot is not None:
        if settled is None:
            raise CRNStructureError(
                f"--convergence-plot needs the exact stable outputs, which {crn_file} does not have "
                f"(it must be feed-forward and non-competitive, with declared outputs)"
            )
        from ..report.plots import plot_convergence_times

        plot_convergence_times(
            {
                f"epsilon {epsilon:g}": settled.epsilon,
                f"fraction {fraction:g}": settled.fraction,
                "order": settled.order,
                "argmax": settled.argmax,
            },
            convergence_plot,
            t_end=t_end,
            title=f"{crn_file}: settling times over {len(settled.epsilon)} rows",
        )
    if not quiet:
        _summary(trajectory, stable, settled, output, plot, convergence_plot)


def _parse_rows(text: str | None) -> list[int] | None:
    if text is None:
        return None
    rows = []
    for piece in text.split(","):
        try:
            row = int(piece)
        except ValueError:
            raise click.BadParameter(
                f"{piece.strip()!r} is not a row number", param_hint="--plot-rows"
            ) from None
        if row < 0:
            raise click.BadParameter(f"row numbers are 0-based and >= 0, got {row}", param_hint="--plot-rows")
        rows.append(row)
    return rows


def _csv_text(trajectory, method: str, all_species: bool) -> str:
    """The trajectory as CSV text, a line per sample: row, time, [run,] outputs[, species].

    Numbers are written as ``format_float`` writes them (``repr``: the shortest round trip),
    by the C formatter of :func:`._output.float_rows_text` one batch row at a time (so the
    buffer stays one row's size); the integer columns are prefixed as text."""
    import numpy as np

    from ._output import float_rows_text

    outputs = np.asarray(trajectory.outputs, dtype=np.float64)
    n_batch, n_times = outputs.shape[:2]
    times = np.asarray(trajectory.times, dtype=np.float64).reshape(n_times, 1)
    input_rows = trajectory.input_rows.tolist()
    seen: dict[int, int] = {}
    pieces: list[str] = []
    for batch, row in enumerate(input_rows):
        blocks = [times, outputs[batch]]
        if all_species:
            blocks.append(np.asarray(trajectory.states[batch], dtype=np.float64))
        text = float_rows_text(np.concatenate(blocks, axis=1))
        prefix = f"{int(row)},"
        if method == "ode":
            pieces.append(prefix + text[:-1].replace("\n", "\n" + prefix) + "\n")
        else:  # repeated runs of one input row are numbered 0, 1, ...
            run = seen.get(row, 0)
            seen[row] = run + 1
            pieces.append(_with_run(text, prefix, run))
    return "".join(pieces)


def _with_run(text: str, prefix: str, run: int) -> str:
    """Lines ``time,values`` as ``row,time,run,values``: the run goes after the first field."""
    return "".join(
        f"{prefix}{time},{run},{values}\n"
        for time, _, values in (line.partition(",") for line in text[:-1].split("\n"))
    )


def _summary(
    trajectory, stable, settled, output: str | None, plot: str | None, convergence_plot: str | None
) -> None:
    from ..simulate.metrics import argmax_agrees, format_summary, max_deviation
    from ._output import echo_err

    n_batch, n_times, _ = trajectory.states.shape
    message = f"simulated {n_batch} trajectories x {n_times} times to t = {trajectory.times[-1]:g}"
    written = [name for name in (output, plot, convergence_plot) if name]
    if written:
        message += f"; wrote {', '.join(written)}"
    echo_err(message)
    if stable is not None and trajectory.crn.n_outputs:
        deviation = max_deviation(trajectory, stable)
        agree = argmax_agrees(trajectory, stable)
        echo_err(
            f"at t_end: max |output - exact stable output| = {deviation.max():.3g}; "
            f"argmax agrees on {int(agree.sum())}/{agree.size} rows"
        )
    if settled is not None:
        echo_err(
            f"settling times (first sample after the last violation; inf = not settled by t_end), "
            f"epsilon = {settled.epsilon_value:g}, fraction = {settled.fraction_value:g}:"
        )
        echo_err(format_summary(settled.summary()))
