"""``nn2crn warm-up``: every simulation kernel runs once (and lands in numba's cache)."""

from __future__ import annotations


def test_warm_up_runs_each_kernel_and_reports_it(run_cli):
    code, stdout, stderr = run_cli("warm-up")
    assert code == 0, stderr
    assert stdout == ""
    assert [line.split(" kernel ready")[0] for line in stderr.splitlines()] == ["ssa", "tau-leap", "ode"]


def test_warm_up_quiet_prints_nothing(run_cli):
    assert run_cli("warm-up", "-q") == (0, "", "")


def test_warm_up_names_the_backend_of_each_kernel(run_cli):
    from nn2crn.simulate import _ssa_native

    code, _, stderr = run_cli("warm-up")
    assert code == 0, stderr
    backends = [line.rsplit("(", 1)[1].rstrip(")") for line in stderr.splitlines()]
    assert backends == ["c" if _ssa_native.available() else "numba", "numba", "numba"]
