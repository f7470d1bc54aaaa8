"""``nn2crn train``: train a binary/ternary-weight ReLU network and save its model JSON."""

from __future__ import annotations

import click

# Hyperparameter flags that --recipe sets, by their click parameter name.
RECIPE_SETTINGS = (
    "hidden",
    "weights",
    "conv",
    "kernel",
    "pool",
    "shift",
    "schedule",
    "layer_scale",
    "threshold",
    "epochs",
    "batch_size",
    "lr_start",
    "lr_end",
    "seed",
    "dropout_input",
    "dropout_hidden",
    "loss",
    "glorot_lr",
    "split",
    "label",
    "data_dir",
    "mnist_source",
    "image_size",
    "no_download",
)


def _dataset_options(kind: str, given: dict[str, object]) -> dict[str, object]:
    """Loader options from the dataset flags given on the command line (flag -> value)."""
    from .._errors import DatasetError
    from ..datasets.options import option_for_flag

    options: dict[str, object] = {}
    for flag, value in given.items():
        option = option_for_flag(flag)
        if kind not in option.datasets:
            raise DatasetError(
                f"{flag} does not apply to the {kind} dataset; it is for {', '.join(option.datasets)}"
            )
        options[option.name] = value
    return options


def _recipe_settings(recipe: str, dataset: str | None):
    """(dataset, loader options, TrainConfig) of the registered run `recipe`; refuses other training flags."""
    from .._errors import InputDataError
    from ..nn.runs import run_named

    context = click.get_current_context()
    given = [
        name
        for name in RECIPE_SETTINGS
        if context.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
    ]
    if given:
        flag = "--" + given[0].replace("_", "-")
        raise InputDataError(
            f"{flag}: --recipe {recipe} sets every training setting; drop {flag}, or drop --recipe"
        )
    run = run_named(recipe)
    if dataset is not None and dataset != run.dataset:
        raise InputDataError(
            f"--recipe {recipe} trains on {run.dataset}, not {dataset}; drop DATASET or give {run.dataset}"
        )
    return run.dataset, run.loader_options, run.config


def _weights_option(ctx: click.Context, param: click.Parameter, value: str) -> str:
    kind, _, levels = value.partition(":")
    if value in ("binary", "ternary") or (kind == "int" and levels.isdigit() and int(levels) >= 1):
        return value
    raise click.BadParameter(f"{value!r}: expected binary, ternary or int:K with K >= 1, e.g. int:3")


@click.command("train")
@click.argument("dataset", required=False)
@click.option(
    "--recipe",
    metavar="MODEL",
    help="Train with the registered settings of a shipped model (e.g. iris-4-8-3-binary); "
    "the dataset and every training setting come from the recipe.",
)
@click.option(
    "--hidden",
    type=click.IntRange(min=1),
    multiple=True,
    metavar="WIDTH",
    help="Width of a hidden ReLU layer; repeat for more layers.  [default: 8]",
)
@click.option(
    "--weights",
    metavar="binary|ternary|int:K",
    callback=_weights_option,
    default="binary",
    show_default=True,
    help="Weight levels: {-1, +1}, {-1, 0, +1}, or k/K for k in -K..K (compiles to coefficients up to K).",
)
@click.option(
    "--conv",
    type=click.IntRange(min=1),
    multiple=True,
    metavar="CHANNELS",
    help="Add a conv KxK -> ReLU -> maxpool block with this many channels before the dense layers "
    "(square images); repeat for more.",
)
@click.option(
    "--kernel", type=click.IntRange(min=1), default=3, show_default=True, help="Convolution kernel size."
)
@click.option(
    "--pool", type=click.IntRange(min=1), default=2, show_default=True, help="Max-pool size after each conv."
)
@click.option(
    "--shift",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="CNNs: move each training image by a random -N..N pixels per axis in every batch (augmentation).",
)
@click.option(
    "--schedule",
    type=click.Choice(["exponential", "cosine"]),
    default="exponential",
    show_default=True,
    help="Learning rate from --lr-start to --lr-end: exponential decay or a half cosine.",
)
@click.option(
    "--layer-scale",
    is_flag=True,
    default=False,
    help="CNNs and int:K: learn a positive scale per layer (folded into the biases at export).",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1, max_open=True),
    default=0.15,
    show_default=True,
    help="Ternary: shadow weights with |w| below this become 0.",
)
@click.option("--epochs", type=click.IntRange(min=1), default=300, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=16, show_default=True)
@click.option("--lr-start", type=click.FloatRange(min=0, min_open=True), default=0.003, show_default=True)
@click.option(
    "--lr-end",
    type=click.FloatRange(min=0, min_open=True),
    default=3e-4,
    show_default=True,
    help="Learning rate of the last epoch (exponential decay from --lr-start).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--dropout-input", type=click.FloatRange(0, 1, max_open=True), default=0.0, show_default=True)
@click.option("--dropout-hidden", type=click.FloatRange(0, 1, max_open=True), default=0.0, show_default=True)
@click.option(
    "--loss",
    type=click.Choice(["hinge", "xent"]),
    default="hinge",
    show_default=True,
    help="Squared hinge on ±1 targets, or cross-entropy.",
)
@click.option(
    "--glorot-lr/--no-glorot-lr",
    default=True,
    show_default=True,
    help="Scale the weights' learning rate by 1/sqrt(1.5/(fan_in+fan_out)) (BinaryConnect).",
)
@click.option(
    "--split",
    type=click.Choice(["all", "stratified"]),
    default=None,
    help="iris (default all, the paper's) and CSV (default stratified 80/10/10).",
)
@click.option("--label", metavar="COLUMN", default=None, help="CSV: the column holding the class labels.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="mnist: folder of the IDX files (else $NN2CRN_DATA, cache, bundled sample).",
)
@click.option(
    "--mnist-source",
    type=click.Choice(["auto", "full", "sample"]),
    default=None,
    help="mnist: full files, the bundled 10,000-digit sample, or auto.  [default: auto]",
)
@click.option(
    "--image-size",
    type=click.Choice(["14", "28"]),
    default=None,
    help="mnist: 14x14 (2x2 averaged, the paper's) or 28x28 pixels.  [default: 14]",
)
@click.option("--no-download", is_flag=True, default=False, help="mnist: never download the full files.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="Model JSON to write.")
@click.option("--force", is_flag=True, help="Overwrite --output if it exists.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no result table.")
def train_command(
    dataset: str | None,
    recipe: str | None,
    hidden: tuple[int, ...],
    weights: str,
    conv: tuple[int, ...],
    kernel: int,
    pool: int,
    shift: int,
    schedule: str,
    layer_scale: bool,
    threshold: float,
    epochs: int,
    batch_size: int,
    lr_start: float,
    lr_end: float,
    seed: int,
    dropout_input: float,
    dropout_hidden: float,
    loss: str,
    glorot_lr: bool,
    split: str | None,
    label: str | None,
    data_dir: str | None,
    mnist_source: str | None,
    image_size: str | None,
    no_download: bool,
    output: str,
    force: bool,
    quiet: bool,
) -> None:
    """Train a binary/ternary-weight ReLU network on DATASET and save it as a model JSON.

    DATASET is iris, virus, mnist or a CSV file (with --label COLUMN); see
    `nn2crn datasets`. --recipe MODEL instead retrains a shipped model with the
    settings that produced it. Training is BinaryConnect: clipped real shadow weights,
    quantized forward pass, straight-through gradients, Adam with exponentially
    decaying learning rate; the best validation epoch is kept. Needs the
    `train` extra (PyTorch).

    \b
    Examples:
      nn2crn train iris --hidden 8 --weights binary -o iris.json
      nn2crn train virus --hidden 8 --weights ternary --epochs 200 -o virus.json
      nn2crn train my.csv --label species --hidden 6 -o my.json
      nn2crn train mnist --conv 16 --conv 32 --weights ternary --shift 1 --layer-scale -o cnn.json
      nn2crn train --recipe iris-4-8-3-binary -o iris.json
    """
    from pathlib import Path

    from .._errors import InputDataError
    from .._writing import check_output
    from ._output import echo_err, show_progress

    data_inputs = (dataset,) if dataset is not None and Path(dataset).is_file() else ()
    # Checked before training, so a bad -o never throws the training away.
    check_output(output, inputs=data_inputs, what="-o")
    if Path(output).exists() and not Path(output).is_dir() and not force:
        raise InputDataError(f"{output}: exists; pass --force to overwrite it or choose another -o path")

    from ..datasets import load_dataset
    from ..nn.train import TrainConfig, train_network

    progress = show_progress(quiet)
    if recipe is not None:
        dataset, options, config = _recipe_settings(recipe, dataset)
        if dataset == "mnist":
            options["progress"] = progress
        data = load_dataset(dataset, **options)
    else:
        if dataset is None:
            raise InputDataError("give a DATASET (iris, virus, mnist or FILE.csv) or --recipe MODEL")
        data = _load_flagged_dataset(
            dataset, split, label, data_dir, mnist_source, image_size, no_download, progress
        )
        config = TrainConfig(
            hidden=hidden or (() if conv else (8,)),
            weights=weights,
            conv=conv,
            kernel=kernel,
            pool=pool,
            shift=shift,
            schedule=schedule,
            layer_scale=layer_scale,
            threshold=threshold,
            epochs=epochs,
            batch_size=batch_size,
            lr_start=lr_start,
            lr_end=lr_end,
            seed=seed,
            dropout_input=dropout_input,
            dropout_hidden=dropout_hidden,
            loss=loss,
            glorot_lr=glorot_lr,
        )
    for note in data.notes:
        echo_err(note)

    blocks = [f"conv{width}x{config.kernel}-pool{config.pool}" for width in config.conv]
    widths = "-".join(str(width) for width in (data.n_features, *blocks, *config.hidden, data.n_classes))
    if progress:
        result = _train_with_progress(data, config, f"{data.name} {widths} {config.weights}")
    else:
        result = train_network(data, config)
    _write_model(result.network, output, data_inputs)
    if not quiet:
        _print_summary(result, data)
    echo_err(
        f"wrote {output}: {widths} {config.weights}, best epoch {result.best_epoch + 1} of {config.epochs}, "
        f"trained in {result.seconds:.1f} s"
    )


def _load_flagged_dataset(
    dataset: str,
    split: str | None,
    label: str | None,
    data_dir: str | None,
    mnist_source: str | None,
    image_size: str | None,
    no_download: bool,
    progress: bool,
):
    """The dataset named on the command line, with the loader options of its dataset flags."""
    from .._errors import InputDataError
    from ..datasets import load_dataset
    from ..datasets.registry import LOADERS

    kind = dataset if dataset in LOADERS else "csv"
    given: dict[str, object] = {}
    if split is not None:
        given["--split"] = split
    if label is not None:
        given["--label"] = label
    if data_dir is not None:
        given["--data-dir"] = data_dir
    if mnist_source is not None:
        given["--mnist-source"] = mnist_source
    if image_size is not None:
        given["--image-size"] = image_size == "14"
    if no_download:
        given["--no-download"] = False
    options = _dataset_options(kind, given)
    if kind == "mnist":
        options["progress"] = progress
    if kind == "csv" and dataset not in LOADERS:
        if "label" not in options:
            raise InputDataError(
                f"{dataset}: not a known dataset ({', '.join(name for name in LOADERS if name != 'csv')}); "
                f"for a CSV file also give --label COLUMN"
            )
        options["path"] = dataset
        dataset = "csv"
    return load_dataset(dataset, **options)


def _train_with_progress(data, config, description: str):
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from ..nn.train import train_network

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.4f}  val {task.fields[val]:.1%}  best {task.fields[best]:.1%}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=config.epochs, loss=float("nan"), val=0.0, best=0.0)
        best = [0.0]

        def update(record) -> None:
            if record.is_best:
                best[0] = record.val_accuracy
            bar.update(task, advance=1, loss=record.loss, val=record.val_accuracy, best=best[0])

        return train_network(data, config, callback=update)


def _write_model(network, output: str, inputs: tuple[str | None, ...]) -> None:
    import json

    from .._writing import write_output
    from ..nn.model_file import network_to_dict

    write_output(output, json.dumps(network_to_dict(network), indent=1) + "\n", inputs=inputs)


def _print_summary(result, data) -> None:
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{data.name}: accuracy of the exported network")
    table.add_column("split")
    table.add_column("examples", justify="right")
    table.add_column("correct", justify="right")
    table.add_column("accuracy", justify="right")
    for name, (correct, total) in result.counts.items():
        accuracy = f"{correct / total:.1%}" if total else "-"
        table.add_row(name, str(total), str(correct), accuracy)
    weights = Table(title="weights")
    weighted = [layer for layer in result.network.layers if hasattr(layer, "weight")]
    ternary = all(set(np.unique(layer.weight).tolist()) <= {-1.0, 0.0, 1.0} for layer in weighted)
    for column in ("layer", "shape", *(("-1", "0", "+1") if ternary else ("< 0", "0", "> 0"))):
        weights.add_column(column, justify="right")
    totals = [0, 0, 0]
    for index, layer in enumerate(result.network.layers):
        if not hasattr(layer, "weight"):
            continue
        counts = [int((np.sign(layer.weight) == value).sum()) for value in (-1, 0, 1)]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        weights.add_row(str(index), "x".join(map(str, layer.weight.shape)), *map(str, counts))
    weights.add_row("all", "", *map(str, totals))
    console = Console(highlight=False)
    console.print(table)
    console.print(weights)
