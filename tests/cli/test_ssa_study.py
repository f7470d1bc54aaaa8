"""``nn2crn ssa-study``: table on stdout, CSV and plot files, labels, bad values."""

from __future__ import annotations

import csv
import dataclasses

import numpy as np
import pytest

from nn2crn.compile import compile_network
from nn2crn.crn import read_crn, write_crn
from nn2crn.nn import random_ternary_network, save_network
from tests.helpers import write_inputs_csv


@pytest.fixture
def files(tmp_path):
    network = random_ternary_network((3, 5, 3), rng=np.random.default_rng(5))
    network = dataclasses.replace(network, output_names=("setosa", "versicolor", "virginica"))
    crn_path = tmp_path / "net.crn"
    write_crn(compile_network(network), crn_path)
    crn = read_crn(crn_path)
    x = np.random.default_rng(6).normal(size=(6, 3))
    labels = [network.output_names[k] for k in np.argmax(network.forward(x), axis=1)]
    inputs = write_inputs_csv(tmp_path / "x.csv", list(crn.input_names), x, labels)
    model = tmp_path / "model.json"
    save_network(network, model)
    return crn_path, inputs, model


def test_table_csv_and_plot(run_cli, files, tmp_path):
    crn_path, inputs, model = files
    table, figure = tmp_path / "study.csv", tmp_path / "study.png"
    code, stdout, stderr = run_cli(
        "ssa-study",
        crn_path,
        "--inputs",
        inputs,
        "--model",
        model,
        "--volumes",
        "1,10,100",
        "--runs",
        2,
        "--t-end",
        20,
        "--seed",
        4,
        "-o",
        table,
        "--plot",
        figure,
        "--threads",
        1,
    )
    assert code == 0, stderr
    assert "accuracy versus volume" in stdout and "rounding: agrees" in stdout and "accuracy" in stdout
    assert "wrote" in stderr
    with open(table, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(row["volume"]) for row in rows] == [1.0, 10.0, 100.0]
    assert all(row["inputs"] == "6" and row["runs"] == "2" for row in rows)
    assert all(0.0 <= float(row["accuracy"]) <= 1.0 for row in rows)
    assert figure.stat().st_size > 1000


def test_labels_that_are_not_class_names_only_drop_accuracy(run_cli, files, tmp_path):
    crn_path, inputs, _ = files
    code, stdout, stderr = run_cli("ssa-study", crn_path, "--inputs", inputs, "--volumes", "5", "--runs", 1)
    assert code == 0, stderr
    assert "accuracy" not in stdout.splitlines()[2]
    assert "not among the class names" in stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--volumes", "1,0"], "volumes must be finite numbers > 0"),
        (["--volumes", "1,x"], "is not a number"),
        (["--runs", "0"], "--runs"),
        (["--plot", "study.gif"], "unknown format"),
    ],
)
def test_bad_values_exit_2(run_cli, files, args, message):
    crn_path, inputs, _ = files
    code, _, stderr = run_cli("ssa-study", crn_path, "--inputs", inputs, *args)
    assert code == 2
    assert message in stderr


def test_dataset_split_with_model(run_cli, tmp_path):
    pytest.importorskip("sklearn")
    from nn2crn.datasets import load_dataset

    data = load_dataset("iris")
    network = random_ternary_network((4, 5, 3), rng=np.random.default_rng(8))
    network = dataclasses.replace(network, input_names=data.feature_names, output_names=data.class_names)
    model, crn_path, table = tmp_path / "iris.json", tmp_path / "iris.crn", tmp_path / "study.csv"
    save_network(network, model)
    write_crn(compile_network(network), crn_path)
    code, stdout, stderr = run_cli(
        "ssa-study",
        crn_path,
        "--model",
        model,
        "--dataset",
        "iris",
        "--split",
        "test",
        "--volumes",
        "20",
        "--runs",
        1,
        "--t-end",
        5,
        "-o",
        table,
    )
    assert code == 0, stderr
    with open(table, newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert int(row["inputs"]) == len(data.test.y)
    assert 0.0 <= float(row["accuracy"]) <= 1.0


def test_dataset_needs_a_model_and_excludes_inputs(run_cli, files):
    crn_path, inputs, _ = files
    code, _, stderr = run_cli("ssa-study", crn_path, "--dataset", "iris")
    assert code == 2 and "--dataset needs --model" in stderr
    code, _, stderr = run_cli("ssa-study", crn_path, "--inputs", inputs, "--dataset", "iris")
    assert code == 2 and "exactly one of --inputs" in stderr
    code, _, stderr = run_cli("ssa-study", crn_path)
    assert code == 2 and "exactly one of --inputs" in stderr


def test_markdown_table(run_cli, files):
    crn_path, inputs, model = files
    code, stdout, stderr = run_cli(
        "ssa-study",
        crn_path,
        "--inputs",
        inputs,
        "--model",
        model,
        "--volumes",
        "3,30",
        "--runs",
        1,
        "--markdown",
    )
    assert code == 0, stderr
    lines = stdout.splitlines()
    assert lines[0].startswith("| V | argmax agrees |") and lines[0].endswith("accuracy |")
    assert lines[1].startswith("|---:|")
    assert lines[2].startswith("| 3 | ") and lines[3].startswith("| 30 | ")
    assert "network accuracy on the labels" in stdout
