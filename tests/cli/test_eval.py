"""The eval command."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import write_inputs_csv


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        ("x0,x1,x2,x3\n1,2,3\n", "x.csv:2: has 3 fields, expected 4"),
        ("x0,x1,x2,x3\n1,2,3,abc\n", "x.csv:2: column 'x3': 'abc' is not a number"),
        ("x0,x1,x2,x3\n1,2,3,4\n1,nan,3,4\n", "x.csv:3: column 'x1': nan is not a finite number"),
        ("x0,x1,x2,q\n1,2,3,4\n", "x.csv:1: header does not match the inputs (missing x3; unknown q)"),
        ("", "x.csv: empty file"),
        ("x0,x1,x2,x3\n", "x.csv: no data rows"),
    ],
)
def test_bad_input_csv_gives_one_clear_line_and_exit_2(tmp_path, model, run_cli, csv_text, message):
    crn_path = tmp_path / "net.crn"
    assert run_cli("compile", model[0], "-o", crn_path)[0] == 0
    (tmp_path / "x.csv").write_text(csv_text)
    code, out, err = run_cli("eval", crn_path, "--inputs", tmp_path / "x.csv")
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_negative_value_for_a_shifted_input(tmp_path, model, run_cli):
    crn_path = tmp_path / "shifted.crn"
    assert run_cli("compile", model[0], "--shift-inputs", "0", "-o", crn_path)[0] == 0
    inputs = write_inputs_csv(tmp_path / "x.csv", ["x0", "x1", "x2", "x3"], np.array([[1.0, -1.0, 0.0, 2.0]]))
    code, _, err = run_cli("eval", crn_path, "--inputs", inputs)
    assert code == 2 and "x1 = -1.0 is negative, but input x1 is single-rail" in err


def test_outputs_beyond_the_rounding_tolerance_are_refused_with_exit_2(tmp_path, run_cli):
    # Both rails carry 1e12: float64 (and longdouble) cancel digits of y = x.
    crn_path = tmp_path / "rails.crn"
    crn_path.write_text(
        "input x = xp - xn\noutput y = yp - yn\nyp @initial 1e12\nyn @initial 1e12\nxp -> yp\nxn -> yn\n"
    )
    inputs = write_inputs_csv(tmp_path / "x.csv", ["x"], np.array([[1.0], [2.0]]))
    code, out, err = run_cli("eval", crn_path, "--inputs", inputs)
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith("error: exact evaluation: row 0: outputs may be off by up to 4.3e-07")
    assert "(CLI: --rtol 1e-06)" in err
    code, out, _ = run_cli("eval", crn_path, "--inputs", inputs, "--rtol", "1e-6")
    assert code == 0 and len(out.strip().splitlines()) == 3
