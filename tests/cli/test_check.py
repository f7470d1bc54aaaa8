"""The check command."""

from __future__ import annotations


def test_check_exits_1_and_names_the_problem(tmp_path, run_cli):
    path = tmp_path / "bad.crn"
    path.write_text("A -> B\nA + C -> D\n")
    code, out, _ = run_cli("check", path)
    assert code == 1 and "A is a reactant of 2 reactions" in out and "non-competitive        NO" in out


def test_malformed_crn_file_reports_file_line_col(tmp_path, run_cli):
    path = tmp_path / "broken.crn"
    path.write_text("A -> B\nA + -> C\n")
    code, _, err = run_cli("check", path)
    assert code == 2 and f"{path}:2:5: expected a species name" in err
