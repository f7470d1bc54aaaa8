"""``nn2crn robustness``: tables, plot, and bad values."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn.compile import compile_network
from nn2crn.crn import CRN, Reaction, Signal, write_crn
from nn2crn.nn import random_ternary_network
from tests.helpers import write_inputs_csv


@pytest.fixture
def files(tmp_path):
    crn = compile_network(random_ternary_network((3, 5, 3), rng=np.random.default_rng(5)))
    crn_path = tmp_path / "net.crn"
    write_crn(crn, crn_path)
    x = np.random.default_rng(6).normal(size=(4, 3))
    return crn_path, write_inputs_csv(tmp_path / "x.csv", list(crn.input_names), x)


def test_tables_and_plot(run_cli, files, tmp_path):
    crn_path, inputs = files
    plot = tmp_path / "rob.svg"
    code, stdout, stderr = run_cli(
        "robustness",
        crn_path,
        "--inputs",
        inputs,
        "--rate-sets",
        2,
        "--seed",
        3,
        "--t-end",
        500,
        "--factors",
        "1,100",
        "--speedup-t-end",
        100,
        "--plot",
        plot,
        "-q",
    )
    assert code == 0, stderr
    lines = stdout.splitlines()
    assert lines[0].startswith("rate robustness: 4 input rows, t_end = 500")
    rows = [line.split() for line in lines[2:5]]
    assert [row[0] for row in rows] == ["as", "random:3:0.1:10", "random:4:0.1:10"]
    assert all(row[-1] == "4/4" for row in rows)
    assert all(float(row[-3]) < 0.05 for row in rows)  # max |dy| at t_end
    speedup = stdout[stdout.index("ReLU-rate speed-up") :].splitlines()
    assert [line.split()[0] for line in speedup[2:]] == ["1", "100"]
    medians = [float(line.split()[1]) for line in speedup[2:]]
    assert medians[1] < medians[0]
    svg = plot.read_text()
    assert "random:4:0.1:10" in svg and "x100" in svg


def test_rates_range_shorthand(run_cli, files):
    crn_path, inputs = files
    code, stdout, stderr = run_cli(
        "robustness",
        crn_path,
        "--inputs",
        inputs,
        "--rate-sets",
        1,
        "--rates-range",
        "0.5:2",
        "--t-end",
        50,
        "--no-speedup",
        "-q",
    )
    assert code == 0, stderr
    assert "random:0:0.5:2" in stdout
    assert "speed-up" not in stdout


def test_crn_without_relu_reactions_skips_the_speedup(run_cli, tmp_path):
    crn = CRN((Reaction(["A"], ["B"]),), inputs=(Signal("a", ("A",)),), outputs=(Signal("b", ("B",)),))
    crn_path = tmp_path / "decay.crn"
    write_crn(crn, crn_path)
    inputs = write_inputs_csv(tmp_path / "a.csv", ["a"], np.array([[1.0], [2.0]]))
    code, stdout, stderr = run_cli(
        "robustness", crn_path, "--inputs", inputs, "--rate-sets", 2, "--t-end", 100, "-q"
    )
    assert code == 0, stderr
    assert "2/2" in stdout
    assert "no ReLU-rate speed-up table" in stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--low", "10", "--high", "1"], "LOW = 10 is greater than HIGH = 1"),
        (["--low", "0"], "Invalid value for '--low'"),
        (["--rates-range", "2:1"], "LOW = 2 is greater than HIGH = 1"),
        (["--rates-range", "1:x"], "'x' is not a number"),
        (["--rates-range", "1"], "expected LOW:HIGH"),
        (["--rates-range", "1:2", "--low", "0.5"], "either --rates-range or --low/--high"),
        (["--rate-sets", "0"], "Invalid value for '--rate-sets'"),
        (["--t-end", "-1"], "Invalid value for '--t-end'"),
        (["--rtol", "0"], "Invalid value for '--rtol'"),
        (["--factors", "1,0"], "factors must be finite numbers > 0"),
        (["--rate-law", "hill"], "Invalid value for '--rate-law'"),
        (["--plot", "rob.gif"], "unknown format '.gif'"),
    ],
)
def test_bad_values_exit_2(run_cli, files, args, message):
    crn_path, inputs = files
    code, stdout, stderr = run_cli("robustness", crn_path, "--inputs", inputs, *args)
    assert code == 2
    assert message in stderr
    assert "Traceback" not in stderr and stdout == ""
