"""``nn2crn eval``: exact stable outputs of a CRN."""

from __future__ import annotations

import click

from ._options import rtol_option


@click.command("eval")
@click.argument("crn_file", metavar="NET.crn", type=click.Path(dir_okay=False))
@click.option(
    "--inputs",
    "inputs_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="CSV whose header names the CRN's declared inputs (optional 'label' column).",
)
@click.option(
    "--model",
    type=click.Path(dir_okay=False),
    help="Model JSON: rows are raw features, passed through its input_transform first.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Output CSV (default: stdout).")
@rtol_option("the outputs")
def eval_command(crn_file: str, inputs_path: str, model: str | None, output: str | None, rtol: float) -> None:
    """Exact stable outputs of NET.crn for each row of --inputs, without an ODE.

    NET.crn must be feed-forward and non-competitive; its reactions are fired to
    completion in topological order. The output CSV has one column per declared
    output (plus 'predicted' with --model).
    """
    import gc

    # A bounded command that makes no reference cycles worth collecting: the collector's
    # passes over what numpy and the readers import cost about 6 ms of a 0.3 s run.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _evaluate(crn_file, inputs_path, model, output, rtol)
    finally:
        if collecting:
            gc.enable()


def _evaluate(crn_file: str, inputs_path: str, model: str | None, output: str | None, rtol: float) -> None:
    import os
    import sys

    if "numpy" not in sys.modules:
        # The evaluator multiplies on its own worker threads with single-threaded BLAS
        # (simulate.exact._run_on_workers). An OpenBLAS pool started by numpy's import
        # would only spin for its timeout beside them: about 0.1 s of CPU per run.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import numpy as np

    from ..crn import read_crn
    from ..simulate import stable_outputs
    from ._inputs import load_crn_inputs
    from ._output import echo_err, float_rows_text, refuse_same_file, write_csv, write_csv_text

    refuse_same_file(output, crn_file, inputs_path, model)
    crn = read_crn(crn_file)
    rows = load_crn_inputs(inputs_path, crn, model)
    outputs = stable_outputs(crn, rows.values, rtol=rtol)
    header = list(crn.output_names)
    predicted = None
    if rows.network is not None:
        names = rows.network.output_names
        predicted = [names[i] for i in np.argmax(outputs, axis=1)]
        header.append("predicted")
    if predicted is None:
        write_csv_text(output, header, float_rows_text(outputs))
    else:
        table = outputs.tolist()
        for row, name in zip(table, predicted, strict=True):
            row.append(name)
        write_csv(output, header, iter(table))
    if rows.labels is not None and predicted is None:
        echo_err(
            f"warning: column 'label' of {inputs_path} is ignored: scoring needs the class names, "
            f"give --model MODEL.json"
        )
    if rows.labels is not None and predicted is not None:
        accuracy = np.mean([p == t for p, t in zip(predicted, rows.labels, strict=True)])
        echo_err(f"{len(outputs)} rows; accuracy against the 'label' column: {accuracy:.4f}")
    elif output:
        echo_err(f"wrote {output}: {len(outputs)} rows x {crn.n_outputs} outputs")
