"""``nn2crn export``: a CRN as SBML, a COMBINE archive, CRNSimulator or .crn text."""

from __future__ import annotations

import click

from ._options import check_positive, check_rates, check_rtol

FORMATS = ("sbml", "omex", "wls", "crn", "crn-plain")


@click.command("export")
@click.argument("crn_file", metavar="NET.crn", type=click.Path(dir_okay=False))
@click.option(
    "--to",
    "target",
    type=click.Choice(FORMATS),
    default="sbml",
    show_default=True,
    help="sbml: SBML Level 3 with mass-action kinetics; omex: COMBINE archive of SBML + SED-ML "
    "running every --inputs row (tellurium, any SED-ML tool); wls: CRNSimulator file for Mathematica; "
    "crn: nn2crn's .crn text; crn-plain: reactions and @initial lines only (crnverifier/Nuskell).",
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
@click.option(
    "--t-end",
    type=float,
    default=200.0,
    show_default=True,
    callback=check_positive,
    help="omex: end of the SED-ML time course.",
)
@click.option(
    "--points", type=click.IntRange(min=2), default=101, show_default=True, help="omex: output time points."
)
@click.option(
    "--method",
    type=click.Choice(["ode", "ssa"]),
    default="ode",
    show_default=True,
    help="omex: CVODE (KISAO:0000019) or Gillespie's direct method (KISAO:0000029).",
)
@click.option(
    "--rtol",
    type=float,
    default=1e-6,
    show_default=True,
    callback=check_rtol,
    help="omex: ODE relative tolerance.",
)
@click.option(
    "--atol",
    type=float,
    default=1e-9,
    show_default=True,
    callback=check_positive,
    help="omex: ODE absolute tolerance.",
)
@click.option(
    "--seed", type=click.IntRange(min=0), help="omex --method ssa: random seed for the SED-ML tool."
)
@click.option(
    "--function", "function", default="crn", show_default=True, help="wls: name of the Mathematica function."
)
@click.option(
    "--validate",
    is_flag=True,
    help="sbml, omex: run libSBML's full consistency check (units included) on the SBML before writing; "
    "fails with its first error. Off by default: it is most of the export time of a big network.",
)
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
    t_end: float,
    points: int,
    method: str,
    rtol: float,
    atol: float,
    seed: int | None,
    function: str,
    validate: bool,
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

    omex writes a COMBINE archive (-o needed): SBML L3V2 and a SED-ML L1V4
    repeated task that runs every row of --inputs (or only --inputs-row)
    to --t-end and reports the outputs as dual-rail differences.

    wls writes a CRNSimulator file defining FUNCTION[xSposInitial_, ...] := {...}
    (with --inputs, the row is loaded and the function takes no arguments).

    \b
    Examples:
      nn2crn export iris.crn --to sbml -o iris.xml
      nn2crn export iris.crn --to omex --inputs x.csv --t-end 100 -o run.omex
      nn2crn export iris.crn --to wls --function iris -o iris.wls
      nn2crn export iris.crn --to sbml --inputs x.csv --inputs-row 3 -o iris-row3.xml
      nn2crn export iris.crn --to crn-plain --inputs x.csv -o iris-row0.crn
    """
    from .._errors import InputDataError
    from ..crn import CRN, format_crn, read_crn
    from ._inputs import load_crn_inputs, require_species
    from ._output import atomic_write, echo_err, refuse_same_file

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
    values = table = None
    if inputs_path is not None:
        input_rows = load_crn_inputs(inputs_path, crn, model)
        table = input_rows.values
        if input_rows.labels is not None:
            echo_err(f"warning: column 'label' of {inputs_path} is ignored by export")
        if row is not None and row >= table.shape[0]:
            raise InputDataError(
                f"--inputs-row {row}: {inputs_path} has {table.shape[0]} data rows (0..{table.shape[0] - 1})"
            )
        if row is not None:
            table = table[row : row + 1]
        row = 0 if row is None else row
        values = table[0]

    if target == "omex":
        from ..crn.omex import write_omex

        if output is None or output == "-":
            raise click.BadParameter("a COMBINE archive is binary; give -o run.omex", param_hint="--output")
        if crn.inputs and table is None:
            raise click.BadParameter(
                f"the CRN declares inputs ({', '.join(crn.input_names[:5])}); give their rows with --inputs X.csv",
                param_hint="--inputs",
            )
        write_omex(
            crn,
            output,
            table if crn.inputs else None,
            t_end=t_end,
            n_points=points,
            method=method,
            rtol=rtol,
            atol=atol,
            seed=seed,
            model_id=model_id,
            source_name=crn_file,
            check=validate,
        )
        if not quiet:
            n_rows = 1 if table is None or not crn.inputs else table.shape[0]
            echo_err(
                f"wrote {output}: COMBINE archive, {crn.n_species} species, {crn.n_reactions} reactions, "
                f"{n_rows} input rows, {method} to t = {t_end!r}"
            )
        return
    if target == "sbml":
        from ..crn.sbml import to_sbml

        text = to_sbml(crn, values, model_id=model_id, check=validate)
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
        if target == "wls":
            from ..crn.wls import format_wls

            text = format_wls(crn, function, header=header)
        else:
            text = format_crn(crn, plain=target == "crn-plain", header=header)

    if output is None or output == "-":
        click.echo(text, nl=not text.endswith("\n"))
    else:
        with atomic_write(output) as handle:
            handle.write(text)
        if not quiet:
            echo_err(f"wrote {output}: {target}, {crn.n_species} species, {crn.n_reactions} reactions")
