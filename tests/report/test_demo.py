"""The demo: every file it writes is right, its numbers agree with independent checks, it never overwrites."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest

from nn2crn import InputDataError, ModelFileError
from nn2crn.compile import compile_network, reduce_crn
from nn2crn.crn import read_crn
from nn2crn.datasets import load_dataset
from nn2crn.nn import InputTransform, Network, load_network, random_ternary_network, save_network
from nn2crn.report._folder import staged_folder
from nn2crn.simulate import stable_outputs

pytest.importorskip("matplotlib")


def write_iris_model(path: Path, seed: int = 3) -> Path:
    """A fixed binary 4-8-3 network with IRIS's standardization, as a model file."""
    iris = load_dataset("iris")
    random = random_ternary_network((4, 8, 3), rng=np.random.default_rng(seed), binary=True)
    network = Network(
        random.layers,
        iris.feature_names,
        iris.class_names,
        InputTransform(iris.x_train.mean(axis=0), iris.x_train.std(axis=0)),
    )
    save_network(network, path)
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from nn2crn.report.demo import run_demo

    root = tmp_path_factory.mktemp("demo")
    model = write_iris_model(root / "model.json")
    messages: list[str] = []
    result = run_demo(root / "out", model=model, command="nn2crn demo -o out", log=messages.append)
    return result, root / "out", load_network(model), messages


def test_demo_writes_crn_files_that_compute_the_network(demo):
    result, folder, network, _ = demo
    iris = load_dataset("iris")
    x = network.transform(iris.test.x)
    for name, species, reactions in (("iris.crn", 54, 40), ("iris-reduced.crn", 30, 16)):
        crn = read_crn(folder / name)
        assert (crn.n_species, crn.n_reactions) == (species, reactions)
        np.testing.assert_allclose(stable_outputs(crn, x), network.forward(x), atol=1e-9)
    for name in ("iris.sbml.xml", "iris-reduced.sbml.xml"):
        text = (folder / name).read_text()
        assert text.startswith("<?xml") and "<sbml" in text and "listOfReactions" in text
    assert load_network(folder / "iris-model.json") == network


def test_demo_numbers_agree_with_independent_checks(demo):
    result, folder, network, messages = demo
    iris = load_dataset("iris")
    summary = json.loads((folder / "summary.json").read_text())
    correct = int((network.predict(iris.test.x) == iris.test.y).sum())
    assert summary["nn_accuracy"]["test"] == [correct, 150]
    assert summary["crn_exact_accuracy"]["test"] == [correct, 150]
    assert summary["exact"]["max_abs_crn_minus_nn"] < 1e-9
    assert summary["exact"]["argmax_agreement"] == [150, 150]
    assert summary["sizes"] == {
        "compiled": {"species": 54, "reactions": 40},
        "reduced": {"species": 30, "reactions": 16},
        "fully_reduced_reactions": 8,
    }
    assert all(
        check == {"feed_forward": True, "non_competitive": True} for check in summary["checks"].values()
    )
    ode = summary["ode"]
    assert ode["examples"] == 150 and ode["t_end"] == 50
    # mass action has not quite finished at t_end: a small, shrinking, honest gap
    assert 0 < ode["max_abs_gap_at_t_end"] < ode["max_abs_gap_at_half_t_end"] < 1.0
    assert ode["max_abs_crn_minus_nn"] == pytest.approx(ode["max_abs_gap_at_t_end"], abs=1e-9)
    assert summary["ssa"]["runs"] == 5 and summary["ssa"]["argmax_agreement_with_nn"][1] == 15
    assert summary["command"] == "nn2crn demo -o out"
    assert any("ODE kinetics of 150 examples" in message for message in messages)
    # the per-example CSV matches the network's predictions
    rows = (folder / "iris-examples.csv").read_text().splitlines()
    assert len(rows) == 151
    predicted = [line.split(",")[2] for line in rows[1:]]
    assert predicted == [network.output_names[k] for k in network.predict(iris.test.x)]
    labels = dict(result.summary)
    assert labels["CRN accuracy, exact"] == f"{correct / 150:.1%} ({correct}/150)"


def test_html_report_is_self_contained(demo):
    _, folder, _, _ = demo
    page = (folder / "report.html").read_text()
    assert "http://" not in page and "https://" not in page and "<script" not in page.lower()
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) >= 5
    for source in sources:
        header, _, data = source.partition(",")
        assert header == "data:image/png;base64"
        assert base64.b64decode(data).startswith(b"\x89PNG")
    for link in re.findall(r'href="([^"]*)"', page):
        assert (folder / link).is_file(), link
    for text in ("<table>", "CRN accuracy, exact", "argmax agrees", "not exact", "nn2crn demo -o out"):
        assert text in page, text


def test_markdown_twin_has_the_table_and_figure_files(demo):
    result, folder, _, _ = demo
    markdown = (folder / "report.md").read_text()
    for label, value in result.summary[:-1]:
        assert f"| {label} | {value.replace('|', chr(92) + '|')} |" in markdown
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert {"iris-graph.png", "iris-reduced-graph.png", "iris-trajectories.png", "iris-ssa.png"} <= set(
        figures
    )
    for figure in figures:
        assert (folder / figure).read_bytes().startswith(b"\x89PNG")


def test_existing_folder_is_refused_and_left_untouched(tmp_path):
    from nn2crn.report.demo import run_demo

    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me")
    with pytest.raises(InputDataError, match=r"out: the output folder already exists; pass force=True"):
        run_demo(folder, model=tmp_path / "not-read.json")
    assert [p.name for p in folder.iterdir()] == ["mine.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left behind


def test_force_writes_into_an_existing_folder_and_keeps_other_files(tmp_path):
    from nn2crn.report.demo import run_demo

    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me")
    (folder / "report.html").write_text("old")
    run_demo(folder, model=write_iris_model(tmp_path / "m.json"), force=True, ssa=False)
    assert (folder / "mine.txt").read_text() == "keep me"
    assert (folder / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert not (folder / "iris-ssa.png").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "out"]


def test_a_file_in_place_of_the_folder_is_refused_even_with_force(tmp_path):
    from nn2crn.report.demo import run_demo

    (tmp_path / "out").write_text("a file")
    with pytest.raises(InputDataError, match="is a file, not a folder"):
        run_demo(tmp_path / "out", force=True)


def test_a_model_that_is_not_for_iris_is_refused(tmp_path):
    from nn2crn.report.demo import run_demo

    path = tmp_path / "m.json"
    save_network(random_ternary_network((5, 4, 3), rng=np.random.default_rng(0)), path)
    with pytest.raises(InputDataError, match="4 features, 3 classes.*5-4-3"):
        run_demo(tmp_path / "out", model=path)
    with pytest.raises(ModelFileError, match="no such file"):
        run_demo(tmp_path / "out", model=tmp_path / "missing.json")
    assert not (tmp_path / "out").exists()


def test_staged_folder_leaves_nothing_when_the_run_fails(tmp_path):
    with pytest.raises(RuntimeError), staged_folder(tmp_path / "out", force=False) as staging:
        (staging / "half.txt").write_text("half")
        raise RuntimeError("simulated failure")
    assert list(tmp_path.iterdir()) == []


def test_demo_reduced_crn_is_the_reduction_of_the_compiled_one(demo):
    _, folder, network, _ = demo
    assert read_crn(folder / "iris-reduced.crn") == reduce_crn(compile_network(network))


def test_ode_times_exclude_the_once_per_process_kernel_load(demo):
    result, folder, _, _ = demo
    seconds = result.experiment.seconds
    assert seconds["ODE kernel load"] >= 0.0
    # integrating 150 rows takes longer than nothing, and the load is not counted in it
    assert 0.0 < result.experiment.ode.seconds < seconds["ODE kinetics"]
    markdown = (folder / "report.md").read_text()
    assert (
        f"ODE time excludes loading the compiled ODE kernel, once per process ({seconds['ODE kernel load']:.2f} s)"
        in markdown
    )
