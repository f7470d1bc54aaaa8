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
@click.option(
    "--denominator",
    type=click.IntRange(1, 1024),
    default=None,
    help="Quantize float weights to the nearest k/D first, and report the accuracy this loses "
    "(on the test split of the dataset in the model's training record).",
)
@click.option(
    "--quantized-model",
    type=click.Path(dir_okay=False),
    default=None,
    help="With --denominator: also write the quantized model JSON here (to verify against).",
)
@click.option(
    "--max-range",
    type=click.FloatRange(min=1),
    default=1e6,
    show_default=True,
    help="Refuse scaled biases, coefficients or output scales larger than this.",
)
def compile_command(
    model: str,
    output: str | None,
    reduce_: bool,
    keep_inputs: bool,
    shift_inputs: str | None,
    plain: bool,
    denominator: int | None,
    quantized_model: str | None,
    max_range: float,
) -> None:
    """Compile MODEL (a network JSON with integer or rational weights) into a CRN.

    Rational weights are scaled to integers layer by layer; the outputs'
    [scale = C] records the product, so eval and verify report true values.

    \b
    Example:
      nn2crn compile iris.json -o iris.crn
      nn2crn compile iris.json --reduce -o iris-reduced.crn
      nn2crn compile float.json --denominator 4 --quantized-model q.json -o q.crn
    """
    from ..compile import compile_network
    from ..crn import format_crn
    from ..nn import load_network
    from ._options import parse_floats
    from ._output import atomic_write, echo_err, refuse_same_file

    refuse_same_file(output, model)
    refuse_same_file(quantized_model, model)
    network = load_network(model)
    if quantized_model is not None and denominator is None:
        raise click.UsageError("--quantized-model needs --denominator")
    if denominator is not None:
        network = _quantize(network, denominator, quantized_model)
    shift = parse_floats(shift_inputs, "--shift-inputs") if shift_inputs is not None else None
    crn = compile_network(network, shift_inputs=shift, max_range=max_range)
    compiled_size = (crn.n_species, crn.n_reactions)
    if reduce_:
        from ..compile import reduce_crn

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
    message = f"{crn.n_species} species, {crn.n_reactions} reactions"
    if reduce_:
        # The sizes check_crn would report, read off the product terms (no graph walk).
        products = crn.product_terms
        message += (
            f" (compiled form: {compiled_size[0]} species, {compiled_size[1]} reactions; "
            f"{products.nnz} product terms, largest coefficient {int(products.data.max(initial=0))})"
        )
    echo_err(f"wrote {output or 'stdout'}: {message}")


def _quantize(network, denominator: int, quantized_model: str | None):
    from ..compile import accuracy_loss, quantize_network
    from ..nn import save_network
    from ._output import echo_err

    result = quantize_network(network, denominator)
    echo_err(
        f"quantized to k/{denominator}: {result.n_changed} of {result.n_weights} weights changed, "
        f"largest change {result.max_weight_error:.3g}"
    )
    dataset = network.training.get("dataset")
    if isinstance(dataset, dict) and isinstance(dataset.get("name"), str):
        from ..datasets import load_dataset

        options = dict(dataset.get("options") or {})
        data = load_dataset(dataset["name"], **options)
        loss = accuracy_loss(network, result.network, data.test.x, data.test.y)
        echo_err(
            f"accuracy on the {loss.n_examples} test examples of {dataset['name']}: "
            f"{loss.accuracy_before:.2%} -> {loss.accuracy_after:.2%} (lost {loss.lost:.2%}), "
            f"largest output change {loss.max_output_change:.3g}"
        )
    else:
        echo_err("accuracy loss not measured: the model's training record names no dataset")
    if quantized_model is not None:
        save_network(result.network, quantized_model)
        echo_err(f"wrote {quantized_model}")
    return result.network
