"""``nn2crn verify``: compile a model and check the CRN's exact outputs against the network."""

from __future__ import annotations

from typing import cast

import click

from ._options import rtol_option


@click.command("verify")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option(
    "--inputs",
    "inputs_path",
    type=click.Path(dir_okay=False),
    help="CSV of raw feature rows (header: the model's input names, or x0, x1, ...; "
    "optional 'label' column).",
)
@click.option("--dataset", help="Use a dataset's split instead of --inputs (iris, virus, mnist, FILE.csv).")
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
@click.option("--reduce", "reduce_", is_flag=True, help="Verify the reduced CRN.")
@click.option(
    "--keep-inputs/--no-keep-inputs",
    default=True,
    show_default=True,
    help="With --reduce: keep the input layer's reactions.",
)
@click.option("--shift-inputs", metavar="LOW", help="Compile with single-rail inputs shifted by LOW.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Also write the compiled CRN here.")
@rtol_option("the CRN's outputs")
def verify_command(
    model: str,
    inputs_path: str | None,
    dataset: str | None,
    split: str,
    label: str | None,
    reduce_: bool,
    keep_inputs: bool,
    shift_inputs: str | None,
    output: str | None,
    rtol: float,
) -> int:
    """Compile MODEL, evaluate the CRN exactly on every row and compare with the network.

    Rows are raw features: the model's input_transform (if any) is applied
    first. Exit 0 if every output agrees to 1e-9 relative, 1 on any mismatch,
    2 for bad input. "Relative" is to max(1, the magnitude of the terms summed
    for that output: |W| and |b| applied to |x|), which bounds the rounding of
    both the forward pass and the CRN's dual rails.
    """
    import numpy as np

    from .._errors import InputDataError
    from ..compile.verify import verify_network
    from ..crn import write_crn
    from ..nn import load_network
    from ._inputs import read_inputs_csv
    from ._options import dataset_options, parse_floats
    from ._output import refuse_same_file

    if (inputs_path is None) == (dataset is None):
        raise InputDataError("give exactly one of --inputs X.csv or --dataset NAME")
    if label is not None and dataset is None:
        raise click.BadParameter("--label needs --dataset FILE.csv", param_hint="--label")
    options = dataset_options(dataset, label) if dataset is not None else {}
    refuse_same_file(output, model, inputs_path, dataset)
    network = load_network(model)
    labels: np.ndarray | None = None
    if inputs_path is not None:
        table = read_inputs_csv(
            inputs_path, network.input_names, tuple(f"x{i}" for i in range(network.n_inputs))
        )
        raw = table.values
        if table.labels is not None:
            lookup = {name: index for index, name in enumerate(network.output_names)}
            labels = np.array([lookup.get(label, -1) for label in table.labels])
        source = inputs_path
    else:
        from ..datasets import load_dataset

        data = load_dataset(cast(str, dataset), **options)  # exactly one of the two is given (checked above)
        if data.n_features != network.n_inputs:
            raise InputDataError(
                f"dataset {dataset} has {data.n_features} features but {model} takes {network.n_inputs} inputs"
            )
        examples = data.examples(split)
        raw, labels = examples.x, examples.y
        source = f"dataset {dataset} ({split})"
        for note in data.notes:
            click.echo(f"note: {note}", err=True)

    shift = parse_floats(shift_inputs, "--shift-inputs") if shift_inputs is not None else None
    result = verify_network(
        network, raw, reduce=reduce_, keep_inputs=keep_inputs, shift_inputs=shift, rtol=rtol
    )
    crn, report = result.crn, result.check
    if output:
        write_crn(crn, output)
    kind = "reduced" if reduce_ else "compiled"
    lines = [
        f"{model}: network {'-'.join(map(str, network.widths))}, {kind} CRN with {crn.n_species} species, "
        f"{crn.n_reactions} reactions ({report.n_bimolecular} bimolecular)",
        f"  rows                    {len(raw)} from {source}",
        f"  max |CRN - network|     {result.max_absolute_error.max():.3g}",
        f"  max relative difference {result.max_relative_error.max():.3g}  (tolerance {result.tolerance:g})",
        f"  argmax agreement        {result.argmax_agrees.sum()}/{result.n_rows}",
    ]
    if labels is not None and (labels >= 0).all():
        lines.append(f"  network accuracy        {np.mean(np.argmax(result.expected, axis=1) == labels):.4f}")
        lines.append(f"  CRN accuracy            {np.mean(np.argmax(result.actual, axis=1) == labels):.4f}")
    mismatch = result.first_mismatch()
    if mismatch is not None:
        row, column = mismatch
        lines.append(
            f"MISMATCH: {int(result.mismatched.sum())} rows differ; first at row {row}, output "
            f"{network.output_names[column]}: CRN {result.actual[row, column]!r}, "
            f"network {result.expected[row, column]!r}"
        )
        click.echo("\n".join(lines))
        return 1
    lines.append("OK: the CRN computes the network exactly on every row")
    click.echo("\n".join(lines))
    return 0
