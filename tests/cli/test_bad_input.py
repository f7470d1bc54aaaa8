"""Hostile command lines across commands: one clear line on stderr, exit 2, nothing lost or silently wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nn2crn.compile import compile_network
from nn2crn.crn import format_crn, read_crn
from nn2crn.nn import InputTransform, Network, random_ternary_network, save_network
from tests.helpers import write_inputs_csv

TINY = Path(__file__).parents[1] / "data" / "tiny-2-2-2.crn"


@pytest.fixture
def model(tmp_path, rng):
    base = random_ternary_network((3, 5, 2), rng=rng)
    network = Network(
        base.layers,
        ("f0", "f1", "f2"),
        ("cat", "dog"),
        InputTransform(np.array([1.0, -2.0, 0.5]), np.array([2.0, 0.5, 3.0])),
    )
    path = tmp_path / "model.json"
    save_network(network, path)
    return path, network


@pytest.mark.parametrize(
    "args",
    [
        ["simulate", TINY, "--t-end", "nan"],
        ["simulate", TINY, "--t-end", "inf"],
        ["simulate", TINY, "--method", "ssa", "--volume", "inf"],
        ["robustness", TINY, "--atol", "-inf"],
        ["train", "iris", "--lr-start", "inf", "-o", "never.json"],
        ["train", "iris", "--lr-end", "nan", "-o", "never.json"],
    ],
)
def test_non_finite_numbers_are_refused_at_the_boundary(run_cli, args):
    code, _, err = run_cli(*args)
    assert code == 2 and "is not a finite number" in err and "Traceback" not in err


def test_too_many_points_are_refused_before_allocation(run_cli, tmp_path):
    inputs = write_inputs_csv(tmp_path / "x.csv", ["x0", "x1"], np.array([[1.0, 2.0]]))
    code, _, err = run_cli("simulate", TINY, "--inputs", inputs, "--points", "100000000")
    assert code == 2 and "above the limit of 268,435,456; use fewer --points" in err


def test_unwritable_output_location_is_one_error(run_cli, tmp_path):
    inputs = write_inputs_csv(tmp_path / "x.csv", ["x0", "x1"], np.array([[1.0, 2.0]]))
    code, _, err = run_cli("eval", TINY, "--inputs", inputs, "-o", "/proc/1/out.csv")
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err


def test_output_folders_are_checked_before_the_work(run_cli, tmp_path, model):
    # The inputs file is bad too: the output error must come first, before any reading or simulating.
    bad_inputs = tmp_path / "bad.csv"
    bad_inputs.write_text("nonsense\n")
    missing = tmp_path / "missing" / "out.csv"
    for args in (
        ["simulate", TINY, "--inputs", bad_inputs, "-o", missing],
        ["ssa-study", TINY, "--inputs", bad_inputs, "-o", missing],
        ["verify", model[0], "--inputs", bad_inputs, "-o", tmp_path / "missing" / "net.crn"],
    ):
        code, _, err = run_cli(*args)
        assert code == 2 and "missing does not exist; create it first" in err, err


def test_train_never_overwrites_its_training_data(run_cli, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("f,label\n1,a\n2,b\n3,a\n4,b\n")
    before = data.read_bytes()
    code, _, err = run_cli("train", data, "--label", "label", "--force", "-o", data)
    assert code == 2 and "would overwrite an input file" in err
    assert data.read_bytes() == before


def test_an_empty_crn_is_refused_by_check_and_export(run_cli, tmp_path):
    empty = tmp_path / "empty.crn"
    empty.write_text("# nothing here\n")
    for args in (["check", empty], ["export", empty, "--to", "sbml"]):
        code, out, err = run_cli(*args)
        assert code == 2 and out == "" and "the CRN is empty (no species, no reactions)" in err


def test_a_volume_that_rounds_every_count_to_zero_is_warned(run_cli, tmp_path):
    inputs = write_inputs_csv(tmp_path / "x.csv", ["x0", "x1"], np.array([[0.3, 0.2]]))
    code, _, err = run_cli("simulate", TINY, "--inputs", inputs, "--method", "ssa", "--volume", "0.1", "-q")
    assert code == 0
    assert "warning: at volume 0.1 every molecule count of 1 input row(s) rounds to 0" in err


def test_compiled_crn_records_the_transform_and_eval_applies_it_to_raw_columns(run_cli, tmp_path, model, rng):
    model_path, network = model
    crn_path = tmp_path / "net.crn"
    assert run_cli("compile", model_path, "-o", crn_path)[0] == 0
    text = crn_path.read_text()
    assert "transform x0 = (f0 - 1.0) / 2.0\ntransform x1 = (f1 + 2.0) / 0.5\n" in text
    assert read_crn(crn_path).raw_inputs.features == ("f0", "f1", "f2")
    raw = rng.normal(size=(6, 3))
    expected = network.forward(network.transform(raw))
    raw_csv = write_inputs_csv(tmp_path / "raw.csv", ["f0", "f1", "f2"], raw)
    code, out, _ = run_cli("eval", crn_path, "--inputs", raw_csv)
    assert code == 0
    values = np.array([[float(v) for v in line.split(",")] for line in out.splitlines()[1:]])
    assert np.allclose(values, expected, rtol=1e-12, atol=1e-12)
    # Already-transformed columns named by the CRN's inputs still work.
    network_csv = write_inputs_csv(tmp_path / "x.csv", ["x0", "x1", "x2"], network.transform(raw))
    code, out, _ = run_cli("eval", crn_path, "--inputs", network_csv)
    assert code == 0 and np.allclose(
        np.array([[float(v) for v in line.split(",")] for line in out.splitlines()[1:]]), expected
    )
    # --shift-inputs folds the shift into the recorded mean.
    shifted = tmp_path / "shifted.crn"
    assert run_cli("compile", model_path, "--shift-inputs", "-10", "-o", shifted)[0] == 0
    code, out, _ = run_cli("eval", shifted, "--inputs", raw_csv)
    assert code == 0 and np.allclose(
        np.array([[float(v) for v in line.split(",")] for line in out.splitlines()[1:]]), expected
    )


def test_raw_columns_that_cannot_be_told_from_inputs_are_refused(run_cli, tmp_path, rng):
    base = random_ternary_network((2, 3, 2), rng=rng)
    network = Network(
        base.layers, ("x0", "x1"), ("a", "b"), InputTransform(np.array([1.0, 1.0]), np.array([2.0, 2.0]))
    )
    crn_path = tmp_path / "net.crn"
    crn_path.write_text(format_crn(compile_network(network)))
    inputs = write_inputs_csv(tmp_path / "x.csv", ["x0", "x1"], rng.normal(size=(2, 2)))
    code, _, err = run_cli("eval", crn_path, "--inputs", inputs)
    assert code == 2 and "cannot tell whether the rows are already transformed; pass --model" in err


def test_an_ignored_label_column_is_named(run_cli, tmp_path):
    inputs = write_inputs_csv(tmp_path / "x.csv", ["x0", "x1"], np.array([[1.0, 2.0]]), ["cat"])
    code, _, err = run_cli("eval", TINY, "--inputs", inputs)
    assert code == 0 and "warning: column 'label' of" in err and "is ignored" in err


def test_verify_and_ssa_study_take_label_for_a_csv_dataset(run_cli, tmp_path, model, rng):
    model_path, network = model
    raw = rng.normal(size=(20, 3))
    labels = [network.output_names[i] for i in network.predict(raw)]
    data = tmp_path / "data.csv"
    rows = [f"{a!r},{b!r},{c!r},{label}" for (a, b, c), label in zip(raw.tolist(), labels, strict=True)]
    data.write_text("f0,f1,f2,kind\n" + "\n".join(rows) + "\n")
    code, out, err = run_cli("verify", model_path, "--dataset", data, "--label", "kind", "--split", "all")
    assert code == 0, err
    crn_path = tmp_path / "net.crn"
    run_cli("compile", model_path, "-o", crn_path)
    code, out, err = run_cli(
        "ssa-study", crn_path, "--model", model_path, "--dataset", data, "--label", "kind",
        "--split", "all", "--volumes", "10", "--runs", "1", "-q",
    )  # fmt: skip
    assert code == 0, err
    code, _, err = run_cli("verify", model_path, "--dataset", "iris", "--label", "kind")
    assert code == 2 and "--label applies to --dataset FILE.csv, not to iris" in err
