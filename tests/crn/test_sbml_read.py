"""SBML import: round trips with to_sbml, antimony-built models, and every refused construct."""

from __future__ import annotations

import re

import numpy as np
import pytest

from nn2crn import CRN, Reaction, Signal
from nn2crn._errors import CRNFormatError
from nn2crn.compile import compile_network, reduce_crn
from nn2crn.crn.sbml import to_sbml
from nn2crn.crn.sbml_read import parse_sbml, read_sbml
from nn2crn.nn import random_ternary_network
from nn2crn.simulate import stable_outputs
from nn2crn.simulate.ode import simulate_ode

pytest.importorskip("libsbml")

# A homodimer, a zero-order source, names that collide with SBML ids, rates that need 17 digits.
ODD = CRN(
    (
        Reaction(["A", "A"], ["cell"], 0.1 + 0.2),
        Reaction([], ["k_0"], 1 / 3),
        Reaction(["cell", "k_0"], [("A", 2)], 3.0),
    ),
    initial={"A": 2 / 3},
    inputs=(Signal("a", ("A",)),),
    outputs=(Signal("y", ("cell",), ("k_0",)),),
)


def antimony_sbml(model: str) -> str:
    antimony = pytest.importorskip("antimony")
    if antimony.loadAntimonyString(model) < 0:
        raise AssertionError(antimony.getLastError())
    return antimony.getSBMLString(antimony.getMainModuleName())


def networks() -> dict[str, CRN]:
    rng = np.random.default_rng(11)
    compiled = compile_network(random_ternary_network((3, 4, 2), rng=rng))
    return {"compiled": compiled, "reduced": reduce_crn(compiled), "odd": ODD}


@pytest.mark.parametrize("name", ["compiled", "reduced", "odd"])
@pytest.mark.parametrize("version", [1, 2])
def test_to_sbml_then_read_sbml_gives_an_equal_crn(name, version):
    crn = networks()[name]
    back = parse_sbml(to_sbml(crn, version=version))
    assert back == crn
    assert back.rates.tolist() == crn.rates.tolist()  # full precision, not libSBML's 15 digits
    assert back.species == crn.species


def test_an_output_scale_survives_the_round_trip_and_is_in_the_notes():
    scaled = CRN(ODD.reactions, ODD.initial, ODD.inputs, (Signal("y", ("cell",), ("k_0",), scale=3),))
    text = to_sbml(scaled)
    assert "output y = (cell - k_0) / 3.0" in text
    back = parse_sbml(text)
    assert back == scaled and back.outputs[0].scale == 3.0


def test_without_the_annotation_numbers_agree_to_15_digits_and_signals_are_gone():
    libsbml = pytest.importorskip("libsbml")
    document = libsbml.readSBMLFromString(to_sbml(ODD))
    document.getModel().unsetAnnotation()
    back = parse_sbml(libsbml.writeSBMLToString(document))
    assert back.inputs == () and back.outputs == ()
    np.testing.assert_allclose(back.rates, ODD.rates, rtol=1e-14)
    assert [(r.reactants, r.products) for r in back.reactions] == [
        (r.reactants, r.products) for r in ODD.reactions
    ]


def test_a_loaded_input_row_reads_back_as_initial_amounts_without_inputs():
    crn = networks()["compiled"]
    x = np.array([0.5, -1.25, 2.0])
    back = parse_sbml(to_sbml(crn, x))
    assert back.inputs == () and back.outputs == crn.outputs
    np.testing.assert_array_equal(back.initial_state(None)[0], crn.initial_state(x[None, :])[0])
    np.testing.assert_allclose(stable_outputs(back), stable_outputs(crn, x[None, :]), rtol=1e-12)


def test_an_antimony_model_reads_in_and_simulates_like_roadrunner(tmp_path):
    roadrunner = pytest.importorskip("roadrunner")
    xml = antimony_sbml(
        """
        compartment box = 2.5;
        A in box; B in box; C in box; D in box;
        J0: A + B -> C; box * k1 * A * B;
        J1: 2 C => D; k2 * C^2;
        J2: D -> A; box * kf * D - box * kr * A;
        k1 = 0.5; k2 = 2; kf = 1; kr = 0.25;
        A = 1; B = 2; C = 0; D = 0.5;
        """
    )
    path = tmp_path / "model.xml"
    path.write_text(xml)
    crn = read_sbml(path)
    assert crn.species == ("A", "B", "C", "D")
    # k2 * C^2 without the compartment factor: d[C]/dt = -2 k2 [C]^2 / box
    assert [str(r) for r in crn.reactions] == [
        "A + B -> C [k = 0.5]",
        "2 C -> D [k = 0.8]",
        "D -> A",
        "A -> D [k = 0.25]",
    ]
    times = np.linspace(0.0, 5.0, 11)
    runner = roadrunner.RoadRunner(xml)
    runner.integrator.relative_tolerance = 1e-10
    runner.integrator.absolute_tolerance = 1e-12
    runner.timeCourseSelections = ["[A]", "[B]", "[C]", "[D]"]
    expected = np.asarray(runner.simulate(times=times.tolist()))
    got = simulate_ode(crn, t_end=5.0, times=times, rtol=1e-10, atol=1e-12).states[0]
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


def test_substance_only_species_use_amounts():
    xml = antimony_sbml(
        """
        compartment box = 4; substanceOnly species A in box, B in box;
        J0: A -> B; k * A; J1: 2 B => A; box * q * B^2;
        k = 0.5; q = 0.25; A = 3; B = 0;
        """
    )
    crn = parse_sbml(xml)
    assert crn.initial == {"A": 3.0}
    assert [r.rate for r in crn.reactions] == [0.5, 1.0]


def line_of(xml: str, needle: str) -> int:
    return xml[: xml.index(needle)].count("\n") + 1


BASE = "A = 1; B = 0; k = 1;"


@pytest.mark.parametrize(
    ("model", "needle", "message"),
    [
        (f"J0: A -> B; k*A; {BASE} C := 2*A", "<assignmentRule", r"<assignmentRule> for 'C': rules are not"),
        (f"J0: A -> B; k*A; {BASE} E0: at time > 1: A = 2", "<event", r"<event> id 'E0': events are not"),
        (
            f"J0: A -> B; k*A/(1+A); {BASE}",
            "<reaction",
            r"<reaction> id 'J0': kinetic law 'k \* A / \(1 \+ A\)'",
        ),
        (f"J0: A -> B; k*A*B; {BASE}", "<reaction", r"id 'J0': kinetic law term 'k \* A \* B' is not mass"),
        (
            f"J0: A -> B; k*A; {BASE} k2 = 1; k2' = 1",
            "<rateRule",
            r"<rateRule> for 'k2': rules are not supported",
        ),
        (
            "compartment c1 = 1, c2 = 1; A in c1; B in c2; J0: A -> B; k*A; " + BASE,
            'id="c2"',
            r"<compartment> id 'c2': the model has 2 compartments",
        ),
        (f"J0: A -> $B; k*A; {BASE}", 'id="B"', r"<species> id 'B': boundary species"),
        (
            f"function f(x, y) x*y; end; J0: A -> B; f(k, A); {BASE}",
            "<functionDefinition",
            r"<functionDefinition> id 'f': function definitions",
        ),
        (
            f"J0: A -> B; k*A; {BASE} A = 2 * k",
            "<initialAssignment",
            r"<initialAssignment> for 'A': initial assignments",
        ),
        (f"J0: A -> B; k*A*C; {BASE} var C; C = 1", "<reaction", r"uses 'C', which is not a species"),
        (f"J0: 0.5 A -> B; k*A; {BASE}", "<reaction", r"stoichiometry 0.5 of 'A' is not a positive integer"),
        (f"J0: A -> B; k*A*D; {BASE} D = 1; J1: D -> ; k*D", "<reaction", r"id 'J0': modifier species 'D'"),
        ("J0: A -> B; k*A; A = 1; k = 1", 'id="B"', r"<species> id 'B': the species has no initial amount"),
    ],
)
def test_unsupported_constructs_name_the_element_id_and_line(tmp_path, model, needle, message):
    xml = antimony_sbml(model)
    path = tmp_path / "bad.xml"
    path.write_text(xml)
    with pytest.raises(CRNFormatError, match=message) as raised:
        read_sbml(path)
    where = re.match(r"(.*?):(\d+): ", str(raised.value))
    assert where is not None and where.group(1) == str(path)
    assert int(where.group(2)) == line_of(xml, needle)


def test_variable_stoichiometry_and_constant_species_are_refused():
    libsbml = pytest.importorskip("libsbml")
    document = libsbml.readSBMLFromString(to_sbml(ODD, version=2))
    reaction = document.getModel().getReaction(2)
    reaction.getReactant(0).setConstant(False)
    with pytest.raises(CRNFormatError, match=r"<reaction> id 'r_2': species reference 'cell_?' has variable"):
        parse_sbml(libsbml.writeSBMLToString(document))
    document = libsbml.readSBMLFromString(to_sbml(ODD, version=2))
    document.getModel().getSpecies("A").setConstant(True)
    with pytest.raises(CRNFormatError, match=r"<species> id 'A': constant species are not supported"):
        parse_sbml(libsbml.writeSBMLToString(document))


def test_broken_files_are_refused_with_the_file_name(tmp_path):
    with pytest.raises(CRNFormatError, match=r"missing\.xml: no such file"):
        read_sbml(tmp_path / "missing.xml")
    with pytest.raises(CRNFormatError, match=r"<string>:\d+: not a valid SBML document"):
        parse_sbml("<sbml>")
    (tmp_path / "empty.xml").write_text(
        antimony_sbml("A = 1").replace("<model", "<!--").replace("</model>", "-->")
    )
    with pytest.raises(CRNFormatError, match="(no <model>|not a valid SBML)"):
        read_sbml(tmp_path / "empty.xml")


def test_reading_works_once_libcombine_and_libsedml_are_loaded():
    # Loading them (as OMEX export does) breaks libSBML's ASTNode.getType() in this process.
    pytest.importorskip("libcombine")
    pytest.importorskip("libsedml")
    xml = antimony_sbml(
        "J0: 2 A -> B; k * A^2 - kr * B; J1: B -> A; k * pow(B, 1); k = 1; kr = 2; A = 1; B = 0"
    )
    assert [str(r) for r in parse_sbml(xml).reactions] == ["2 A -> B", "B -> 2 A [k = 2.0]", "B -> A"]
    assert parse_sbml(to_sbml(ODD)) == ODD
