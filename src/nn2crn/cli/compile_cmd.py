"""``nn2crn compile``: model JSON -> .crn file."""

from __future__ import annotations

import click


@click.command("compile")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write the .crn here (default: stdout)."
)
@click.option("--reduce", "reduce_", is_flag=True, help="Eliminate unimolecular reactions (Algorithm 2).")
@click.option(
    "--keep-inputs/--no-keep-inputs",
    default=True,
    show_default=True,
    help="With --reduce: keep the input layer's reactions so inputs stay single species.",
)
@click.option(
    "--shift-inputs",
    metavar="LOW",
    help="Known lower bound(s) of the inputs (one number, or one per input, comma separated): "
    "inputs become single-rail x - LOW and the shift is folded into the first bias.",
)
@click.option("--plain", is_flag=True, help="Omit input/output lines (crnverifier/Nuskell-compatible).")
def compile_command(
    model: str, output: str | None, reduce_: bool, keep_inputs: bool, shift_inputs: str | None, plain: bool
) -> None:
    """Compile MODEL (a network JSON with weights in {-1, 0, +1}) into a CRN.

    \b
    Example:
      nn2crn compile iris.json -o iris.crn
      nn2crn compile iris.json --reduce -o iris-reduced.crn
    """
    from ..compile import compile_network, reduce_crn
    from ..crn import check_crn, format_crn
    from ..nn import load_network
    from ._options import parse_floats
    from ._output import atomic_write, echo_err, refuse_same_file

    refuse_same_file(output, model)
    network = load_network(model)
    shift = parse_floats(shift_inputs, "--shift-inputs") if shift_inputs is not None else None
    crn = compile_network(network, shift_inputs=shift)
    compiled_size = (crn.n_species, crn.n_reactions)
    if reduce_:
        crn = reduce_crn(crn, keep_inputs=keep_inputs)
    header = f"compiled from {model}: network {'-'.join(map(str, network.widths))}"
    if reduce_:
        header += f", reduced ({'inputs kept' if keep_inputs else 'inputs eliminated'})"
    if shift is not None:
        header += f"\ninputs are shifted: feed x - low with low = {shift_inputs}"
    text = format_crn(crn, plain=plain, header=header)
    if output is None or output == "-":
        click.echo(text, nl=False)
    else:
        with atomic_write(output) as handle:
            handle.write(text)
    report = check_crn(crn)
    message = f"{crn.n_species} species, {crn.n_reactions} reactions"
    if reduce_:
        message += (
            f" (compiled form: {compiled_size[0]} species, {compiled_size[1]} reactions; "
            f"{report.product_terms} product terms, largest coefficient {report.max_coefficient})"
        )
    echo_err(f"wrote {output or 'stdout'}: {message}")
