"""ONNX model -> model JSON, used by ``nn2crn import MODEL.onnx``; ``import-onnx`` is its deprecated alias."""

from __future__ import annotations

import click


def import_onnx(path: str, output: str, *, float_weights: bool = False, force: bool = False) -> str:
    """Read the ONNX model at `path` and write it as model JSON to `output`; returns a summary line.

    Raises
    ------
    ModelFileError
        For an unsupported op, a BatchNorm that cannot be folded or weights that
        are not small rationals (unless `float_weights`), naming the node.
    """
    from pathlib import Path

    from .._errors import InputDataError
    from ..nn import save_network
    from ..nn.onnx_io import read_onnx
    from ._output import refuse_same_file

    refuse_same_file(output, path)
    if Path(output).exists() and not force:
        raise InputDataError(f"{output}: already exists; add --force to overwrite it")
    network = read_onnx(path, require_rational=not float_weights)
    save_network(network, output)
    kinds = "-".join(layer.kind for layer in network.layers)
    return f"wrote {output}: {network.n_inputs} inputs {tuple(network.input_shape)}, {kinds}, {network.n_outputs} outputs"


@click.command("import-onnx")
@click.argument("model", metavar="MODEL.onnx", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="Model JSON to write.")
@click.option(
    "--float-weights",
    is_flag=True,
    help="Keep weights that are not small rationals (then compile with --denominator D).",
)
@click.option("--force", is_flag=True, help="Overwrite --output if it exists.")
def import_onnx_command(model: str, output: str, float_weights: bool, force: bool) -> None:
    """Deprecated alias of `nn2crn import MODEL.onnx -o model.json`.

    \b
    Example:
      nn2crn import cnn.onnx -o cnn.json && nn2crn compile cnn.json -o cnn.crn
    """
    from ._output import echo_err

    echo_err("note: `nn2crn import-onnx` is deprecated; use `nn2crn import MODEL.onnx -o model.json`")
    echo_err(import_onnx(model, output, float_weights=float_weights, force=force))
