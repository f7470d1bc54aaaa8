"""The README's reproduction table is what ``nn2crn reproduce`` prints: a stale number fails CI."""

from __future__ import annotations

from pathlib import Path

import pytest

README = Path(__file__).parents[2] / "README.md"


@pytest.mark.slow
def test_readme_reproduce_table_matches_a_fresh_run(run_cli, tmp_path):
    out = tmp_path / "reproduce"
    code, _, err = run_cli("reproduce", "iris", "virus", "--no-dna", "-o", out, "-q")
    assert code == 0, err
    table = (out / "reproduction.md").read_text().strip().splitlines()
    readme = README.read_text().splitlines()
    assert table[0] in readme, "the README's table header differs from reproduction.md"
    rows = [line for line in table[2:] if line.startswith("|")]
    assert [row.split("|")[1].strip() for row in rows] == ["iris", "virus"]
    for row in rows:
        assert row in readme, f"README.md is stale; nn2crn reproduce now gives:\n{row}"
