"""``nn2crn export-onnx``: model JSON -> ONNX."""

from __future__ import annotations

import click


@click.command("export-onnx")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="ONNX file to write.")
@click.option("--force", is_flag=True, help="Overwrite --output if it exists.")
def export_onnx_command(model: str, output: str, force: bool) -> None:
    """Write MODEL (a network JSON) as an ONNX model (float32, input of shape (batch, n_inputs)).

    \b
    Example:
      nn2crn export-onnx mnist-cnn.json -o mnist-cnn.onnx
    """
    from pathlib import Path

    from .._errors import InputDataError
    from ..nn import load_network
    from ..nn.onnx_io import write_onnx
    from ._output import echo_err, refuse_same_file

    refuse_same_file(output, model)
    if Path(output).exists() and not force:
        raise InputDataError(f"{output}: already exists; add --force to overwrite it")
    network = load_network(model)
    write_onnx(network, output)
    echo_err(
        f"wrote {output}: {len(network.layers)} layers, {network.n_inputs} inputs, {network.n_outputs} outputs"
    )
