"""``nn2crn demo``: the shipped IRIS network end to end, into a report folder."""

from __future__ import annotations

import click

from ..report.demo import DEFAULT_OUTPUT


@click.command("demo")
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
    "--train",
    is_flag=True,
    help="Train the IRIS network first (needs nn2crn[train]) instead of loading the shipped one.",
)
@click.option(
    "--model",
    type=click.Path(dir_okay=False),
    default=None,
    help="Use this IRIS model JSON (4 inputs, 3 outputs) instead of the shipped one.",
)
@click.option("--no-ssa", is_flag=True, help="Skip the stochastic simulations.")
@click.option(
    "--dna/--no-dna",
    default=False,
    show_default=True,
    help="Add the DNA implementation section (cost, verification, fuel x leak; needs nn2crn[dna], ~100 s CPU).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress messages and no summary table.")
def demo_command(
    output: str, force: bool, train: bool, model: str | None, no_ssa: bool, dna: bool, quiet: bool
) -> None:
    """Compile the shipped IRIS network into a CRN, check it, evaluate and simulate it, write a report.

    Loads the shipped 4-8-3 binary IRIS model, compiles (Algorithm 1) and
    reduces (Algorithm 2) it, checks both CRNs (feed-forward, non-competitive),
    evaluates all 150 examples exactly and compares with the network, simulates
    mass-action kinetics (ODE, and a few SSA runs), draws the CRN and writes
    OUTPUT/report.html (self-contained) and report.md, the .crn and SBML files,
    CSVs and figures. Takes well under a minute.

    \b
    Examples:
      nn2crn demo
      nn2crn demo -o my-demo --force
      nn2crn demo --train
      nn2crn demo --dna        # plus the DNA strand-displacement section
    """
    import shlex

    from ..report.demo import run_demo
    from ._options import require_dna_extra
    from ._output import echo_err

    command = ["nn2crn", "demo"]
    if output != DEFAULT_OUTPUT:
        command += ["-o", output]
    command += (
        ["--force"] * force
        + ["--train"] * train
        + (["--model", model] if model else [])
        + ["--no-ssa"] * no_ssa
        + ["--dna"] * dna
    )
    if dna:
        require_dna_extra("--dna")
    log = None if quiet else (lambda message: echo_err(message))
    result = run_demo(
        output,
        force=force,
        train=train,
        model=model,
        ssa=not no_ssa,
        dna=dna,
        command=shlex.join(command),
        log=log,
    )
    if quiet:
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="nn2crn demo: IRIS as a chemical reaction network", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for label, value in result.summary:
        table.add_row(label, value)
    Console(highlight=False).print(table)
    echo_err(f"done in {result.seconds:.1f} s; open {result.folder / 'report.html'}")
