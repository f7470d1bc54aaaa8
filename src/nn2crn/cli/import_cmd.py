"""``nn2crn import``: a model in another format (SBML, CRNSimulator) as a .crn file, ONNX as model JSON.

The format is chosen by the file suffix through :data:`READERS` (formats read as a
CRN) and :data:`NETWORK_READERS` (formats read as a network, written as model
JSON); adding a format means adding one entry there.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..crn import CRN


@dataclass(frozen=True)
class ImportOptions:
    """Options of ``nn2crn import`` that some readers use.

    Attributes
    ----------
    function : str or None
        ``--function``: which function of a CRNSimulator file to read.
    """

    function: str | None = None
    float_weights: bool = False
    force: bool = False


def _refuse_function(path: str, options: ImportOptions) -> None:
    if options.function is not None:
        raise click.BadParameter(
            f"--function picks a function of a CRNSimulator .wls/.m file; {path} is not one",
            param_hint="--function",
        )


def _read_sbml(path: str, options: ImportOptions) -> CRN:
    from ..crn.sbml_read import read_sbml

    _refuse_function(path, options)
    return read_sbml(path)


def _read_wls(path: str, options: ImportOptions) -> CRN:
    from ..crn.wls import read_wls

    return read_wls(path, function=options.function)


def _import_onnx(path: str, output: str | None, options: ImportOptions) -> str:
    from .import_onnx import import_onnx

    _refuse_function(path, options)
    if output is None or output == "-":
        raise click.BadParameter(
            f"{path} is read as a network and written as model JSON; give the file with -o model.json",
            param_hint="-o",
        )
    return import_onnx(path, output, float_weights=options.float_weights, force=options.force)


# suffix (lower case) -> (reader, format name shown in messages).
READERS: dict[str, tuple[Callable[[str, ImportOptions], CRN], str]] = {
    ".xml": (_read_sbml, "SBML"),
    ".sbml": (_read_sbml, "SBML"),
    ".wls": (_read_wls, "CRNSimulator (Mathematica)"),
    ".m": (_read_wls, "CRNSimulator (Mathematica)"),
}

# suffix -> (writer of model JSON returning a summary line, format name): networks, not CRNs.
NETWORK_READERS: dict[str, tuple[Callable[[str, str | None, ImportOptions], str], str]] = {
    ".onnx": (_import_onnx, "ONNX"),
}


@click.command("import")
@click.argument("model_file", metavar="MODEL", type=click.Path(dir_okay=False))
@click.option(
    "--function",
    "function",
    metavar="NAME",
    help="CRNSimulator files: the function to read (needed when the file defines several).",
)
@click.option(
    "--float-weights",
    is_flag=True,
    help="ONNX: keep weights that are not small rationals (then compile with --denominator D).",
)
@click.option("--force", is_flag=True, help="ONNX: overwrite the model JSON -o if it exists.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Output .crn file (default: stdout); for ONNX the model JSON to write (required).",
)
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
def import_command(
    model_file: str, function: str | None, float_weights: bool, force: bool, output: str | None, quiet: bool
) -> None:
    """Read MODEL (SBML .xml/.sbml, CRNSimulator .wls/.m) as a .crn file, or ONNX (.onnx) as model JSON.

    SBML: mass-action reactions with constant rate parameters in one
    compartment; anything else is refused naming the SBML element, id and line.
    A model nn2crn exported keeps its declared inputs and outputs.

    CRNSimulator: NAME[xSposInitial_, ...] := {rxn[...], conc[...], ...}. The
    pattern arguments become inputs, and the ...Spos/...Sneg pairs that are
    produced but never consumed become outputs.

    ONNX (needs nn2crn[onnx]): Gemm/MatMul, Conv, pooling, piecewise-linear
    activations, BatchNorm folded; written as model JSON for `nn2crn compile`.

    \b
    Examples:
      nn2crn import model.xml -o net.crn
      nn2crn import iris.wls --function iris -o iris.crn
      nn2crn import cnn.onnx -o cnn.json && nn2crn compile cnn.json -o cnn.crn
    """
    from .._errors import CRNFormatError
    from ..crn import format_crn
    from ._output import atomic_write, echo_err, refuse_same_file

    suffix = os.path.splitext(model_file)[1].lower()
    options = ImportOptions(function=function, float_weights=float_weights, force=force)
    if suffix in NETWORK_READERS:
        network_reader, _ = NETWORK_READERS[suffix]
        summary = network_reader(model_file, output, options)
        if not quiet:
            echo_err(summary)
        return
    if suffix not in READERS:
        known = ", ".join(f"{s} ({name})" for s, (_, name) in [*READERS.items(), *NETWORK_READERS.items()])
        raise CRNFormatError(
            f"unknown model file suffix {suffix or '(none)'!r}; nn2crn imports {known}", source=model_file
        )
    if float_weights or force:
        raise click.BadParameter(
            f"--float-weights and --force apply to ONNX models; {model_file} is not one",
            param_hint="--float-weights/--force",
        )
    refuse_same_file(output, model_file)
    reader, format_name = READERS[suffix]
    crn = reader(model_file, options)
    text = format_crn(crn, header=f"imported from {format_name} file {model_file}")
    if output is None or output == "-":
        click.echo(text, nl=False)
    else:
        with atomic_write(output) as handle:
            handle.write(text)
    if not quiet:
        echo_err(
            f"imported {model_file} ({format_name}): {crn.n_species} species, {crn.n_reactions} reactions, "
            f"inputs {', '.join(crn.input_names) or 'none'}, outputs {', '.join(crn.output_names) or 'none'}"
        )
