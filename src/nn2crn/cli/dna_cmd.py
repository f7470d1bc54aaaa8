"""``nn2crn dna``: compile a CRN into a DNA strand-displacement system, cost, verify, simulate."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

SCHEME_CHOICES = ("ssw2010", "qsw2011")


def _design_options(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("crn_file", metavar="NET.crn", type=click.Path(dir_okay=False)),
        click.option(
            "--scheme",
            default="ssw2010",
            show_default=True,
            help="ssw2010 (Soloveichik, Seelig & Winfree 2010) or qsw2011 (Qian, Soloveichik & Winfree 2011).",
        ),
        click.option("--toehold", type=int, default=6, show_default=True, help="Toehold length, nt."),
        click.option(
            "--long", "long_", type=int, default=15, show_default=True, help="Long-domain length, nt."
        ),
        click.option(
            "--gate-toehold",
            type=int,
            default=None,
            help="Length of the toehold a gate exposes (SSW s1; default --toehold). 4 slows reactions ~30x.",
        ),
        click.option(
            "--reorder/--no-reorder",
            default=True,
            show_default=True,
            help="Order bimolecular reactants against remote-toehold crosstalk (fact sheet pitfall 7).",
        ),
        click.option(
            "--max-fanout",
            type=int,
            default=None,
            metavar="K",
            help="Split X -> P1+...+Pn (n > K) into a tree of fan-outs of at most K products "
            "through fresh intermediates (exact; few module shapes, small gates).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _translate(
    crn_file: str,
    scheme: str,
    toehold: int,
    long_: int,
    gate_toehold: int | None,
    reorder: bool,
    max_fanout: int | None = None,
):
    from ..crn import read_crn
    from ..dna import DomainLengths, translate
    from ..dna.fanout import bound_fanout

    lengths = DomainLengths(toehold, long_, toehold if gate_toehold is None else gate_toehold)
    crn = read_crn(crn_file)
    if max_fanout is not None:
        crn = bound_fanout(crn, max_fanout)
    return translate(crn, scheme, lengths, reorder=reorder)


def _input_options(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--inputs",
            "inputs_path",
            type=click.Path(dir_okay=False),
            help="CSV of input rows (as for eval).",
        ),
        click.option(
            "--model",
            type=click.Path(dir_okay=False),
            help="Model JSON: --inputs rows or --dataset rows are raw features.",
        ),
        click.option("--dataset", help="Take input rows from this dataset (needs --model), e.g. iris."),
        click.option("--split", default="test", show_default=True, help="Dataset split for --dataset."),
        click.option(
            "--unit-nm",
            type=float,
            default=10.0,
            show_default=True,
            help="Concentration of one CRN unit, nM.",
        ),
        click.option(
            "--fuel-excess",
            type=float,
            default=10.0,
            show_default=True,
            help="Fuels at this many times the largest signal.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _rows(crn, inputs_path: str | None, model: str | None, dataset: str | None, split: str):
    """(values, network or None) from --inputs/--dataset; None values when neither is given."""
    from .._errors import InputDataError
    from ._inputs import load_crn_inputs

    if inputs_path is not None and dataset is not None:
        raise InputDataError("give either --inputs or --dataset, not both")
    if dataset is not None:
        if model is None:
            raise InputDataError("--dataset needs --model (the rows are raw features to transform)")
        from ..datasets import load_dataset
        from ..nn import load_network

        network = load_network(model)
        data = load_dataset(dataset)
        if split not in ("train", "val", "test"):
            raise InputDataError(f"--split must be train, val or test, got {split!r}")
        return network.transform(getattr(data, split).x), network
    if inputs_path is None:
        if model is not None:
            raise InputDataError("--model needs --inputs X.csv or --dataset NAME")
        return None, None
    loaded = load_crn_inputs(inputs_path, crn, model)
    return loaded.values, loaded.network


@click.group("dna")
def dna_command() -> None:
    """DNA strand-displacement implementations of a CRN (needs nn2crn[dna] for verify/simulate).

    \b
    Examples:
      nn2crn dna compile iris.crn -o iris.pil --strands iris-strands.csv
      nn2crn dna cost iris.crn --scheme qsw2011
      nn2crn dna verify iris.crn
      nn2crn dna simulate iris.crn --model iris.json --dataset iris --hours 2
    """


@dna_command.command("compile")
@_design_options
@_input_options
@click.option(
    "--row", type=int, default=0, show_default=True, help="0-based row of the inputs written as @initial."
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help=".pil output (default: stdout).")
@click.option(
    "--strands", "strands_path", type=click.Path(dir_okay=False), help="Also write the strand list CSV here."
)
@click.option(
    "--sequences",
    metavar="random|FILE",
    help="Add a sequence column: 'random' (seeded, no design) or a CSV domain,sequence.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --sequences random.")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
def compile_command(
    crn_file: str,
    scheme: str,
    toehold: int,
    long_: int,
    gate_toehold: int | None,
    reorder: bool,
    max_fanout: int | None,
    inputs_path: str | None,
    model: str | None,
    dataset: str | None,
    split: str,
    unit_nm: float,
    fuel_excess: float,
    row: int,
    output: str | None,
    strands_path: str | None,
    sequences: str | None,
    seed: int,
    quiet: bool,
) -> None:
    """Translate NET.crn into a DSD system written as .pil (peppercorn kernel notation)."""
    from .._errors import InputDataError
    from ..dna import Concentrations, format_pil, format_strands, load_concentrations, strand_rows
    from ..dna.writers import random_sequences, read_sequences
    from ._output import atomic_write, echo_err, refuse_same_file

    refuse_same_file(output, crn_file, inputs_path, model)
    refuse_same_file(strands_path, crn_file, inputs_path, model)
    system = _translate(crn_file, scheme, toehold, long_, gate_toehold, reorder, max_fanout)
    values, _ = _rows(system.crn, inputs_path, model, dataset, split)
    if values is not None and not 0 <= row < values.shape[0]:
        raise InputDataError(
            f"--row {row}: the inputs have {values.shape[0]} rows (0..{values.shape[0] - 1})"
        )
    loaded = load_concentrations(system, values, Concentrations(unit_nm, fuel_excess))
    text = format_pil(system, loaded, row if values is not None else 0)
    if output is None or output == "-":
        click.echo(text, nl=False)
    else:
        with atomic_write(output) as handle:
            handle.write(text)
    if strands_path is not None:
        chosen = None
        if sequences == "random":
            chosen = random_sequences(system, seed)
        elif sequences is not None:
            chosen = read_sequences(sequences, system)
        with atomic_write(strands_path) as handle:
            handle.write(
                format_strands(strand_rows(system, loaded, row if values is not None else 0), chosen)
            )
    elif sequences is not None:
        raise InputDataError("--sequences needs --strands FILE (sequences go in the strand list)")
    if not quiet:
        echo_err(
            f"{scheme}: {len(system.modules)} reactions -> {len(system.signals)} signal and "
            f"{len(system.fuels)} fuel complexes, {len(system.domains)} domains; fuels {loaded.fuel_nM:.4g} nM"
        )


@dna_command.command("cost")
@_design_options
def cost_command(
    crn_file: str,
    scheme: str,
    toehold: int,
    long_: int,
    gate_toehold: int | None,
    reorder: bool,
    max_fanout: int | None,
) -> None:
    """Distinct strands, complexes and nucleotides per reaction kind and layer."""
    from ..dna.cost import dna_cost

    click.echo(
        dna_cost(_translate(crn_file, scheme, toehold, long_, gate_toehold, reorder, max_fanout)).format()
    )


@dna_command.command("verify")
@_design_options
@click.option(
    "--pairs/--no-pairs", default=True, show_default=True, help="Check pairs of modules sharing a species."
)
@click.option(
    "--whole-limit",
    type=int,
    default=50,
    show_default=True,
    help="Enumerate the whole system up to this many reactions.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def verify_command(
    crn_file: str,
    scheme: str,
    toehold: int,
    long_: int,
    gate_toehold: int | None,
    reorder: bool,
    max_fanout: int | None,
    pairs: bool,
    whole_limit: int,
    quiet: bool,
) -> int:
    """Enumerate modules with peppercorn and check them with crnverifier; exit 1 on failure."""
    from ..dna.verify import verify_system
    from ._output import echo_err, show_progress

    system = _translate(crn_file, scheme, toehold, long_, gate_toehold, reorder, max_fanout)
    _warn_repeated_products(system.crn, echo_err)
    bar_state: dict[str, Any] = {}

    def progress(done: int, total: int) -> None:
        if "bar" not in bar_state:
            bar_state["bar"] = click.progressbar(length=total, label="verifying", file=sys.stderr)
            bar_state["bar"].__enter__()
        bar_state["bar"].update(1)

    report = verify_system(
        system, pairs=pairs, whole_limit=whole_limit, progress=progress if show_progress(quiet) else None
    )
    if "bar" in bar_state:
        bar_state["bar"].__exit__(None, None, None)
    click.echo(
        f"{'check':<8}{'reactions':<14}{'verdict':<24}{'complexes':>10}{'condensed':>10}{'seconds':>9}  shape"
    )
    for check in report.checks:
        where = ",".join(f"r{i + 1}" for i in check.reactions) if check.kind != "system" else "all"
        seconds = "cached" if check.cached else f"{check.seconds:.2f}"
        click.echo(
            f"{check.kind:<8}{where[:13]:<14}{check.verdict.name:<24}{check.n_complexes:>10}"
            f"{check.n_condensed:>10}{seconds:>9}  {check.shape}"
        )
        if not check.verdict.ok:
            click.echo(f"    {check.verdict.value}")
            for line in check.offending[:20]:
                click.echo(f"      {line}")
    failed = sum(1 for c in report.checks if not c.verdict.ok)
    whole = next((c for c in report.checks if c.kind == "system"), None)
    if whole is not None:
        whole_text = f"whole system {'correct' if whole.verdict.ok else 'FAILED'} ({whole.seconds:.1f} s)"
    elif whole_limit <= 0:
        whole_text = f"whole system not enumerated (--whole-limit {whole_limit})"
    else:
        whole_text = (
            f"whole system not enumerated ({len(system.modules)} reactions > --whole-limit {whole_limit})"
        )
    echo_err(
        f"{scheme}: {report.count('module')} modules, {report.count('pair')} pairs, {whole_text}; "
        f"{report.n_shapes} shapes enumerated; "
        f"{report.seconds:.1f} s; " + ("all correct" if failed == 0 else f"{failed} FAILED")
    )
    return 0 if report.ok else 1


REPEATED_COPIES_WARNING = 6
"""Extra product copies in one reaction from which `dna verify` warns that peppercorn will be slow."""


def _warn_repeated_products(crn, echo_err) -> None:
    # peppercorn's enumeration of one gate grows steeply with repeated products (identical
    # recognition domains on one translator), measured under ssw2010: X -> A + 2 B + 2 C + 2 D
    # 3.8 s, A + 3 B + 3 C 6.8 s, A + 6 B 13 s, A + 4 B + 4 C 28 s, A + 5 B + 5 C 48 s.
    worst = max(
        ((sum(c - 1 for _, c in r.products), i) for i, r in enumerate(crn.reactions)), default=(0, -1)
    )
    if worst[0] >= REPEATED_COPIES_WARNING:
        echo_err(
            f"note: reaction r{worst[1] + 1} has {worst[0]} repeated product copies; peppercorn's "
            f"enumeration of such a gate can take minutes to hours; --max-fanout 2 splits it into "
            f"small modules that verify in seconds"
        )


@dna_command.command("simulate")
@_design_options
@_input_options
@click.option("--hours", type=float, default=2.0, show_default=True, help="Simulated time, hours.")
@click.option("--points", type=int, default=13, show_default=True, help="Sample times from 0 to --hours.")
@click.option("--method", type=click.Choice(("ode", "ssa")), default="ode", show_default=True)
@click.option("--volume-fl", type=float, default=1.0, show_default=True, help="SSA volume, femtolitres.")
@click.option(
    "--leak", type=float, default=0.0, show_default=True, help="Fuel-fuel leak rate constant, /M/s."
)
@click.option("--seed", type=int, default=0, show_default=True, help="SSA seed.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="CSV of outputs over time (default: stdout)."
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
def simulate_command(
    crn_file: str,
    scheme: str,
    toehold: int,
    long_: int,
    gate_toehold: int | None,
    reorder: bool,
    max_fanout: int | None,
    inputs_path: str | None,
    model: str | None,
    dataset: str | None,
    split: str,
    unit_nm: float,
    fuel_excess: float,
    hours: float,
    points: int,
    method: str,
    volume_fl: float,
    leak: float,
    seed: int,
    output: str | None,
    quiet: bool,
) -> None:
    """DNA-level kinetics of NET.crn (condensed peppercorn network, finite fuels) for input rows.

    Outputs are dual-rail differences summed over history variants, in CRN units
    (nM / --unit-nm). With --model the network's outputs are compared at every time.
    """
    import numpy as np

    from .._errors import InputDataError
    from ..dna import Concentrations
    from ..dna.kinetics import build_kinetics
    from ..studies.dna import simulate_dna
    from ._output import echo_err, format_float, refuse_same_file, show_progress, write_csv

    refuse_same_file(output, crn_file, inputs_path, model)
    system = _translate(crn_file, scheme, toehold, long_, gate_toehold, reorder, max_fanout)
    values, network = _rows(system.crn, inputs_path, model, dataset, split)
    if values is None:
        if system.crn.inputs:
            raise InputDataError(
                "this CRN declares inputs; give --inputs X.csv or --dataset NAME --model M.json"
            )
        values = np.zeros((1, 0))
    if not hours > 0:
        raise InputDataError(f"--hours must be > 0, got {hours}")
    kinetics = build_kinetics(system, values, Concentrations(unit_nm, fuel_excess), leak=leak)
    with (
        click.progressbar(length=1000, label="simulating", file=sys.stderr)
        if show_progress(quiet)
        else _Null() as bar
    ):
        done = [0]

        def progress(fraction: float) -> None:
            step = int(fraction * 1000) - done[0]
            if step > 0 and hasattr(bar, "update"):
                bar.update(step)
                done[0] += step

        trajectory = simulate_dna(
            kinetics,
            values,
            t_end_s=hours * 3600.0,
            n_points=points,
            method=method,
            volume_fl=volume_fl,
            seed=seed,
            progress=progress,
        )
    names = system.crn.output_names
    rows_per_input = trajectory.outputs.shape[0] // values.shape[0]
    write_csv(
        output,
        ("row", "time_s", "time_min", "time_h", *names),
        (
            (
                batch // rows_per_input,
                format_float(t),
                format_float(t / 60),
                format_float(t / 3600),
                *map(format_float, trajectory.outputs[batch, k]),
            )
            for batch in range(trajectory.outputs.shape[0])
            for k, t in enumerate(trajectory.times_s)
        ),
    )
    if quiet:
        return
    echo_err(
        f"{scheme}: {kinetics.crn.n_species} species, {kinetics.crn.n_reactions} condensed reactions; "
        f"fuels {kinetics.fuel_nM:.4g} nM; leak {leak:g} /M/s; {values.shape[0]} rows, {hours:g} h"
    )
    if network is not None:
        reference = network.forward(values).argmax(axis=1)
        predicted = trajectory.outputs.argmax(axis=2)  # (n_batch, n_times)
        for k, t in enumerate(trajectory.times_s):
            agree = int((predicted[:, k] == np.repeat(reference, rows_per_input)).sum())
            echo_err(
                f"  t = {t / 60:8.1f} min ({t / 3600:5.2f} h): argmax agrees with the network on {agree}/{predicted.shape[0]}"
            )


class _Null:
    def __enter__(self) -> _Null:
        return self

    def __exit__(self, *args: object) -> None:
        return None
