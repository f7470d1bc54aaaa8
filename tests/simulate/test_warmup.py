"""warm_kernels: one call per kernel, timed."""

from __future__ import annotations

from nn2crn.simulate.warmup import warm_kernels


def test_warm_kernels_times_every_kernel_and_reports_each() -> None:
    lines: list[str] = []
    seconds = warm_kernels(report=lines.append)
    assert list(seconds) == ["ssa", "tau-leap", "ode"]
    assert all(value > 0 for value in seconds.values())
    assert len(lines) == 3 and lines[1].startswith("tau-leap kernel ready in ")
