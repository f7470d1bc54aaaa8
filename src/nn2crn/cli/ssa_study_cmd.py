"""``nn2crn ssa-study``: accuracy of a CRN's answers versus the number of molecules (volume)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import click

from ._options import check_positive, positive_floats_option
from ._output import progress_bar

if TYPE_CHECKING:
    import numpy as np

_volumes_list = positive_floats_option("volumes", "1,10,100,1000")


@click.command("ssa-study")
@click.argument("crn_file", metavar="NET.crn", type=click.Path(dir_okay=False))
@click.option(
    "--inputs",
    "inputs_path",
    type=click.Path(dir_okay=False),
    help="CSV whose header names the CRN's declared inputs (as for eval); an optional "
    "'label' column adds accuracy columns.",
)
@click.option(
    "--model",
    type=click.Path(dir_okay=False),
    help="Model JSON: --inputs rows are raw features, passed through its input_transform; "
    "labels are its class names.",
)
@click.option(
    "--dataset",
    help="Use a dataset's split instead of --inputs (iris, virus, mnist, FILE.csv); "
    "needs --model for the input transform.",
)
@click.option(
    "--split",
    type=click.Choice(["train", "val", "test", "all"]),
    default="test",
    show_default=True,
    help="With --dataset: which examples.",
)
@click.option(
    "--label",
    metavar="COLUMN",
    default=None,
    help="With --dataset FILE.csv: the column holding the class labels.",
)
@click.option(
    "--volumes",
    default="1,10,100,1000",
    show_default=True,
    callback=_volumes_list,
    help="Volumes V (molecules per unit amount), comma-separated.",
)
@click.option(
    "--runs",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="SSA runs per input row and volume.",
)
@click.option(
    "--t-end",
    type=float,
    default=50.0,
    show_default=True,
    callback=check_positive,
    help="Compare the outputs with the exact stable outputs at this time.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Random seed; volume number i uses SEED + i.",
)
@click.option(
    "--threads",
    "n_threads",
    type=click.IntRange(min=1),
    help="Threads for the SSA backend (default: all cores).",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    help="Figure: agreement, error and leader time against V (.png, .svg or .pdf).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Also write the table as CSV.")
@click.option("--markdown", is_flag=True, help="Print the table as Markdown instead of a rich table.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def ssa_study_command(
    crn_file: str,
    inputs_path: str | None,
    model: str | None,
    dataset: str | None,
    split: str,
    label: str | None,
    volumes: list[float],
    runs: int,
    t_end: float,
    seed: int,
    n_threads: int | None,
    plot: str | None,
    output: str | None,
    markdown: bool,
    quiet: bool,
) -> None:
    """How many molecules NET.crn needs before its answers become reliable.

    For each volume V every row of --inputs starts with amount x V molecules
    (rounded half to even) and is simulated --runs times with the exact SSA up to
    --t-end. The table compares the outputs at --t-end with the exact stable
    outputs (the network's): how often the argmax agrees (a tie counts as
    disagreement), the mean and largest output error, and when the final argmax
    took the lead for good. The "rounding only" columns are the same comparison
    for the final state reached with unlimited time: the error that whole
    molecules cause by themselves.

    \b
    Examples:
      nn2crn ssa-study virus.crn --inputs virus_test.csv --volumes 1,10,100,1000 --runs 10
      nn2crn ssa-study iris.crn --inputs iris.csv --model iris.json --plot study.png -o study.csv
      nn2crn ssa-study virus.crn --model virus.json --dataset virus --split test --runs 10
    """
    from .._errors import InputDataError
    from ..crn import read_crn
    from ..report.plots import plot_ssa_study
    from ..report.tables import ssa_study_caption, ssa_study_markdown, ssa_study_rich_table
    from ..studies.ssa_volume import STUDY_COLUMNS, ssa_volume_study
    from ._inputs import load_crn_inputs
    from ._options import dataset_options
    from ._output import echo_err, refuse_same_file, show_progress, write_csv

    if (inputs_path is None) == (dataset is None):
        raise InputDataError("give exactly one of --inputs X.csv or --dataset NAME")
    if dataset is not None and model is None:
        raise InputDataError(
            "--dataset needs --model MODEL.json (its input transform maps raw features to inputs)"
        )
    if label is not None and dataset is None:
        raise click.BadParameter("--label needs --dataset FILE.csv", param_hint="--label")
    options = dataset_options(dataset, label) if dataset is not None else {}
    refuse_same_file(output, crn_file, inputs_path, model, dataset)
    if plot is not None:
        from ..report.plots import check_plot_path

        check_plot_path(plot)
        refuse_same_file(plot, crn_file, inputs_path, model, output)
    crn = read_crn(crn_file)
    if inputs_path is not None:
        table = load_crn_inputs(inputs_path, crn, model)
        values = table.values
        labels = _label_indices(table.labels, table.network, crn, quiet)
    else:
        # --dataset and --model are given here (checked above).
        values, labels = _dataset_inputs(cast(str, dataset), split, cast(str, model), crn, quiet, options)

    from ._inputs import warn_vanishing_counts

    warn_vanishing_counts(crn, values, volumes)
    with progress_bar(show_progress(quiet), f"ssa-study {crn_file}") as progress:
        study = ssa_volume_study(
            crn,
            values,
            volumes=volumes,
            runs=runs,
            t_end=t_end,
            seed=seed,
            labels=labels,
            n_threads=n_threads,
            progress=progress,
        )

    import sys

    from rich.console import Console

    if markdown:
        click.echo(ssa_study_markdown(study))
        click.echo(f"\n{ssa_study_caption(study)}.")
    else:
        console = Console(width=None if sys.stdout.isatty() else 160)
        console.print(ssa_study_rich_table(study, title=f"{crn_file}: accuracy versus volume (exact SSA)"))
        console.print(ssa_study_caption(study), style="dim")
    if output is not None:
        write_csv(output, STUDY_COLUMNS, ([_cell(v) for v in row] for row in study.rows()))
    if plot is not None:
        plot_ssa_study(study, plot, title=f"{crn_file}: accuracy versus volume, t_end = {t_end:g}")
    if not quiet:
        written = [name for name in (output, plot) if name]
        seconds = sum(r.seconds for r in study.results)
        echo_err(
            f"simulated {len(volumes)} volumes in {seconds:.1f} s"
            + (f"; wrote {', '.join(written)}" if written else "")
        )


def _dataset_inputs(dataset: str, split: str, model: str, crn, quiet: bool, options: dict[str, object]):
    """(network inputs, class indices) of a dataset split, through the model's input transform."""

    from .._errors import InputDataError
    from ..datasets import load_dataset
    from ..nn import load_network
    from ._output import echo_err

    network = load_network(model)
    data = load_dataset(dataset, **options)
    if data.n_features != network.n_inputs or network.n_inputs != crn.n_inputs:
        raise InputDataError(
            f"dataset {dataset} has {data.n_features} features, {model} takes {network.n_inputs} inputs and "
            f"the CRN declares {crn.n_inputs}; they must agree"
        )
    examples = data.examples(split)
    if not quiet:
        for note in data.notes:
            echo_err(f"note: {note}")
    labels: np.ndarray | None
    raw, labels = examples.x, examples.y
    if tuple(network.output_names) != tuple(data.class_names):
        if not quiet:
            echo_err(
                f"note: {model}'s outputs ({', '.join(network.output_names[:4])}) are not the classes of "
                f"{dataset} ({', '.join(data.class_names[:4])}); no accuracy columns"
            )
        labels = None
    return network.transform(raw), labels


def _cell(value: float | int) -> str:
    from ._output import format_float

    return str(value) if isinstance(value, int) else format_float(value)


def _label_indices(labels, network, crn, quiet: bool):
    """Class indices of the CSV's 'label' column, or None (with a note) if they cannot be matched."""
    if labels is None:
        return None
    from ._output import echo_err

    names = list(network.output_names) if network is not None else list(crn.output_names)
    position = {name: index for index, name in enumerate(names)}
    unknown = sorted({label for label in labels if label not in position})
    if unknown:
        if not quiet:
            echo_err(
                f"note: labels such as {unknown[0]!r} are not among the class names ({', '.join(names[:6])}); "
                f"no accuracy columns (give --model MODEL.json to use its class names)"
            )
        return None
    return [position[label] for label in labels]
