"""``nn2crn export``: SBML and .crn output, input rows, and bad values."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn.compile import compile_network
from nn2crn.crn import parse_crn, read_crn, write_crn
from nn2crn.nn import random_ternary_network
from nn2crn.simulate import stable_outputs
from tests.helpers import write_inputs_csv

libsbml = pytest.importorskip("libsbml")


@pytest.fixture
def files(tmp_path):
    crn = compile_network(random_ternary_network((3, 4, 2), rng=np.random.default_rng(3)))
    crn_path = tmp_path / "net.crn"
    write_crn(crn, crn_path)
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.25]])
    inputs = write_inputs_csv(tmp_path / "x.csv", list(crn.input_names), x)
    return crn, crn_path, inputs, x


def sbml_amounts(xml: str, species) -> np.ndarray:
    model = libsbml.readSBMLFromString(xml).getModel()
    return np.array([model.getSpecies(name).getInitialAmount() for name in species])


def test_sbml_to_file_with_a_chosen_row(run_cli, files, tmp_path):
    crn, crn_path, inputs, x = files
    out = tmp_path / "net.xml"
    code, stdout, stderr = run_cli(
        "export", crn_path, "--to", "sbml", "--inputs", inputs, "--inputs-row", 1, "-o", out
    )
    assert code == 0, stderr
    assert stdout == "" and "wrote" in stderr
    xml = out.read_text()
    np.testing.assert_allclose(sbml_amounts(xml, crn.species), crn.initial_state(x[1])[0], rtol=1e-14)


def test_sbml_to_stdout_without_inputs(run_cli, files):
    crn, crn_path, _, _ = files
    code, stdout, _ = run_cli("export", crn_path)
    assert code == 0
    np.testing.assert_allclose(sbml_amounts(stdout, crn.species), crn.initial_vector, rtol=1e-14)


@pytest.mark.parametrize("target", ["crn", "crn-plain"])
def test_crn_export_loads_the_row_and_keeps_the_answer(run_cli, files, tmp_path, target):
    crn, crn_path, inputs, x = files
    out = tmp_path / "loaded.crn"
    code, _, stderr = run_cli("export", crn_path, "--to", target, "--inputs", inputs, "-o", out)
    assert code == 0, stderr
    loaded = read_crn(out)
    assert loaded.n_inputs == 0
    assert loaded.n_outputs == (crn.n_outputs if target == "crn" else 0)
    if target == "crn":
        np.testing.assert_allclose(stable_outputs(loaded), stable_outputs(crn, x[:1]), rtol=1e-12)
    assert "input row 0" in out.read_text()


def test_crn_export_without_inputs_round_trips(run_cli, files):
    crn, crn_path, _, _ = files
    code, stdout, _ = run_cli("export", crn_path, "--to", "crn")
    assert code == 0
    assert parse_crn(stdout) == crn


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--inputs-row", "5"], "has 2 data rows"),
        (["--inputs-row", "-1"], "0-based"),
        (["--to", "json"], "Invalid value for '--to'"),
    ],
)
def test_bad_values_exit_2_without_traceback(run_cli, files, args, message):
    _, crn_path, inputs, _ = files
    code, stdout, stderr = run_cli("export", crn_path, "--inputs", inputs, *args)
    assert code == 2
    assert message in stderr
    assert "Traceback" not in stderr and stdout == ""


def test_row_without_inputs_and_overwriting_an_input_are_refused(run_cli, files):
    _, crn_path, inputs, _ = files
    code, _, stderr = run_cli("export", crn_path, "--inputs-row", "0")
    assert code == 2 and "need --inputs" in stderr
    before = crn_path.read_text()
    code, _, stderr = run_cli("export", crn_path, "--to", "crn", "-o", crn_path)
    assert code == 2 and "overwrite an input file" in stderr
    assert crn_path.read_text() == before


def test_rates_option_sets_the_rate_parameters(run_cli, files):
    from nn2crn.simulate.rates import apply_rates

    crn, crn_path, _, _ = files
    code, stdout, stderr = run_cli("export", crn_path, "--rates", "random:2:0.1:10")
    assert code == 0, stderr
    model = libsbml.readSBMLFromString(stdout).getModel()
    expected = apply_rates(crn, "random:2:0.1:10").rates
    got = np.array([model.getParameter(f"k_{i}").getValue() for i in range(crn.n_reactions)])
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    code, _, stderr = run_cli("export", crn_path, "--rates", "random:2:10:0.1")
    assert code == 2 and "LOW = 10 is greater than HIGH = 0.1" in stderr


def test_omex_archive_of_every_row(run_cli, files, tmp_path):
    pytest.importorskip("libsedml")
    libcombine = pytest.importorskip("libcombine")
    import libsedml

    crn, crn_path, inputs, x = files
    out = tmp_path / "run.omex"
    code, stdout, stderr = run_cli(
        "export", crn_path, "--to", "omex", "--inputs", inputs, "--t-end", 40, "--points", 5, "-o", out
    )
    assert code == 0, stderr
    assert stdout == "" and "COMBINE archive" in stderr and "2 input rows" in stderr
    archive = libcombine.CombineArchive()
    assert archive.initializeFromArchive(str(out))
    document = libsedml.readSedMLFromString(archive.extractEntryToString("simulation.sedml"))
    archive.cleanUp()
    assert document.getSimulation(0).getOutputEndTime() == 40.0
    assert document.getSimulation(0).getNumberOfSteps() == 4
    ranges = {r.getId(): list(r.getValues()) for r in document.getTask("rows").getListOfRanges()}
    assert ranges["row"] == [0.0, 1.0]
    code, _, stderr = run_cli(
        "export",
        crn_path,
        "--to",
        "omex",
        "--inputs",
        inputs,
        "--inputs-row",
        1,
        "--method",
        "ssa",
        "-o",
        out,
    )
    assert code == 0, stderr
    assert "1 input rows, ssa" in stderr


def test_omex_needs_an_output_file_and_input_rows(run_cli, files):
    _, crn_path, inputs, _ = files
    code, _, stderr = run_cli("export", crn_path, "--to", "omex", "--inputs", inputs)
    assert code == 2 and "a COMBINE archive is binary; give -o run.omex" in stderr
    code, _, stderr = run_cli("export", crn_path, "--to", "omex", "-o", "run.omex")
    assert code == 2 and "give their rows with --inputs X.csv" in stderr


def test_wls_export_with_a_loaded_row_has_no_arguments(run_cli, files):
    from nn2crn.crn.wls import parse_wls

    crn, crn_path, inputs, x = files
    code, stdout, stderr = run_cli("export", crn_path, "--to", "wls", "--function", "net", "--inputs", inputs)
    assert code == 0, stderr
    assert "\nnet = {" in stdout and "input row 0" in stdout
    loaded = parse_wls(stdout)
    assert loaded.n_inputs == 0
    np.testing.assert_allclose(stable_outputs(loaded), stable_outputs(crn, x[:1]), rtol=1e-12)
    code, _, stderr = run_cli("export", crn_path, "--to", "wls", "--function", "Sin_x")
    assert code == 2 and "function name 'Sin_x' must be a Mathematica symbol" in stderr


def test_sbml_validate_flag_checks_and_writes_the_same_document(run_cli, files, tmp_path):
    _, crn_path, inputs, _ = files
    plain, validated = tmp_path / "plain.xml", tmp_path / "validated.xml"
    code, _, stderr = run_cli("export", crn_path, "--inputs", inputs, "-o", plain)
    assert code == 0, stderr
    code, _, stderr = run_cli("export", crn_path, "--inputs", inputs, "--validate", "-o", validated)
    assert code == 0, stderr
    assert validated.read_text() == plain.read_text()
    document = libsbml.readSBMLFromString(plain.read_text())
    assert document.getModel().getNumSpecies() > 0
