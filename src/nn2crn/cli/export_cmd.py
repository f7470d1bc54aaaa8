"""``nn2crn export``: a CRN as SBML, or as .crn text with an input row loaded."""

from __future__ import annotations

import click

from .simulate_cmd import check_rates

FORMATS = ("sbml", "crn", "crn-plain")


@click.command("export")
@click.argument("crn_file", metavar="NET.crn", type=click.Path(dir_okay=False))
@click.option(
    "--to",
    "target",
    type=click.Choice(FORMATS),
    default="sbml",
    show_default=True,
    help="sbml: SBML Level 3 with mass-action kinetics; crn: nn2crn's .crn text; "
    "crn-plain: reactions and @initial lines only (crnverifier/Nuskell).",
)
@click.option(
    "--inputs",
    "inputs_path",
    type=click.Path(dir_okay=False),
    help="CSV of input rows (as for eval); the row chosen by --inputs-row is loaded "
    "into the initial amounts.",
)
@click.option(
    "--inputs-row", "row", type=int, default=None, help="0-based data row of --inputs to load (default 0)."
)
@click.option(
    "--model",
    type=click.Path(dir_okay=False),
    help="Model JSON: --inputs rows are raw features, passed through its input_transform.",
)
@click.option(
    "--rates",
    "rates_spec",
    metavar="SPEC",
    callback=check_rates,
    help="Change rate constants first: random:SEED:LOW:HIGH, scale-relu:FACTOR, constant:K "
    "(as for simulate).",
)
@click.option("--model-id", default="nn2crn_model", show_default=True, help="SBML model id.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Output file (default: stdout).")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
def export_command(
    crn_file: str,
    target: str,
    inputs_path: str | None,
    row: int | None,
    model: str | None,
    rates_spec: str | None,
    model_id: str,
    output: str | None,
    quiet: bool,
) -> None:
    """Export NET.crn to another format.

    With --inputs, one row of input values is loaded into the initial amounts. For
    SBML the declared inputs and outputs are listed in the model's notes. For the
    .crn formats the loaded row becomes @initial amounts and the input
    declarations are dropped (the inputs are already in), so the file simulates
    that one input on its own. Without --inputs only the fixed @initial amounts
    are set (every input 0) and .crn keeps its input declarations.

    \b
    Examples:
      nn2crn export iris.crn --to sbml -o iris.xml
      nn2crn export iris.crn --to sbml --inputs x.csv --inputs-row 3 -o iris-row3.xml
      nn2crn export iris.crn --to crn-plain --inputs x.csv -o iris-row0.crn
    """
    from .._errors import InputDataError
    from ..crn import CRN, format_crn, read_crn
    from ._common import atomic_write, echo_err, load_crn_inputs, refuse_same_file, require_species

    if inputs_path is None and (row is not None or model is not None):
        raise click.BadParameter("--inputs-row and --model need --inputs X.csv", param_hint="--inputs")
    if row is not None and row < 0:
        raise click.BadParameter(f"rows are 0-based and >= 0, got {row}", param_hint="--inputs-row")
    refuse_same_file(output, crn_file, inputs_path, model)
    crn = read_crn(crn_file)
    require_species(crn, crn_file)
    if rates_spec is not None:
        from ..simulate.rates import apply_rates

        crn = apply_rates(crn, rates_spec)
    values = None
    if inputs_path is not None:
        loaded = load_crn_inputs(inputs_path, crn, model)
        table = loaded.values
        if loaded.labels is not None:
            echo_err(f"warning: column 'label' of {inputs_path} is ignored by export")
        row = 0 if row is None else row
        if row >= table.shape[0]:
            raise InputDataError(
                f"--inputs-row {row}: {inputs_path} has {table.shape[0]} data rows (0..{table.shape[0] - 1})"
            )
        values = table[row]

    if target == "sbml":
        from ..crn.sbml import to_sbml

        text = to_sbml(crn, values, model_id=model_id)
    else:
        header = f"exported from {crn_file}" + (f" with rates {rates_spec}" if rates_spec else "")
        if values is not None:
            names = crn.input_names
            loaded = crn.initial_state(values[None, :])[0]
            crn = CRN(
                crn.reactions,
                dict(zip(crn.species, loaded.tolist(), strict=True)),
                (),
                crn.outputs,
                crn.species,
            )
            header += f" with input row {row} of {inputs_path} loaded: " + ", ".join(
                f"{name} = {value!r}" for name, value in zip(names, values.tolist(), strict=True)
            )
        text = format_crn(crn, plain=target == "crn-plain", header=header)

    if output is None or output == "-":
        click.echo(text, nl=not text.endswith("\n"))
    else:
        with atomic_write(output) as handle:
            handle.write(text)
        if not quiet:
            echo_err(f"wrote {output}: {target}, {crn.n_species} species, {crn.n_reactions} reactions")
