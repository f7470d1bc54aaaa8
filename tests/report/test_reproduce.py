"""`nn2crn reproduce`: the table, its files and report, and the output-folder rules."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from nn2crn import ModelFileError
from nn2crn.datasets import load_dataset
from nn2crn.nn import random_ternary_network
from nn2crn.report import reproduce as reproduce_module
from nn2crn.report.tables import REPRODUCTION_HEADER as TABLE_HEADER
from nn2crn.studies import paper as paper_module
from tests.studies.test_paper import iris_network

pytest.importorskip("matplotlib")


@pytest.fixture
def fake_shipped(monkeypatch):
    """Make the 'shipped' iris model a fixed network, whether or not the real one is installed."""
    network = iris_network(
        {"hyperparameters": {"weights": "binary"}, "dataset": {"name": "iris", "options": {"split": "all"}}}
    )
    monkeypatch.setattr(paper_module, "shipped_network", lambda experiment: network)
    return network


def test_reproduce_iris_end_to_end(run_cli, tmp_path, fake_shipped):
    out = tmp_path / "rep"
    code, stdout, stderr = run_cli("reproduce", "iris", "-o", out, "--ode-examples", "40", "--no-dna")
    assert code == 0, stderr
    assert "DNA implementation" not in (out / "report.md").read_text()
    assert "Reproduction of Deep Molecular Programming" in stdout and "iris" in stdout
    for name in (
        "reproduction.md",
        "reproduction.csv",
        "reproduction.json",
        "report.html",
        "report.md",
        "iris.crn",
        "iris-reduced.crn",
        "iris.sbml.xml",
        "iris-model.json",
        "iris-examples.csv",
        "iris-trajectories.png",
        "iris-convergence.png",
    ):
        assert (out / name).is_file(), name

    with open(out / "reproduction.csv", newline="") as handle:
        header, row = list(csv.reader(handle))
    assert tuple(header) == TABLE_HEADER
    cells = dict(zip(header, row, strict=True))
    iris = load_dataset("iris")
    correct = int((fake_shipped.predict(iris.test.x) == iris.test.y).sum())
    assert cells["network"] == "4-8-3" and cells["weights"] == "binary"
    assert cells["NN acc. test"] == cells["CRN acc. exact (test)"] == f"{correct / 150:.1%} ({correct}/150)"
    assert cells["argmax agrees exact / ODE"] == "150/150 / 40/40"
    assert (
        cells["species compiled / reduced"] == "54 / 30"
        and cells["reactions compiled / reduced"] == "40 / 16"
    )
    assert cells["CRN acc. ODE at t_end"].endswith("/40) at t = 50")

    record = json.loads((out / "reproduction.json").read_text())["rows"][0]
    assert record["exact"]["test_examples"] == 150 and record["exact"]["max_abs_crn_minus_nn"] < 1e-9
    assert record["ode"]["examples"] == record["ode_reduced"]["examples"] == 40
    assert record["ode"]["t_end"] == 50
    assert 0 < record["ode"]["max_abs_crn_minus_nn"] < 1
    assert record["sizes"]["fully_reduced_reactions"] == 8
    assert record["paper"]["nn"].startswith("141/150")

    markdown_rows = (out / "reproduction.md").read_text().splitlines()
    assert len(markdown_rows) == 3
    assert markdown_rows[2] == "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
    page = (out / "report.html").read_text()
    assert "https://" not in page and "http://" not in page
    assert page.count("data:image/png;base64,") == 4  # trajectories, settling times, two CRN pictures
    assert "nn2crn reproduce iris -o " in page and "--ode-examples 40" in page
    assert "141/150 = 94.0%" in page  # the comparison with the paper


def test_existing_folder_is_refused_before_any_work(run_cli, tmp_path, monkeypatch):
    def must_not_run(experiment):
        raise AssertionError("loaded a model although the folder exists")

    monkeypatch.setattr(paper_module, "shipped_network", must_not_run)
    (tmp_path / "rep").mkdir()
    code, stdout, stderr = run_cli("reproduce", "iris", "--no-dna", "-o", tmp_path / "rep")
    assert code == 2
    assert "rep: the output folder already exists; pass --force" in stderr
    assert list((tmp_path / "rep").iterdir()) == []


def test_missing_shipped_model_suggests_train(monkeypatch, tmp_path):
    monkeypatch.setattr(paper_module, "shipped_network", lambda experiment: None)
    with pytest.raises(
        ModelFileError, match=r"mnist.*'mnist-196-64-10-ternary' is not installed.*train=True"
    ):
        reproduce_module.reproduce(["mnist"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_real_shipped_iris_model(tmp_path):
    result = reproduce_module.reproduce(["iris"], tmp_path / "out", ode_examples=150)
    (iris,) = result.results
    assert iris.exact_agreement == (150, 150) and iris.exact_max_abs < 1e-9
    assert iris.nn_correct["test"][0] / 150 >= 0.9
    # At t_end mass action may still disagree, but only on near-ties that have not settled yet.
    agree, total = iris.ode_agreement()
    disagreements = iris.ode_disagreements()
    assert total == 150 and agree + len(disagreements) == 150 and len(disagreements) <= 3
    for example, margin, gap in disagreements:
        assert margin < 2 * gap and not np.isfinite(iris.ode.argmax_times[example])
    text = (tmp_path / "out" / "report.md").read_text()
    assert ("argmax differs from the network's" in text) == bool(disagreements)


def test_big_crns_are_not_drawn_and_the_report_says_so(tmp_path):
    from nn2crn.datasets.base import Dataset, Split
    from nn2crn.report import html as doc
    from nn2crn.report.sections import crn_graph_blocks
    from nn2crn.studies.experiment import run_experiment

    rng = np.random.default_rng(0)
    split = Split(rng.uniform(0, 1, (20, 30)), rng.integers(0, 2, 20))
    data = Dataset("wide", split, split, split, tuple(f"f{i}" for i in range(30)), ("a", "b"), "random", {})
    network = random_ternary_network((30, 40, 2), rng=rng)
    result = run_experiment("wide", network, data, t_end=5.0, ode_examples=4)
    assert result.n_ode == 4 and result.exact_agreement == (20, 20)
    blocks = crn_graph_blocks(result, tmp_path)
    assert all(isinstance(block, doc.Note) for block in blocks) and len(blocks) == 2
    assert (
        f"The compiled CRN has {result.crn.n_species} species, above the drawing limit of 120"
        in blocks[1].text
    )
    assert list(tmp_path.iterdir()) == []
