"""``nn2crn reproduce``: the paper's experiments as one table, with a report folder."""

from __future__ import annotations

import click

from ..studies.experiment import DEFAULT_ODE_EXAMPLES

CHOICES = ("iris", "virus", "mnist", "cnn", "int3", "all")
DEFAULT_OUTPUT = "nn2crn-reproduce"


@click.command("reproduce")
@click.argument("experiments", nargs=-1, type=click.Choice(CHOICES))
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
    help="Train each network first, with the shipped model's recorded "
    "settings (needs nn2crn[train]; MNIST takes minutes).",
)
@click.option(
    "--ode-examples",
    type=click.IntRange(min=1),
    default=None,
    help=f"ODE-simulate the first N test examples of each dataset (all if fewer). "
    f"[default: {DEFAULT_ODE_EXAMPLES}; cnn: 100]",
)
@click.option(
    "--dna/--no-dna",
    default=True,
    show_default=True,
    help="A DNA implementation section for iris, virus and mnist (skipped with a note without nn2crn[dna]).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress messages and no table on stdout.")
def reproduce_command(
    experiments: tuple[str, ...],
    output: str,
    force: bool,
    train: bool,
    ode_examples: int | None,
    dna: bool,
    quiet: bool,
) -> None:
    """Reproduce the paper's experiments: iris, virus, mnist or all (default all).

    Beyond the paper (issue 11), named only: cnn (ternary 14x14 CNN) and int3
    (196-64-10 with weights k/3), both on the 1,000 shipped MNIST sample digits.

    For each dataset: the shipped network (or, with --train, a new one) is
    compiled and reduced; every test example is evaluated exactly and compared
    with the network; mass-action ODE kinetics are simulated to the paper's
    t_end (50 for iris and virus, 200 for mnist). One table row per dataset is
    written to OUTPUT/reproduction.{md,csv,json}, with a report (report.html,
    report.md), the CRN files and figures.

    \b
    Examples:
      nn2crn reproduce all
      nn2crn reproduce iris virus -o out --force
      nn2crn reproduce cnn int3 --ode-examples 100 -o beyond
      nn2crn reproduce iris --no-dna   # without the DNA implementation section
    """
    import shlex

    from ..report.reproduce import reproduce
    from ._output import echo_err

    names = experiments or ("all",)
    command = ["nn2crn", "reproduce", *names]
    if output != DEFAULT_OUTPUT:
        command += ["-o", output]
    command += ["--force"] * force + ["--train"] * train
    if ode_examples is not None:
        command += ["--ode-examples", str(ode_examples)]
    if not dna:
        command += ["--no-dna"]
    log = None if quiet else (lambda message: echo_err(message))
    from ..studies.dna import dna_available

    if dna and not dna_available():
        dna = False
        if not quiet:
            echo_err(
                "note: no DNA implementation section: pip install 'nn2crn[dna]' (peppercorn, crnverifier)"
            )
    result = reproduce(
        names,
        output,
        force=force,
        train=train,
        ode_examples=ode_examples,
        command=shlex.join(command),
        dna=dna,
        log=log,
    )
    if quiet:
        return
    from rich.console import Console
    from rich.table import Table

    # Transposed (one column per dataset) so that it fits a terminal.
    table = Table(title="Reproduction of Deep Molecular Programming (ICML 2020)")
    table.add_column(result.header[0], style="bold")
    for row in result.rows:
        table.add_column(row[0])
    for index, label in enumerate(result.header[1:], start=1):
        table.add_row(label, *(row[index] for row in result.rows))
    Console(highlight=False).print(table)
    echo_err(f"done in {result.seconds:.0f} s; wrote {result.folder}/reproduction.md and report.html")
