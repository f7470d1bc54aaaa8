"""``nn2crn verify``: compile a model and check the CRN's exact outputs against the network."""

from __future__ import annotations

import click

RELATIVE_TOLERANCE = 1e-9


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
    from ..compile import compile_network, reduce_crn
    from ..crn import check_crn, write_crn
    from ..nn import load_network
    from ..simulate import stable_outputs
    from ._common import dataset_options, parse_floats, read_inputs_csv, refuse_same_file

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

        data = load_dataset(dataset, **options)
        if data.n_features != network.n_inputs:
            raise InputDataError(
                f"dataset {dataset} has {data.n_features} features but {model} takes {network.n_inputs} inputs"
            )
        parts = [getattr(data, split)] if split != "all" else []
        for part in [data.train, data.val, data.test] if split == "all" else []:
            # Some settings (the paper's IRIS) use the same examples in every split.
            if not any(np.array_equal(part.x, seen.x) for seen in parts):
                parts.append(part)
        raw = np.concatenate([part.x for part in parts])
        labels = np.concatenate([part.y for part in parts])
        source = f"dataset {dataset} ({split})"
        for note in data.notes:
            click.echo(f"note: {note}", err=True)

    shift = parse_floats(shift_inputs, "--shift-inputs") if shift_inputs is not None else None
    crn = compile_network(network, shift_inputs=shift)
    if reduce_:
        crn = reduce_crn(crn, keep_inputs=keep_inputs)
    if output:
        write_crn(crn, output)
    features = network.transform(raw)
    expected = network.forward(features)
    crn_inputs = features if shift is None else features - np.broadcast_to(np.asarray(shift), features.shape)
    if shift is not None and (crn_inputs < 0).any():
        row, column = np.argwhere(crn_inputs < 0)[0]
        raise InputDataError(
            f"row {row}: input {network.input_names[column]} (after the input transform) is "
            f"{features[row, column]:.6g}, below the --shift-inputs bound {np.broadcast_to(shift, (network.n_inputs,))[column]}; "
            f"choose a lower bound"
        )
    actual = stable_outputs(crn, crn_inputs)
    difference = np.abs(actual - expected)
    scale = np.maximum(1.0, network.forward_magnitude(features))
    relative = difference / scale
    agree = np.argmax(actual, axis=1) == np.argmax(expected, axis=1)
    report = check_crn(crn)
    kind = "reduced" if reduce_ else "compiled"
    lines = [
        f"{model}: network {'-'.join(map(str, network.widths))}, {kind} CRN with {crn.n_species} species, "
        f"{crn.n_reactions} reactions ({report.n_bimolecular} bimolecular)",
        f"  rows                    {len(raw)} from {source}",
        f"  max |CRN - network|     {difference.max():.3g}",
        f"  max relative difference {relative.max():.3g}  (tolerance {RELATIVE_TOLERANCE:g})",
        f"  argmax agreement        {agree.sum()}/{len(agree)}",
    ]
    if labels is not None and (labels >= 0).all():
        lines.append(f"  network accuracy        {np.mean(np.argmax(expected, axis=1) == labels):.4f}")
        lines.append(f"  CRN accuracy            {np.mean(np.argmax(actual, axis=1) == labels):.4f}")
    bad = relative > RELATIVE_TOLERANCE
    if bad.any():
        row, column = np.argwhere(bad)[0]
        lines.append(
            f"MISMATCH: {int(bad.any(axis=1).sum())} rows differ; first at row {row}, output "
            f"{network.output_names[column]}: CRN {actual[row, column]!r}, network {expected[row, column]!r}"
        )
        click.echo("\n".join(lines))
        return 1
    lines.append("OK: the CRN computes the network exactly on every row")
    click.echo("\n".join(lines))
    return 0
