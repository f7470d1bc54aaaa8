"""``nn2crn dna compile|cost|verify|simulate`` end to end on a small dual-rail CRN."""

from __future__ import annotations

import csv
import re

import pytest

pytest.importorskip("peppercornenumerator")

RELU = "input z = Zp - Zn\noutput y = Yp - Yn\n\nZp -> M + Yp\nM + Zn -> Yn\n"


@pytest.fixture
def relu_file(tmp_path):
    path = tmp_path / "relu.crn"
    path.write_text(RELU)
    return path


def test_compile_writes_pil_and_strands(run_cli, relu_file, tmp_path):
    inputs = tmp_path / "x.csv"
    inputs.write_text("z\n1.5\n-0.5\n")
    pil, strands = tmp_path / "relu.pil", tmp_path / "strands.csv"
    code, out, err = run_cli(
        "dna",
        "compile",
        relu_file,
        "--inputs",
        inputs,
        "--row",
        "1",
        "-o",
        pil,
        "--strands",
        strands,
        "--sequences",
        "random",
        "--seed",
        "4",
    )
    assert code == 0, err
    text = pil.read_text()
    assert "Zn = h_Zn a_Zn b_Zn c_Zn @initial 5 nM" in text  # row 1: z = -0.5 -> Zn = 0.5 units
    assert "@constant 150 nM" in text  # 10 x the largest signal over the rows (Zp = 15 nM in row 0)
    rows = list(csv.DictReader(strands.read_text().splitlines()))
    assert list(rows[0]) == [
        "name",
        "role",
        "species",
        "domains",
        "length_nt",
        "concentration_nM",
        "sequence",
    ]
    assert {r["role"] for r in rows} == {"signal", "fuel"}
    assert all(len(r["sequence"]) == int(r["length_nt"]) for r in rows)
    assert "5 fuel complexes" in err


def test_cost_prints_the_table(run_cli, relu_file):
    code, out, _ = run_cli("dna", "cost", relu_file, "--scheme", "qsw2011")
    assert code == 0
    assert "kind: bimolecular" in out and out.splitlines()[0] == "scheme qsw2011"


def test_verify_passes_and_fails_with_exit_codes(run_cli, tmp_path, relu_file):
    code, out, err = run_cli("dna", "verify", relu_file, "-q")
    assert code == 0, out
    assert "all correct" in err and "pair" in out
    # Two reactions <= --whole-limit 50: the whole system is enumerated and its verdict shown.
    assert re.search(r"^system\s+all\s+CORRECT", out, re.M) and "whole system correct" in err
    code, out, err = run_cli("dna", "verify", relu_file, "-q", "--whole-limit", "1")
    assert code == 0 and "whole system not enumerated (2 reactions > --whole-limit 1)" in err
    fanout = tmp_path / "fanout.crn"
    fanout.write_text("X -> Y\nX + Y -> Z\n")
    code, out, err = run_cli("dna", "verify", fanout, "--no-reorder", "--whole-limit", "0", "-q")
    assert code == 1
    assert "WRONG" in out and "FAILED" in err


def test_simulate_reports_outputs_over_time(run_cli, relu_file, tmp_path):
    inputs = tmp_path / "x.csv"
    inputs.write_text("z\n1\n-1\n")
    output = tmp_path / "out.csv"
    code, _, err = run_cli(
        "dna", "simulate", relu_file, "--inputs", inputs, "--hours", "1", "--points", "3", "-o", output
    )
    assert code == 0, err
    rows = list(csv.DictReader(output.read_text().splitlines()))
    assert [r["time_min"] for r in rows[:3]] == ["0.0", "30.0", "60.0"]
    final = {r["row"]: float(r["y"]) for r in rows if r["time_h"] == "1.0"}
    assert final["0"] == pytest.approx(1.0, abs=1e-3) and final["1"] == pytest.approx(0.0, abs=1e-3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--scheme", "cardelli2013"),
            "error: unknown DNA scheme 'cardelli2013'; choose one of ssw2010, qsw2011",
        ),
        (("--toehold", "9"), "error: toehold = 9 nt breaks the release rule"),
    ],
)
def test_bad_options_exit_2_with_one_line(run_cli, relu_file, args, message):
    code, out, err = run_cli("dna", "cost", relu_file, *args)
    assert code == 2 and out == ""
    assert err.startswith(message) and err.count("\n") == 1


def test_trimolecular_reaction_exits_2(run_cli, tmp_path):
    path = tmp_path / "tri.crn"
    path.write_text("A + B + C -> D\n")
    code, _, err = run_cli("dna", "compile", path)
    assert code == 2
    assert err == (
        "error: reaction 1 (A + B + C -> D) has 3 reactant molecules; the DNA schemes implement at most 2 "
        "(split it into bimolecular steps first)\n"
    )


def test_verify_warns_before_enumerating_a_gate_with_many_repeated_products():
    from nn2crn.cli.dna_cmd import _warn_repeated_products
    from nn2crn.crn import parse_crn

    said: list[str] = []
    _warn_repeated_products(parse_crn("X -> A + 4 B + 4 C\nY -> A + B"), said.append)
    assert len(said) == 1 and "r1 has 6 repeated product copies" in said[0] and "--max-fanout 2" in said[0]
    said.clear()
    _warn_repeated_products(parse_crn("X -> A + 3 B + 3 C"), said.append)
    assert said == []
