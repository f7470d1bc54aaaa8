"""``nn2crn datasets``: the datasets `nn2crn train` knows and where their data comes from."""

from __future__ import annotations

import click


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

    for info in DATASETS:
        click.echo(f"{info.name:<7}{info.description}")
        for key in ("shape", "splits", "source", "flags", "options"):
            label = {"shape": "size", "options": "python"}.get(key, key)
            click.echo(f"       {label:<8}{getattr(info, key)}")
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
