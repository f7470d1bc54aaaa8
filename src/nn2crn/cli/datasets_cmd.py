"""``nn2crn datasets``: the datasets `nn2crn train` knows and where their data comes from."""

from __future__ import annotations

import click

DATASET_FLAGS = {
    "iris": "--split all|stratified",
    "virus": "--data-dir DIR (your own copy of the extract files)",
    "mnist": "--mnist-source auto|full|sample, --data-dir DIR, --image-size 14|28, --no-download",
    "csv": "--label COLUMN (required), --split stratified|all",
}
"""The `train` flags that choose each dataset's loader options (the CLI's side of ``options``)."""


@click.command("datasets")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Also look here for the full MNIST files.",
)
def datasets_command(data_dir: str | None) -> None:
    """List the datasets, their splits and the provenance of their data.

    Nothing is downloaded; for MNIST it says whether the full IDX files were
    found (in --data-dir, $NN2CRN_DATA or the download cache).
    """
    from ..datasets import DATASETS
    from ..datasets.mnist import candidate_dirs, find_full_mnist
    from ._messages import cli_message

    for info in DATASETS:
        click.echo(f"{info.name:<7}{info.description}")
        rows = {
            "size": info.shape,
            "splits": info.splits,
            "source": cli_message(info.source),
            "flags": DATASET_FLAGS[info.name],
            "python": info.options,
        }
        for label, text in rows.items():
            click.echo(f"       {label:<8}{text}")
        click.echo()
    found = find_full_mnist(data_dir)
    if found is None:
        searched = ", ".join(str(folder) for folder in candidate_dirs(data_dir))
        click.echo(
            f"full MNIST: not found (searched {searched}); `nn2crn train mnist` downloads it when online, "
            "else uses the bundled sample"
        )
    else:
        click.echo(f"full MNIST: found in {found['train-images-idx3-ubyte'].parent}")
    click.echo(
        "provenance and licences: datasets/data/virus/README.md and datasets/data/mnist/README.md "
        "in the nn2crn package"
    )
