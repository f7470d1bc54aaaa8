"""COMBINE/OMEX export: archive contents, SED-ML structure, and tellurium running it like nn2crn simulate."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from nn2crn import CRN, InputDataError, Reaction, Signal
from nn2crn.compile import compile_network
from nn2crn.crn.omex import KISAO_CVODE, KISAO_GILLESPIE_DIRECT, to_sedml, write_omex
from nn2crn.nn import random_ternary_network
from nn2crn.simulate.ode import simulate_ode

libsedml = pytest.importorskip("libsedml")
libcombine = pytest.importorskip("libcombine")

TIGHT = {"rtol": 1e-10, "atol": 1e-12}


@pytest.fixture(scope="module")
def crn() -> CRN:
    return compile_network(random_ternary_network((3, 4, 2), rng=np.random.default_rng(8)))


@pytest.fixture(scope="module")
def rows() -> np.ndarray:
    return np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.25], [-0.75, 1.25, 0.5]])


def run_in_tellurium(path) -> dict[str, np.ndarray]:
    """Execute the archive with tellurium's SED-ML executor; data generator values (n_times, n_rows)."""
    pytest.importorskip("tellurium")
    from tellurium.sedml.tesedml import executeCombineArchive

    results = executeCombineArchive(str(path), createOutputs=False)
    (result,) = results.values()
    return {key: np.asarray(value) for key, value in result["dataGenerators"].items()}


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_tellurium_runs_the_archive_and_matches_simulate_ode_for_every_row(crn, rows, tmp_path):
    path = tmp_path / "run.omex"
    write_omex(crn, path, rows, t_end=30.0, n_points=7, **TIGHT, source_name="net.crn")
    generators = run_in_tellurium(path)
    expected = simulate_ode(crn, rows, t_end=30.0, n_points=7, **TIGHT)
    np.testing.assert_allclose(generators["time"][:, 0], expected.times, rtol=1e-12)
    for index, name in enumerate(crn.output_names):
        got = generators[f"output_{name}"]
        assert got.shape == (7, rows.shape[0])
        np.testing.assert_allclose(got[-1], expected.final_outputs[:, index], rtol=0, atol=1e-5)
        np.testing.assert_allclose(got.T, expected.outputs[:, :, index], rtol=0, atol=1e-5)
    assert np.abs(expected.final_outputs).max() > 0.1  # not a comparison of zeros
    assert len({tuple(row) for row in np.round(expected.final_outputs, 6)}) == rows.shape[0]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_tellurium_runs_the_ssa_archive_with_gillespie(tmp_path):
    # Every molecule of x converts to 2 y by t = 60 (probability of a survivor < 1e-20).
    crn = CRN(
        (Reaction(["xp"], [("yp", 2)], 1.0),), inputs=(Signal("x", ("xp",)),), outputs=(Signal("y", ("yp",)),)
    )
    path = tmp_path / "ssa.omex"
    write_omex(crn, path, np.array([[3.0], [7.0]]), t_end=60.0, n_points=4, method="ssa", seed=3)
    generators = run_in_tellurium(path)
    np.testing.assert_array_equal(generators["output_y"][-1], [6.0, 14.0])
    assert np.all(np.diff(generators["output_y"], axis=0) >= 0)


def sedml_document(text: str):
    document = libsedml.readSedMLFromString(text)
    assert document.getNumErrors(libsedml.LIBSEDML_SEV_ERROR) == 0
    return document


def test_sedml_has_the_time_course_repeated_task_and_dual_rail_report(crn, rows):
    document = sedml_document(to_sedml(crn, rows, t_end=50.0, n_points=11, **TIGHT))
    assert (document.getLevel(), document.getVersion()) == (1, 4)
    model = document.getModel(0)
    assert model.getLanguage() == "urn:sedml:language:sbml.level-3.version-2"
    assert model.getSource() == "model.xml"
    simulation = document.getSimulation(0)
    assert simulation.getOutputEndTime() == 50.0 and simulation.getNumberOfSteps() == 10
    algorithm = simulation.getAlgorithm()
    assert algorithm.getKisaoID() == KISAO_CVODE
    parameters = {p.getKisaoID(): float(p.getValue()) for p in algorithm.getListOfAlgorithmParameters()}
    assert parameters == {"KISAO:0000209": 1e-10, "KISAO:0000211": 1e-12}

    repeated = document.getTask("rows")
    assert isinstance(repeated, libsedml.SedRepeatedTask) and repeated.getResetModel()
    ranges = {r.getId(): list(r.getValues()) for r in repeated.getListOfRanges()}
    assert ranges.pop("row") == [0.0, 1.0, 2.0]
    states = crn.initial_state(rows)
    input_species = [name for signal in crn.inputs for name, _ in (*signal.positive, *signal.negative)]
    assert sorted(ranges) == sorted(f"amount_{name}" for name in input_species)
    for name in input_species:
        np.testing.assert_array_equal(ranges[f"amount_{name}"], states[:, crn.species_index[name]])
    targets = [change.getTarget() for change in repeated.getListOfTaskChanges()]
    assert targets == [
        f"/sbml:sbml/sbml:model/sbml:listOfSpecies/sbml:species[@id='{n}']" for n in input_species
    ]
    assert repeated.getSubTask(0).getTask() == "run"

    for signal in crn.outputs:
        generator = document.getDataGenerator(f"output_{signal.name}")
        formula = libsedml.formulaToL3String(generator.getMath())
        (positive, _), (negative, _) = signal.positive[0], signal.negative[0]
        assert formula == f"{signal.name}__{positive} - {signal.name}__{negative}"
        assert {v.getTaskReference() for v in generator.getListOfVariables()} == {"rows"}
    report = document.getOutput(0)
    assert [d.getLabel() for d in report.getListOfDataSets()] == ["time", *crn.output_names]


def test_ssa_uses_gillespie_direct_and_a_crn_without_inputs_needs_no_repeated_task():
    crn = CRN(
        (Reaction(["a", "b"], [("c", 2)], 0.5),),
        initial={"a": 10.0, "b": 5.0},
        outputs=(Signal("y", (("c", 3),), ("a",)),),
    )
    document = sedml_document(to_sedml(crn, t_end=5.0, method="ssa", seed=7))
    algorithm = document.getSimulation(0).getAlgorithm()
    assert algorithm.getKisaoID() == KISAO_GILLESPIE_DIRECT
    assert [(p.getKisaoID(), p.getValue()) for p in algorithm.getListOfAlgorithmParameters()] == [
        ("KISAO:0000488", "7")
    ]
    assert document.getNumTasks() == 1
    formula = libsedml.formulaToL3String(document.getDataGenerator("output_y").getMath())
    assert formula == "3 * y__c - y__a"


def test_an_output_scale_divides_the_data_generator():
    # Rational weights: the species hold scale x the value; the report must give the value.
    crn = CRN(
        (Reaction(["a"], [("c", 2)], 0.5),), initial={"a": 3.0}, outputs=(Signal("y", ("c",), scale=9),)
    )
    document = sedml_document(to_sedml(crn, t_end=5.0))
    formula = libsedml.formulaToL3String(document.getDataGenerator("output_y").getMath())
    assert formula == "y__c / 9"


def test_archive_has_manifest_metadata_model_and_sedml(crn, rows, tmp_path):
    path = tmp_path / "run.omex"
    write_omex(crn, path, rows, t_end=10.0, source_name="models/net.crn")
    with zipfile.ZipFile(path) as zipped:
        assert sorted(zipped.namelist()) == ["manifest.xml", "metadata.rdf", "model.xml", "simulation.sedml"]
    archive = libcombine.CombineArchive()
    assert archive.initializeFromArchive(str(path))
    assert archive.getMasterFile().getLocation() == "simulation.sedml"
    formats = {archive.getEntryByLocation(name).getFormat() for name in ("model.xml", "simulation.sedml")}
    assert formats == {
        libcombine.KnownFormats.lookupFormat("sbml"),
        libcombine.KnownFormats.lookupFormat("sedml"),
    }
    description = archive.getMetadataForLocation(".").getDescription()
    assert description.startswith("Generated by nn2crn ") and "from models/net.crn" in description
    assert "3 input rows" in description
    from nn2crn.crn.sbml_read import parse_sbml

    sbml = archive.extractEntryToString("model.xml")
    assert 'level="3" version="2"' in sbml
    assert parse_sbml(sbml) == crn
    archive.cleanUp()


def test_bad_settings_are_refused(crn, rows, tmp_path):
    with pytest.raises(InputDataError, match="method must be one of ode, ssa, got 'euler'"):
        to_sedml(crn, rows, t_end=1.0, method="euler")
    with pytest.raises(InputDataError, match="t_end must be a finite number > 0, got 0.0"):
        to_sedml(crn, rows, t_end=0.0)
    with pytest.raises(InputDataError, match="n_points must be an integer >= 2, got 1"):
        to_sedml(crn, rows, t_end=1.0, n_points=1)
    with pytest.raises(InputDataError, match="expected 3 columns"):
        to_sedml(crn, rows[:, :2], t_end=1.0)
    with pytest.raises(InputDataError, match="folder .* does not exist"):
        write_omex(crn, tmp_path / "missing" / "run.omex", rows, t_end=1.0)
    with pytest.raises(InputDataError, match="not a regular file"):
        write_omex(crn, tmp_path, rows, t_end=1.0)
