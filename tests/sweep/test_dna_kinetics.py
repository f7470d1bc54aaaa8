"""The dna-kinetics study on a tiny CRN: a real DSD translation (peppercorn) and DNA-level ODE runs."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn.sweep import SweepSpecError, load_spec, read_results, run_sweep

pytest.importorskip("peppercornenumerator")
pytest.importorskip("pyarrow")

# Two outputs a = x and b = -x: the network's answer is a for x > 0 and b for x < 0.
MIRROR = "input x = Xp - Xn\noutput a = Ap - An\noutput b = Bp - Bn\nXp -> Ap + Bn\nXn -> An + Bp\n"
ROWS = "x,label\n1,a\n-1,b\n2,a\n-2,b\n"
SPEC = """
[sweep]
study = "dna-kinetics"
seed = 0
chunk = 2

[model]
crn = "mirror.crn"

[inputs]
dataset = "rows.csv"
options = { label = "label", split = "all" }

[grid]
fuel_excess = [0.5, 10]
leak = [0, 1e6]

[fixed]
hours = 2
n_points = 9
"""


def write_spec(folder, text=SPEC):
    (folder / "mirror.crn").write_text(MIRROR, encoding="utf-8")
    (folder / "rows.csv").write_text(ROWS, encoding="utf-8")
    path = folder / "dna.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dna")
    outcome = run_sweep(load_spec(write_spec(folder)), folder / "results", in_process=True)
    return outcome, read_results(folder / "results"), folder


def test_ample_fuel_without_leak_gives_the_network_answers(results):
    outcome, table, _ = results
    assert outcome.n_tasks == 8  # 2 fuels x 2 leaks x 2 chunks of 2 rows
    rows = table.to_pylist()
    assert len(rows) == 16
    clean = [r for r in rows if r["fuel_excess"] == 10 and r["leak"] == 0]
    assert [r["row"] for r in clean] == [0, 1, 2, 3]
    assert all(r["agrees"] and r["correct"] for r in clean)
    assert [r["answer"] for r in clean] == [0, 1, 0, 1]
    assert all(0 < r["decision_h"] <= 2 for r in clean)
    assert max(r["max_error"] for r in clean) < 0.05
    assert {r["toehold"] for r in rows} == {6} and {r["scheme"] for r in rows} == {"ssw2010"}


def test_starved_or_leaky_fuel_shows_in_the_errors(results):
    _, table, _ = results
    rows = table.to_pylist()
    error = {
        (f, leak): max(r["max_error"] for r in rows if (r["fuel_excess"], r["leak"]) == (f, leak))
        for f in (0.5, 10)
        for leak in (0, 1e6)
    }
    # Half the fuel a row needs cannot produce its outputs; a fast leak drives the idle rails.
    assert error[(0.5, 0.0)] > 0.3 > error[(10.0, 0.0)]
    assert error[(10.0, 1e6)] > error[(10.0, 0.0)]
    decision = np.array([r["decision_h"] for r in rows])
    assert np.all((decision > 0) | np.isinf(decision))


def test_summary_and_report_figure(results, tmp_path):
    pytest.importorskip("matplotlib")
    from nn2crn.report.html import write_report
    from nn2crn.report.sweep_report import build_sweep_report

    outcome, _, folder = results
    assert outcome.summary.header[:7] == (
        "fuel_excess",
        "leak",
        "toehold",
        "scheme",
        "unit_nM",
        "hours",
        "n_points",
    )
    assert "agreement_half" in outcome.summary.header and "decision_h_median" in outcome.summary.header
    report = build_sweep_report(folder / "results", tmp_path, command="test")
    _, markdown = write_report(report, tmp_path)
    assert "](dna-agreement.png)" in markdown.read_text()
    assert (tmp_path / "dna-agreement.png").stat().st_size > 1000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("leak = [0, 1e6]", "leak = [0, -1]"),
            r"grid\.leak\[1\]: leak must be a finite number >= 0, got -1",
        ),
        (
            ("hours = 2", "hours = 2\ntoehold = 40"),
            r"fixed\.toehold: toehold = 40 nt breaks the release rule",
        ),
        (
            ("hours = 2", 'hours = 2\ntoehold = "6"'),
            r"fixed\.toehold: toehold must be a toehold length in nt",
        ),
        (
            ("hours = 2", 'hours = 2\nscheme = "ssw"'),
            r"fixed\.scheme: scheme must be one of ssw2010, qsw2011",
        ),
        (("fuel_excess = [0.5, 10]", "fuel_excess = [0]"), r"grid\.fuel_excess\[0\]: fuel_excess must be"),
    ],
)
def test_bad_dna_parameters_name_the_key_path(tmp_path, change, message):
    old, new = change
    assert old in SPEC
    with pytest.raises(SweepSpecError, match=message):
        load_spec(write_spec(tmp_path, SPEC.replace(old, new, 1)))
