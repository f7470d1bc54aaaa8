"""``nn2crn simulate``: CSV layout for ODE and SSA, plots, and bad values."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from nn2crn.compile import compile_network
from nn2crn.crn import read_crn, write_crn
from nn2crn.nn import random_ternary_network, save_network
from nn2crn.nn.network import InputTransform, Network
from nn2crn.simulate import stable_outputs
from tests.helpers import write_inputs_csv


@pytest.fixture
def files(tmp_path):
    network = random_ternary_network((3, 5, 3), rng=np.random.default_rng(5))
    crn_path = tmp_path / "net.crn"
    write_crn(compile_network(network), crn_path)
    crn = read_crn(crn_path)  # species in the file's order, as the CLI sees them
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.25], [-1.0, 1.0, 1.0]])
    inputs = write_inputs_csv(tmp_path / "x.csv", list(crn.input_names), x)
    return crn, crn_path, inputs, x, network


def read_table(text: str) -> tuple[list[str], np.ndarray]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], np.array(rows[1:], dtype=float)


def test_ode_csv_has_one_line_per_row_and_time_and_approaches_stable(run_cli, files, tmp_path):
    crn, crn_path, inputs, x, _ = files
    out = tmp_path / "traj.csv"
    code, stdout, stderr = run_cli(
        "simulate", crn_path, "--inputs", inputs, "--t-end", 400, "--points", 11, "-o", out
    )
    assert code == 0, stderr
    assert stdout == ""
    header, table = read_table(out.read_text())
    assert header == ["row", "time", "y0", "y1", "y2"]
    assert table.shape == (3 * 11, 5)
    np.testing.assert_array_equal(table[:, 0], np.repeat([0, 1, 2], 11))
    np.testing.assert_allclose(table[:11, 1], np.linspace(0, 400, 11))
    final = table[table[:, 1] == 400][:, 2:]
    stable = stable_outputs(crn, x)
    assert np.abs(final - stable).max() < 0.02  # the 1/t annihilation tail, not yet exact at t = 400
    np.testing.assert_allclose(
        table[table[:, 1] == 0][:, 2:], crn.read_outputs(crn.initial_state(x)), atol=1e-12
    )
    assert "argmax agrees on 3/3 rows" in stderr


def test_species_columns_add_up_to_the_outputs(run_cli, files):
    crn, crn_path, inputs, _, _ = files
    code, stdout, stderr = run_cli(
        "simulate", crn_path, "--inputs", inputs, "--t-end", 5, "--points", 4, "--species", "-q"
    )
    assert code == 0, stderr
    assert stderr == ""  # --quiet: no summary
    header, table = read_table(stdout)
    assert header == ["row", "time", *crn.output_names, *crn.species]
    np.testing.assert_allclose(table[:, 5:] @ crn.output_matrix.T, table[:, 2:5], atol=1e-12)
    assert (table[:, 5:] >= -1e-9).all()


def test_rates_option_changes_the_kinetics_but_not_the_answer(run_cli, files):
    _, crn_path, inputs, _, _ = files
    _, base, _ = run_cli("simulate", crn_path, "--inputs", inputs, "--t-end", 2, "--points", 3, "-q")
    code, fast, stderr = run_cli(
        "simulate",
        crn_path,
        "--inputs",
        inputs,
        "--t-end",
        2,
        "--points",
        3,
        "--rates",
        "random:1:0.1:10",
        "-q",
    )
    assert code == 0, stderr
    assert read_table(base)[1].shape == read_table(fast)[1].shape
    assert not np.allclose(read_table(base)[1], read_table(fast)[1])


def test_model_option_applies_the_input_transform(run_cli, files, tmp_path):
    crn, crn_path, _, x, network = files
    transform = InputTransform(mean=np.array([1.0, 2.0, 3.0]), scale=np.array([2.0, 0.5, 1.0]))
    model = tmp_path / "model.json"
    save_network(Network(network.layers, input_transform=transform), model)
    raw = x * transform.scale + transform.mean
    raw_csv = write_inputs_csv(tmp_path / "raw.csv", list(network.input_names), raw)
    args = ("--t-end", 300, "--points", 2, "-q")
    _, direct, _ = run_cli(
        "simulate", crn_path, "--inputs", write_inputs_csv(tmp_path / "n.csv", ["x0", "x1", "x2"], x), *args
    )
    code, via_model, stderr = run_cli("simulate", crn_path, "--inputs", raw_csv, "--model", model, *args)
    assert code == 0, stderr
    np.testing.assert_allclose(read_table(via_model)[1], read_table(direct)[1], rtol=1e-9, atol=1e-12)


def test_tau_leap_at_high_volume_ends_near_the_stable_outputs_and_is_reproducible(run_cli, files):
    crn, crn_path, inputs, x, _ = files
    args = ("simulate", crn_path, "--inputs", inputs, "--method", "tau-leap", "--volume", 1e5)
    args += ("--runs", 2, "--t-end", 400, "--points", 3, "--tau-epsilon", 0.02, "-q")
    code, first, stderr = run_cli(*args)
    assert code == 0, stderr
    header, table = read_table(first)
    assert header == ["row", "time", "run", "y0", "y1", "y2"]
    final = table[table[:, 1] == 400][:, 3:]
    np.testing.assert_allclose(final, np.repeat(stable_outputs(crn, x), 2, axis=0), atol=2e-3)
    assert run_cli(*args)[1] == first


def test_ssa_csv_has_runs_and_is_reproducible(run_cli, files):
    crn, crn_path, inputs, x, _ = files
    args = (
        "simulate",
        crn_path,
        "--inputs",
        inputs,
        "--method",
        "ssa",
        "--volume",
        50,
        "--runs",
        2,
        "--seed",
        4,
        "--t-end",
        30,
        "--points",
        3,
        "-q",
    )
    code, first, stderr = run_cli(*args)
    assert code == 0, stderr
    header, table = read_table(first)
    assert header == ["row", "time", "run", "y0", "y1", "y2"]
    assert table.shape == (3 * 2 * 3, 6)
    np.testing.assert_array_equal(table[:, 0], np.repeat([0, 1, 2], 6))
    np.testing.assert_array_equal(table[:, 2], np.tile(np.repeat([0, 1], 3), 3))
    # amounts are counts / V
    np.testing.assert_allclose(np.round(table[:, 3:] * 50), table[:, 3:] * 50, atol=1e-9)
    assert run_cli(*args)[1] == first
    assert run_cli(*args[:-3], "--seed", 5, "--points", 3, "-q")[1] != first


def test_plot_is_written(run_cli, files, tmp_path):
    _, crn_path, inputs, _, _ = files
    plot = tmp_path / "traj.png"
    code, _, stderr = run_cli(
        "simulate",
        crn_path,
        "--inputs",
        inputs,
        "--t-end",
        20,
        "--plot",
        plot,
        "--plot-rows",
        "0,2",
        "-o",
        tmp_path / "t.csv",
    )
    assert code == 0, stderr
    assert plot.read_bytes().startswith(b"\x89PNG") and plot.stat().st_size > 10_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--t-end", "-5"], "Invalid value for '--t-end'"),
        (["--t-end", "nan"], "Invalid value for '--t-end'"),
        (["--rtol", "0"], "Invalid value for '--rtol'"),
        (["--rtol", "2"], "Invalid value for '--rtol'"),
        (["--atol", "-1e-9"], "Invalid value for '--atol'"),
        (["--points", "1"], "Invalid value for '--points'"),
        (["--rate-law", "hill"], "Invalid value for '--rate-law'"),
        (["--rates", "random:0:10:0.1"], "LOW = 10 is greater than HIGH = 0.1"),
        (["--rates", "warp:3"], "unknown rate specification 'warp'"),
        (["--method", "ssa"], "needs --volume"),
        (["--method", "tau-leap"], "--method tau-leap needs --volume"),
        (
            ["--method", "tau-leap", "--volume", "10", "--tau-epsilon", "1"],
            "Invalid value for '--tau-epsilon'",
        ),
        (["--method", "ssa", "--volume", "0"], "Invalid value for '--volume'"),
        (["--method", "ssa", "--volume", "10", "--runs", "0"], "Invalid value for '--runs'"),
        (["--volume", "10"], "apply to --method ssa only"),
        (["--plot", "out.jpg"], "unknown format '.jpg'"),
        (["--plot-rows", "7", "--plot", "PLOT"], "row 7 is out of range"),
        (["--plot-rows", "a"], "'a' is not a row number"),
    ],
)
def test_bad_values_exit_2_with_a_clear_message(run_cli, files, tmp_path, args, message):
    _, crn_path, inputs, _, _ = files
    args = [str(tmp_path / "p.png") if a == "PLOT" else a for a in args]
    code, stdout, stderr = run_cli(
        "simulate", crn_path, "--inputs", inputs, "--t-end", "1", "--points", "2", *args
    )
    assert code == 2
    assert message in stderr
    assert "Traceback" not in stderr


def test_missing_inputs_and_overwriting_inputs_are_refused(run_cli, files):
    _, crn_path, inputs, _, _ = files
    code, _, stderr = run_cli("simulate", crn_path, "--t-end", 1)
    assert code == 2 and "give their values with --inputs" in stderr
    before = inputs.read_text()
    code, _, stderr = run_cli("simulate", crn_path, "--inputs", inputs, "--t-end", 1, "-o", inputs)
    assert code == 2 and "overwrite an input file" in stderr
    assert inputs.read_text() == before
    code, _, stderr = run_cli("simulate", crn_path, "--inputs", inputs, "--t-end", 1, "--plot", crn_path)
    assert code == 2 and "unknown format '.crn'" in stderr


def test_convergence_summary_plot_and_log_time(run_cli, files, tmp_path):
    _, crn_path, inputs, _, _ = files
    conv = tmp_path / "conv.svg"
    code, stdout, stderr = run_cli(
        "simulate",
        crn_path,
        "--inputs",
        inputs,
        "--t-end",
        100,
        "--points",
        9,
        "--log-time",
        "--convergence-plot",
        conv,
        "--epsilon",
        "0.05",
    )
    assert code == 0, stderr
    times = read_table(stdout)[1][:9, 1]
    np.testing.assert_allclose(times, [0.0, *np.geomspace(0.01, 100.0, 8)])
    assert "epsilon = 0.05, fraction = 0.9" in stderr
    summary = {line.split()[0]: line.split()[1:] for line in stderr.splitlines()[-4:]}
    assert set(summary) == {"epsilon", "fraction", "order", "argmax"}
    assert all(row[-1] == "100.0%" for row in summary.values())
    svg = conv.read_text()
    assert "epsilon 0.05" in svg and "argmax" in svg


def test_convergence_plot_needs_exact_stable_outputs(run_cli, tmp_path):
    # A + B -> 2 B is autocatalytic: not feed-forward, so there is no exact stable output
    crn_path = tmp_path / "auto.crn"
    crn_path.write_text("input a = A\ninput b = B\noutput y = B\nA + B -> 2 B\n")
    inputs = write_inputs_csv(tmp_path / "ab.csv", ["a", "b"], np.array([[1.0, 0.1]]))
    code, stdout, stderr = run_cli("simulate", crn_path, "--inputs", inputs, "--t-end", 50, "--points", 3)
    assert code == 0, stderr
    assert "no exact stable outputs" in stderr
    assert float(stdout.splitlines()[-1].split(",")[-1]) == pytest.approx(1.1, rel=1e-6)
    code, _, stderr = run_cli(
        "simulate", crn_path, "--inputs", inputs, "--t-end", 50, "--convergence-plot", tmp_path / "c.png"
    )
    assert code == 2 and "needs the exact stable outputs" in stderr


def test_saturating_rate_law_reaches_the_same_answer(run_cli, files):
    crn, crn_path, inputs, x, _ = files
    code, stdout, stderr = run_cli(
        "simulate", crn_path, "--inputs", inputs, "--rate-law", "saturating", "--t-end", 5000, "--points", 3
    )
    assert code == 0, stderr
    final = read_table(stdout)[1][2::3, 2:]
    stable = stable_outputs(crn, x)
    assert np.abs(final - stable).max() < 0.05
    assert "argmax agrees on 3/3 rows" in stderr
    _, mass_action, _ = run_cli("simulate", crn_path, "--inputs", inputs, "--t-end", 5, "--points", 3, "-q")
    _, saturating, _ = run_cli(
        "simulate",
        crn_path,
        "--inputs",
        inputs,
        "--t-end",
        5,
        "--points",
        3,
        "-q",
        "--rate-law",
        "saturating",
    )
    assert not np.allclose(read_table(mass_action)[1], read_table(saturating)[1])


@pytest.mark.parametrize("method", ["ode", "ssa"])
def test_csv_numbers_are_repr_of_the_trajectory(run_cli, files, method):
    """Every cell is the repr of the library's value (the C formatter's text equals repr's)."""
    from nn2crn.simulate import simulate_ode, simulate_ssa

    crn, crn_path, inputs, x, _ = files
    if method == "ode":
        trajectory = simulate_ode(crn, x, t_end=7.0, n_points=6)
        extra: tuple = ()
    else:
        trajectory = simulate_ssa(crn, x, volume=30, t_end=7.0, n_points=6, runs=2, seed=3)
        extra = ("--method", "ssa", "--volume", 30, "--runs", 2, "--seed", 3)
    code, text, stderr = run_cli(
        "simulate", crn_path, "--inputs", inputs, "--t-end", 7, "--points", 6, "--species", "-q", *extra
    )
    assert code == 0, stderr
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(["row", "time", *(["run"] if method == "ssa" else []), *crn.output_names, *crn.species])
    runs: dict[int, int] = {}
    for batch, row in enumerate(trajectory.input_rows.tolist()):
        run = runs.get(row, 0)
        runs[row] = run + 1
        for k, time in enumerate(trajectory.times.tolist()):
            numbers = [*trajectory.outputs[batch, k].tolist(), *trajectory.states[batch, k].tolist()]
            writer.writerow(
                [row, repr(time), *([run] if method == "ssa" else []), *map(repr, map(float, numbers))]
            )
    assert text == expected.getvalue()
