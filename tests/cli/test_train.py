"""``nn2crn train`` and ``nn2crn datasets``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nn2crn.nn import load_network


@pytest.mark.torch
def test_train_writes_a_model_and_prints_the_table(run_cli, tmp_path):
    pytest.importorskip("torch")
    output = tmp_path / "iris.json"
    code, out, err = run_cli(
        "train",
        "iris",
        "--hidden",
        "4",
        "--hidden",
        "3",
        "--weights",
        "ternary",
        "--epochs",
        "3",
        "--seed",
        "5",
        "-o",
        output,
    )
    assert code == 0, err
    network = load_network(output)
    assert network.widths == (4, 4, 3, 3)
    assert set(np.unique(np.concatenate([layer.weight.ravel() for layer in network.layers]))) <= {-1, 0, 1}
    record = json.loads(output.read_text())["training"]
    assert record["hyperparameters"]["weights"] == "ternary" and record["seed"] == 5
    assert "train" in out and "+1" in out  # accuracy and weight tables on stdout
    assert f"wrote {output}" in err and "all 150 examples" in err
    assert "\x1b[" not in err  # no progress bar when stderr is not a terminal

    code, _, err = run_cli("train", "iris", "--epochs", "1", "-o", output)
    assert code == 2 and "exists; pass --force" in err
    code, _, err = run_cli("train", "iris", "--epochs", "1", "-q", "--force", "-o", output)
    assert code == 0 and load_network(output).widths == (4, 8, 3)


@pytest.mark.torch
def test_train_on_a_csv_file(run_cli, tmp_path):
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    rows = ["a,b,kind"] + [
        f"{x:.3f},{y:.3f},{'hi' if x + y > 0 else 'lo'}" for x, y in rng.normal(size=(60, 2))
    ]
    data = tmp_path / "points.csv"
    data.write_text("\n".join(rows) + "\n")
    code, _, err = run_cli(
        "train",
        data,
        "--label",
        "kind",
        "--hidden",
        "3",
        "--epochs",
        "2",
        "-q",
        "-o",
        tmp_path / "points.json",
    )
    assert code == 0, err
    network = load_network(tmp_path / "points.json")
    assert network.input_names == ("a", "b") and network.output_names == ("hi", "lo")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("iris", "--label", "x"), "--label does not apply to the iris dataset"),
        (("virus", "--split", "all"), "--split does not apply to the virus dataset"),
        (("irsi",), "irsi: not a known dataset (iris, virus, mnist); for a CSV file also give --label"),
        (("missing.csv", "--label", "y"), "missing.csv: no such file"),
    ],
)
def test_train_rejects_bad_dataset_arguments(run_cli, tmp_path, args, message):
    code, _, err = run_cli("train", *args, "-o", tmp_path / "m.json")
    assert code == 2
    assert message in err
    assert not (tmp_path / "m.json").exists()


def test_datasets_lists_every_dataset_and_its_source(run_cli, tmp_path, monkeypatch):
    monkeypatch.delenv("NN2CRN_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    code, out, _ = run_cli("datasets")
    assert code == 0
    for text in (
        "iris",
        "virus",
        "GSE73072",
        "mnist",
        "MIT",
        "csv",
        "--label COLUMN",
        "full MNIST: not found",
    ):
        assert text in out


def test_train_without_torch_says_how_to_install_it(run_cli, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    code, _, err = run_cli("train", "iris", "--epochs", "1", "-o", tmp_path / "m.json")
    assert code == 2
    assert "pip install 'nn2crn[train]'" in err
    assert not (tmp_path / "m.json").exists()


@pytest.mark.torch
def test_train_recipe_regenerates_the_shipped_model(run_cli, tmp_path):
    pytest.importorskip("torch")
    from nn2crn.nn import load_shipped_model

    output = tmp_path / "iris.json"
    code, _, err = run_cli("train", "--recipe", "iris-4-8-3-binary", "-q", "-o", output)
    assert code == 0, err
    trained, shipped = load_network(output), load_shipped_model("iris-4-8-3-binary")
    # Weights are ±1 and must match exactly. The biases are float64 sums, whose last bits
    # depend on the CPU's vector width (AVX-512 vs AVX2 machines differ by ~1 ulp).
    assert len(trained.layers) == len(shipped.layers)
    for ours, theirs in zip(trained.layers, shipped.layers, strict=True):
        assert np.array_equal(ours.weight, theirs.weight)
        np.testing.assert_allclose(ours.bias, theirs.bias, rtol=1e-12, atol=1e-14)
    assert "4-8-3 binary, best epoch 348 of 1000" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--recipe", "iris-4-8-3-binary", "--epochs", "3"),
            "--epochs: --recipe iris-4-8-3-binary sets every",
        ),
        (("virus", "--recipe", "iris-4-8-3-binary"), "--recipe iris-4-8-3-binary trains on iris, not virus"),
        (("--recipe", "iris"), "no run named 'iris'; the registered runs are iris-4-8-3-binary"),
        ((), "give a DATASET (iris, virus, mnist or FILE.csv) or --recipe MODEL"),
    ],
)
def test_train_recipe_refuses_conflicting_arguments(run_cli, tmp_path, args, message):
    code, _, err = run_cli("train", *args, "-o", tmp_path / "m.json")
    assert code == 2
    assert message in err
    assert not (tmp_path / "m.json").exists()
