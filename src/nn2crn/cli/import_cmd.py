"""``nn2crn import``: a model in another format (SBML, CRNSimulator) as a .crn file.

The format is chosen by the file suffix through :data:`READERS`; adding a format
means adding one entry there.
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


# suffix (lower case) -> (reader, format name shown in messages).
READERS: dict[str, tuple[Callable[[str, ImportOptions], CRN], str]] = {
    ".xml": (_read_sbml, "SBML"),
    ".sbml": (_read_sbml, "SBML"),
    ".wls": (_read_wls, "CRNSimulator (Mathematica)"),
    ".m": (_read_wls, "CRNSimulator (Mathematica)"),
}


@click.command("import")
@click.argument("model_file", metavar="MODEL", type=click.Path(dir_okay=False))
@click.option(
    "--function",
    "function",
    metavar="NAME",
    help="CRNSimulator files: the function to read (needed when the file defines several).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Output .crn file (default: stdout).")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
def import_command(model_file: str, function: str | None, output: str | None, quiet: bool) -> None:
    """Read MODEL (SBML .xml/.sbml, CRNSimulator .wls/.m) and write it as a .crn file.

    SBML: mass-action reactions with constant rate parameters in one
    compartment; anything else is refused naming the SBML element, id and line.
    A model nn2crn exported keeps its declared inputs and outputs.

    CRNSimulator: NAME[xSposInitial_, ...] := {rxn[...], conc[...], ...}. The
    pattern arguments become inputs, and the ...Spos/...Sneg pairs that are
    produced but never consumed become outputs.

    \b
    Examples:
      nn2crn import model.xml -o net.crn
      nn2crn import iris.wls --function iris -o iris.crn
    """
    from .._errors import CRNFormatError
    from ..crn import format_crn
    from ._output import atomic_write, echo_err, refuse_same_file

    suffix = os.path.splitext(model_file)[1].lower()
    if suffix not in READERS:
        known = ", ".join(f"{s} ({name})" for s, (_, name) in READERS.items())
        raise CRNFormatError(
            f"unknown model file suffix {suffix or '(none)'!r}; nn2crn imports {known}", source=model_file
        )
    refuse_same_file(output, model_file)
    reader, format_name = READERS[suffix]
    crn = reader(model_file, ImportOptions(function=function))
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
