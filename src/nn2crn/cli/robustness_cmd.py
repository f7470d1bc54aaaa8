"""``nn2crn robustness``: outputs under random rate constants, and the ReLU-rate speed-up."""

from __future__ import annotations

import click

from ._options import RATE_LAWS, check_positive, check_rtol, positive_floats_option
from ._output import progress_bar

_factors_list = positive_floats_option("factors", "1,10,100")


@click.command("robustness")
@click.argument("crn_file", metavar="NET.crn", type=click.Path(dir_okay=False))
@click.option(
    "--inputs",
    "inputs_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="CSV whose header names the CRN's declared inputs (as for eval).",
)
@click.option(
    "--model",
    type=click.Path(dir_okay=False),
    help="Model JSON: rows are raw features, passed through its input_transform.",
)
@click.option(
    "--rate-sets",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Number R of random rate sets.",
)
@click.option(
    "--low",
    type=float,
    default=0.1,
    show_default=True,
    callback=check_positive,
    help="Smallest random rate constant.",
)
@click.option(
    "--high",
    type=float,
    default=10.0,
    show_default=True,
    callback=check_positive,
    help="Largest random rate constant.",
)
@click.option("--rates-range", metavar="LOW:HIGH", help="Shorthand for --low LOW --high HIGH.")
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Rate set r uses random:SEED+r:LOW:HIGH.",
)
@click.option(
    "--t-end",
    type=float,
    default=1000.0,
    show_default=True,
    callback=check_positive,
    help="Time at which long-time outputs are compared with the exact stable outputs.",
)
@click.option("--rate-law", type=click.Choice(RATE_LAWS), default="mass-action", show_default=True)
@click.option("--rtol", type=float, default=1e-6, show_default=True, callback=check_rtol)
@click.option("--atol", type=float, default=1e-9, show_default=True, callback=check_positive)
@click.option(
    "--factors",
    default="1,10,100",
    show_default=True,
    callback=_factors_list,
    help="ReLU-rate multipliers for the speed-up table.",
)
@click.option(
    "--epsilon",
    type=float,
    default=0.01,
    show_default=True,
    callback=check_positive,
    help="Absolute tolerance of the settling time in the speed-up table.",
)
@click.option(
    "--speedup-t-end",
    type=float,
    default=200.0,
    show_default=True,
    callback=check_positive,
    help="Horizon of the speed-up simulations.",
)
@click.option("--no-speedup", is_flag=True, help="Skip the ReLU-rate speed-up table.")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    help="Figure: deviation per rate set and settling-time CDFs per factor (.png/.svg/.pdf).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def robustness_command(
    crn_file: str,
    inputs_path: str,
    model: str | None,
    rate_sets: int,
    low: float,
    high: float,
    rates_range: str | None,
    seed: int,
    t_end: float,
    rate_law: str,
    rtol: float,
    atol: float,
    factors: list[float],
    epsilon: float,
    speedup_t_end: float,
    no_speedup: bool,
    plot: str | None,
    quiet: bool,
) -> None:
    """Show that NET.crn's answers do not depend on its rate constants.

    Simulates every row of --inputs under the CRN's own rates and under R random
    rate sets (each rate constant log-uniform in [LOW, HIGH]) to --t-end, and
    prints the largest deviation of the outputs from the exact stable outputs and
    how many rows keep the right argmax. A second table shows how multiplying the
    ReLU (annihilation, two-reactant) reactions' rates shortens the time until
    every output stays within --epsilon of its stable value.

    \b
    Example:
      nn2crn robustness iris.crn --inputs x.csv --rate-sets 20 --low 0.1 --high 10 --plot rob.png
    """
    from ..crn import read_crn
    from ..report.tables import robustness_text, speedup_text
    from ..simulate import stable_outputs
    from ..simulate.rates import relu_reactions
    from ..studies.robustness import rate_robustness, relu_speedup
    from ._inputs import load_crn_inputs
    from ._output import echo_err, refuse_same_file, show_progress

    if rates_range is not None:
        source = click.get_current_context().get_parameter_source
        if (
            source("low") != click.core.ParameterSource.DEFAULT
            or source("high") != click.core.ParameterSource.DEFAULT
        ):
            raise click.BadParameter(
                "give either --rates-range or --low/--high, not both", param_hint="--rates-range"
            )
        parts = rates_range.split(":")
        if len(parts) != 2:
            raise click.BadParameter(
                f"expected LOW:HIGH, e.g. 0.1:10, got {rates_range!r}", param_hint="--rates-range"
            )
        low, high = (_number(part, "--rates-range") for part in parts)
    if low > high:
        raise click.BadParameter(
            f"LOW = {low:g} is greater than HIGH = {high:g}; swap them", param_hint="--low/--high"
        )
    if plot is not None:
        from ..report.plots import check_plot_path

        check_plot_path(plot)
        refuse_same_file(plot, crn_file, inputs_path, model)

    crn = read_crn(crn_file)
    values = load_crn_inputs(inputs_path, crn, model).values
    # The reference for kinetics: float64 rounding of deep networks' rails (below 1e-6
    # relative even at depth 8) is far below what is compared with it: no bound check.
    stable = stable_outputs(crn, values, rtol=None)
    with progress_bar(show_progress(quiet), "rate sets") as progress:
        result = rate_robustness(
            crn,
            values,
            rate_sets=rate_sets,
            low=low,
            high=high,
            seed=seed,
            t_end=t_end,
            rate_law=rate_law,
            rtol=rtol,
            atol=atol,
            stable=stable,
            progress=progress,
        )
    click.echo(robustness_text(result))
    speedup = None
    if not no_speedup:
        if not relu_reactions(crn).any():
            echo_err("note: no reaction has two or more reactant molecules; no ReLU-rate speed-up table")
        else:
            with progress_bar(show_progress(quiet), "ReLU-rate factors") as progress:
                speedup = relu_speedup(
                    crn,
                    values,
                    factors=factors,
                    t_end=speedup_t_end,
                    epsilon=epsilon,
                    rate_law=rate_law,
                    rtol=rtol,
                    atol=atol,
                    stable=stable,
                    progress=progress,
                )
            click.echo()
            click.echo(speedup_text(speedup))
    if plot is not None:
        from ..report.plots import plot_rate_robustness

        plot_rate_robustness(
            {row.spec: row.max_deviation for row in result.rate_sets},
            plot,
            speedup=None
            if speedup is None
            else {f"x{row.factor:g}": row.epsilon_times for row in speedup.rows},
            t_end=speedup_t_end,
            title=f"{crn_file}: rate robustness ({result.n_rows} inputs, {rate_law})",
        )
        if not quiet:
            echo_err(f"wrote {plot}")


def _number(text: str, option: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a number", param_hint=option) from None
    if not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"must be finite numbers > 0, got {text}", param_hint=option)
    return value
