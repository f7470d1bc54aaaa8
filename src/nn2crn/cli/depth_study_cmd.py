"""``nn2crn depth-study``: settling time versus depth and width, with a report folder."""

from __future__ import annotations

import click

DEFAULT_OUTPUT = "nn2crn-depth"


@click.command("depth-study")
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    default=DEFAULT_OUTPUT,
    show_default=True,
    help="Folder to write (must not exist, unless --force).",
)
@click.option(
    "--force", is_flag=True, help="Write into an existing folder, replacing the report files in it."
)
@click.option(
    "--depths", default="1-5", show_default=True, help="Hidden layers: a range or a list, e.g. 1-5 or 1,3."
)
@click.option("--widths", default="2,4,8,16", show_default=True, help="Hidden widths of the random networks.")
@click.option(
    "--networks",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Random networks per depth and width.",
)
@click.option(
    "--inputs", type=click.IntRange(min=1), default=32, show_default=True, help="Random inputs per network."
)
@click.option("--t-end", type=click.FloatRange(min=0, min_open=True), default=200.0, show_default=True)
@click.option(
    "--trained/--no-trained",
    default=None,
    help="Also train width-8 networks on the heart pattern at each depth.  [default: if PyTorch is installed]",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="No progress messages and no summary on stdout.")
def depth_study_command(
    output: str,
    force: bool,
    depths: str,
    widths: str,
    networks: int,
    inputs: int,
    t_end: float,
    trained: bool | None,
    seed: int,
    quiet: bool,
) -> None:
    """Measure how CRN settling time grows with network depth and width.

    Random ternary networks (and, with PyTorch, networks trained on a heart
    pattern) with the given numbers of hidden layers are compiled and simulated
    (mass action, all rates 1); the argmax stabilization and ε = 0.01
    convergence times are fitted against depth. Writes OUTPUT/report.html,
    report.md, depth-study.{csv,json,png}.

    \b
    Examples:
      nn2crn depth-study
      nn2crn depth-study --depths 1-3 --widths 4,8 --no-trained -o quick
    """
    import shlex

    from ..report._folder import check_output_folder
    from ..report.depth_study import (
        parse_depths,
        parse_widths,
        run_depth_study,
        scaling_sentences,
        write_depth_study,
    )
    from ._output import echo_err

    depth_values, width_values = parse_depths(depths), parse_widths(widths)
    check_output_folder(output, force=force)
    command = ["nn2crn", "depth-study"]
    if output != DEFAULT_OUTPUT:
        command += ["-o", output]
    command += ["--force"] * force + [
        "--depths",
        depths,
        "--widths",
        widths,
        "--networks",
        str(networks),
        "--inputs",
        str(inputs),
        "--t-end",
        f"{t_end:g}",
        "--seed",
        str(seed),
    ]
    if trained is not None:
        command.append("--trained" if trained else "--no-trained")
    log = None if quiet else (lambda message: echo_err(message))
    result = run_depth_study(
        depths=depth_values,
        widths=width_values,
        seed=seed,
        networks=networks,
        inputs=inputs,
        t_end=t_end,
        trained=trained,
        log=log,
    )
    folder = write_depth_study(result, output, force=force, command=shlex.join(command))
    if quiet:
        return
    click.echo("\n".join(scaling_sentences(result)))
    echo_err(f"done in {result.seconds:.0f} s; wrote {folder}/report.html")
