"""The verify command."""

from __future__ import annotations

from tests.helpers import write_inputs_csv


def test_verify_exits_1_on_mismatch(tmp_path, model, run_cli, rng, monkeypatch):
    import nn2crn.simulate

    real = nn2crn.simulate.stable_outputs
    monkeypatch.setattr(
        nn2crn.simulate, "stable_outputs", lambda crn, x, **options: real(crn, x, **options) + 1e-6
    )
    inputs = write_inputs_csv(tmp_path / "x.csv", ["f0", "f1", "f2", "f3"], rng.normal(size=(3, 4)))
    code, out, _ = run_cli("verify", model[0], "--inputs", inputs)
    assert code == 1 and "MISMATCH: 3 rows differ" in out
