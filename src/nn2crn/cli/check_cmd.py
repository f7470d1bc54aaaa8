"""``nn2crn check``: structural checks of a .crn file."""

from __future__ import annotations

import json

import click


@click.command("check")
@click.argument("crn_file", metavar="NET.crn", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check_command(crn_file: str, as_json: bool) -> int:
    """Check that NET.crn is feed-forward and non-competitive and that outputs are only produced.

    Exit 0 if every check passes, 1 if one fails (the offending species and
    reactions are listed), 2 for an unreadable file.
    """
    from ..crn import check_crn, read_crn
    from ._inputs import require_species

    crn = read_crn(crn_file)
    require_species(crn, crn_file)
    report = check_crn(crn)
    problems = report.problems(crn)
    if as_json:
        data = {
            "file": crn_file,
            "ok": report.ok,
            "feed_forward": report.feed_forward,
            "non_competitive": report.non_competitive,
            "outputs_only_produced": report.outputs_only_produced,
            "n_species": report.n_species,
            "n_reactions": report.n_reactions,
            "n_unimolecular": report.n_unimolecular,
            "n_bimolecular": report.n_bimolecular,
            "n_other": report.n_other,
            "n_inputs": crn.n_inputs,
            "n_outputs": crn.n_outputs,
            "max_fan_out": report.max_fan_out,
            "product_terms": report.product_terms,
            "max_coefficient": report.max_coefficient,
            "problems": problems,
        }
        click.echo(json.dumps(data, indent=1))
        return 0 if report.ok else 1

    def verdict(flag: bool) -> str:
        return "yes" if flag else "NO"

    lines = [
        f"{crn_file}: {report.n_species} species, {report.n_reactions} reactions "
        f"({report.n_unimolecular} unimolecular, {report.n_bimolecular} bimolecular, {report.n_other} other)",
        f"  inputs {crn.n_inputs}, outputs {crn.n_outputs}, max fan-out {report.max_fan_out}, "
        f"product terms {report.product_terms}, largest coefficient {report.max_coefficient}",
        f"  feed-forward           {verdict(report.feed_forward)}",
        f"  non-competitive        {verdict(report.non_competitive)}",
        f"  outputs only produced  {verdict(report.outputs_only_produced)}",
    ]
    lines.extend(f"  problem: {problem}" for problem in problems)
    if report.ok:
        lines.append("OK: feed-forward and non-competitive, so the stable outputs do not depend on rates")
    else:
        lines.append("FAILED: the stable state may depend on rates; exact evaluation is not available")
    click.echo("\n".join(lines))
    return 0 if report.ok else 1
