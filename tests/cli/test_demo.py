"""`nn2crn demo` on the command line: the summary table, the folder, exit codes."""

from __future__ import annotations

import pytest

from tests.report.test_demo import write_iris_model

pytest.importorskip("matplotlib")


def test_demo_with_a_model_file_then_refuses_to_overwrite(run_cli, tmp_path):
    model = write_iris_model(tmp_path / "model.json")
    out = tmp_path / "demo"
    code, stdout, stderr = run_cli("demo", "-o", out, "--model", model, "--no-ssa")
    assert code == 0, stderr
    for label in ("NN accuracy (all 150)", "CRN accuracy, exact", "CRN size", "ODE at t = 50", "report"):
        assert label in stdout, label
    assert "compiled 54 species / 40 reactions; reduced 30 / 16" in stdout
    assert "SSA" not in stdout
    assert "iris: exact evaluation of 150 test examples" in stderr and "open " in stderr
    assert (out / "report.html").is_file() and not (out / "iris-ssa.png").exists()
    page = (out / "report.html").read_text()
    assert f"nn2crn demo -o {out} --model {model} --no-ssa" in page
    _next_steps_run(run_cli, out, tmp_path)

    before = {path.name: path.stat().st_mtime_ns for path in out.iterdir()}
    code, stdout, stderr = run_cli("demo", "-o", out, "--model", model)
    assert code == 2 and stdout == ""
    assert stderr.strip() == (
        f"error: {out}: the output folder already exists; pass --force to overwrite the report files in it, "
        f"or choose another folder with -o"
    )
    assert {path.name: path.stat().st_mtime_ns for path in out.iterdir()} == before

    code, stdout, stderr = run_cli("demo", "-o", out, "--model", model, "--force", "--quiet")
    assert code == 0 and stdout == "" and stderr == ""
    assert (out / "iris-ssa.png").is_file()


def test_demo_rejects_train_with_model(run_cli, tmp_path):
    code, _, stderr = run_cli("demo", "-o", tmp_path / "x", "--train", "--model", tmp_path / "m.json")
    assert code == 2 and "either --train or --model" in stderr
    assert not (tmp_path / "x").exists()


def test_demo_with_no_arguments_uses_the_shipped_model(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = run_cli("demo")
    assert code == 0, stderr
    assert (tmp_path / "nn2crn-demo" / "report.html").is_file()
    assert "shipped model iris-4-8-3-binary" in stdout
    assert "argmax 150/150" in stdout


def _next_steps_run(run_cli, out, tmp_path):
    """Every 'Next steps' command that uses the demo's own files runs as written."""
    import os
    import shlex

    markdown = (out / "report.md").read_text()
    block = markdown.split("Next steps", 1)[1].split("```", 2)[1]
    commands = [line for line in block.splitlines() if str(out) in line]
    assert len(commands) == 3
    here = os.getcwd()
    os.chdir(tmp_path)  # --plot traj.png is relative
    try:
        for line in commands:
            args = shlex.split(line.split("#", 1)[0])
            assert args[0] == "nn2crn"
            code, _, err = run_cli(*args[1:])
            assert code == 0, f"{line}: {err}"
    finally:
        os.chdir(here)
