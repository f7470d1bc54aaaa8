"""SBML export: libSBML consistency, named parameters, initial amounts, libroadrunner round trip."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from nn2crn import CRN, InputDataError, Reaction, Signal
from nn2crn.compile import compile_network, reduce_crn
from nn2crn.crn.sbml import SBMLExportError, sbml_rate_parameters, to_sbml, write_sbml
from nn2crn.nn import random_ternary_network
from nn2crn.simulate.ode import simulate_ode

libsbml = pytest.importorskip("libsbml")


def nn2crn_trajectory(crn: CRN, x: np.ndarray, times: np.ndarray) -> np.ndarray:
    """nn2crn's own ODE at tight tolerances, shape (n_times, n_species)."""
    trajectory = simulate_ode(crn, x[None, :], t_end=times[-1], times=times, rtol=1e-10, atol=1e-12)
    return trajectory.states[0]


def roadrunner_trajectory(xml: str, crn: CRN, times: np.ndarray) -> np.ndarray:
    roadrunner = pytest.importorskip("roadrunner")
    model = roadrunner.RoadRunner(xml)
    model.integrator.relative_tolerance = 1e-11
    model.integrator.absolute_tolerance = 1e-13
    model.timeCourseSelections = [f"[{name}]" for name in crn.species]
    return np.asarray(model.simulate(times=times.tolist()))


def consistency_issues(xml: str) -> list[str]:
    document = libsbml.readSBMLFromString(xml)
    document.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    document.checkConsistency()
    return [
        f"{document.getError(i).getSeverityAsString()}: {document.getError(i).getMessage()}"
        for i in range(document.getNumErrors())
    ]


def small_networks():
    rng = np.random.default_rng(4)
    compiled = compile_network(random_ternary_network((2, 3, 2), rng=rng))
    deep = compile_network(random_ternary_network((3, 4, 3, 2), rng=rng))
    return {"compiled": compiled, "reduced": reduce_crn(deep), "deep": deep}


# A hand-made CRN with a homodimer, a zero-order source and names that collide with SBML ids.
ODD = CRN(
    (
        Reaction(["A", "A"], ["cell"], 0.5),
        Reaction([], ["k_0"], 0.2),
        Reaction(["cell", "k_0"], [("A", 2)], 3.0),
    ),
    initial={"A": 1.0},
    inputs=(Signal("a", ("A",)),),
    outputs=(Signal("y", ("cell",), ("k_0",)),),
)


@pytest.mark.parametrize("name", ["compiled", "reduced", "deep"])
def test_export_of_compiled_networks_is_consistent_and_complete(name):
    crn = small_networks()[name]
    x = np.linspace(-1.0, 1.5, crn.n_inputs)
    xml = to_sbml(crn, x)
    assert consistency_issues(xml) == []
    model = libsbml.readSBMLFromString(xml).getModel()
    assert model.getNumSpecies() == crn.n_species
    assert model.getNumReactions() == crn.n_reactions
    assert model.getNumCompartments() == 1 and model.getCompartment(0).getSize() == 1.0
    amounts = np.array([model.getSpecies(name_).getInitialAmount() for name_ in crn.species])
    np.testing.assert_allclose(amounts, crn.initial_state(x)[0], rtol=1e-14)
    for index, reaction in enumerate(crn.reactions):
        parameter = model.getParameter(f"k_{index}")
        assert parameter is not None and parameter.getValue() == reaction.rate
        law = model.getReaction(index).getKineticLaw()
        assert libsbml.formulaToL3String(law.getMath()).startswith(f"cell * k_{index} * ")
        assert not model.getReaction(index).getReversible()
        assert all(not model.getSpecies(s).getHasOnlySubstanceUnits() for s, _ in reaction.reactants)


def test_ids_never_collide_with_species_names():
    xml = to_sbml(ODD, [2.0])
    assert consistency_issues(xml) == []
    model = libsbml.readSBMLFromString(xml).getModel()
    assert model.getCompartment(0).getId() == "cell_"
    assert sbml_rate_parameters(ODD) == ("k_0_", "k_1", "k_2")
    assert [model.getParameter(i).getId() for i in range(3)] == ["k_0_", "k_1", "k_2"]
    assert model.getSpecies("A").getInitialAmount() == 3.0  # @initial 1 + input 2
    assert libsbml.formulaToL3String(model.getReaction(0).getKineticLaw().getMath()) == "cell_ * k_0_ * A^2"
    assert libsbml.formulaToL3String(model.getReaction(1).getKineticLaw().getMath()) == "cell_ * k_1"


@pytest.mark.parametrize("name", ["compiled", "reduced", "deep", "odd"])
def test_roadrunner_reproduces_the_trajectories(name):
    crn = ODD if name == "odd" else small_networks()[name]
    x = np.array([0.7]) if name == "odd" else np.linspace(1.2, -0.8, crn.n_inputs)
    times = np.linspace(0.0, 20.0, 41)
    expected = nn2crn_trajectory(crn, x, times)
    got = roadrunner_trajectory(to_sbml(crn, x), crn, times)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)
    assert np.abs(expected[-1]).max() > 0.1  # the comparison is not between two zero arrays


def test_without_inputs_only_fixed_amounts_are_set():
    crn = small_networks()["compiled"]
    model = libsbml.readSBMLFromString(to_sbml(crn)).getModel()
    amounts = np.array([model.getSpecies(s).getInitialAmount() for s in crn.species])
    # libSBML writes doubles with 15 significant digits
    np.testing.assert_allclose(amounts, crn.initial_vector, rtol=1e-14)
    assert "all inputs 0" in model.getNotesString()


def test_more_than_one_input_row_is_refused():
    crn = small_networks()["compiled"]
    with pytest.raises(InputDataError, match="one row of input values, got 2 rows"):
        to_sbml(crn, np.zeros((2, crn.n_inputs)))
    with pytest.raises(InputDataError, match="expected 2 columns"):
        to_sbml(crn, [1.0, 2.0, 3.0])


def test_write_sbml_writes_the_document(tmp_path):
    path = tmp_path / "net.xml"
    write_sbml(ODD, path, [1.0])
    assert path.read_text(encoding="utf-8") == to_sbml(ODD, [1.0])


def test_missing_libsbml_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "libsbml", None)
    with pytest.raises(SBMLExportError, match=r"pip install nn2crn\[sbml\]"):
        to_sbml(ODD, [1.0])


@pytest.mark.parametrize("name", ["compiled", "reduced", "deep", "odd"])
def test_the_consistency_check_is_an_option_that_does_not_change_the_document(name):
    crn = ODD if name == "odd" else small_networks()[name]
    x = np.array([0.7]) if name == "odd" else np.linspace(1.2, -0.8, crn.n_inputs)
    unchecked = to_sbml(crn, x)  # the default: no consistency check
    assert to_sbml(crn, x, check=True) == unchecked
    assert consistency_issues(unchecked) == []
