"""CRNSimulator .wls/.m files: hand-written files read to the CRN meant, errors with file:line:col, round trip."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn import CRN, Reaction, Signal
from nn2crn._errors import CRNFormatError, CRNStructureError
from nn2crn.compile import compile_network, reduce_crn
from nn2crn.crn.wls import (
    format_wls,
    parse_wls,
    parse_wls_functions,
    read_wls,
    rename_species,
    wls_species_names,
)
from nn2crn.nn import random_ternary_network
from nn2crn.simulate import stable_outputs

# One ReLU node h = max(0, x0 - x1 + 0.5) copied to the output y, as the authors write them.
RELU_FILE = """\
(* ::Package:: *)
(* ReLU of x0 - x1 + 1/2 (* a nested comment *) *)
Needs["CRNSimulator`"];

relu[x0SposInitial_, x0SnegInitial_, x1SposInitial_, x1SnegInitial_] := {
  conc[x0Spos, x0SposInitial], conc[x0Sneg, x0SnegInitial],
  conc[x1Spos, x1SposInitial], conc[x1Sneg, x1SnegInitial],
  rxn[x0Spos, zSpos, 1], rxn[x0Sneg, zSneg, 1],
  rxn[x1Spos, zSneg, 1], rxn[x1Sneg, zSpos, 1],
  conc[zSpos, 0.5],
  rxn[zSpos, m + ySpos, 1],
  rxn[m + zSneg, ySneg, 1]
};
"""

RELU_CRN = CRN(
    (
        Reaction(["x0Spos"], ["zSpos"]),
        Reaction(["x0Sneg"], ["zSneg"]),
        Reaction(["x1Spos"], ["zSneg"]),
        Reaction(["x1Sneg"], ["zSpos"]),
        Reaction(["zSpos"], ["m", "ySpos"]),
        Reaction(["m", "zSneg"], ["ySneg"]),
    ),
    initial={"zSpos": 0.5},
    inputs=(Signal("x0", ("x0Spos",), ("x0Sneg",)), Signal("x1", ("x1Spos",), ("x1Sneg",))),
    outputs=(Signal("y", ("ySpos",), ("ySneg",)),),
)


def test_a_hand_written_relu_reads_to_the_crn_meant(tmp_path):
    path = tmp_path / "relu.wls"
    path.write_text(RELU_FILE)
    crn = read_wls(path)
    assert crn == RELU_CRN
    x = np.array([[1.0, 0.25], [-2.0, 0.0], [0.0, 3.0]])
    np.testing.assert_allclose(stable_outputs(crn, x)[:, 0], np.maximum(0, x[:, 0] - x[:, 1] + 0.5))


def test_syntax_of_the_subset():
    text = """
    (* several functions; counts as "2 d" and "2*d"; revrxn; 0 for nothing; conc of a list *)
    first[aInitial_] := {conc[a, aInitial], rxn[a + b, c + 2 d, 1], rxn[0, b, 0.5], conc[{b, c}, 2.5*^-1]};
    second = {revrxn[c, 2*e, 1.5, .25], rxn[e + e, 0, 3]}
    """
    functions = parse_wls_functions(text)
    assert [(f.name, f.arguments, f.line) for f in functions] == [
        ("first", ("aInitial",), 3),
        ("second", (), 4),
    ]
    first = parse_wls(text, function="first")
    assert first == CRN(
        (Reaction(["a", "b"], ["c", ("d", 2)]), Reaction([], ["b"], 0.5)),
        initial={"b": 0.25, "c": 0.25},
        inputs=(Signal("a", ("a",)),),
    )
    second = parse_wls(text, function="second")
    assert second.reactions == (
        Reaction(["c"], [("e", 2)], 1.5),
        Reaction([("e", 2)], ["c"], 0.25),
        Reaction([("e", 2)], [], 3.0),
    )
    assert second.inputs == () and second.outputs == ()


def test_outputs_are_rail_pairs_produced_and_never_consumed():
    text = """f[xSposInitial_] := {conc[xSpos, xSposInitial], rxn[xSpos, aSpos + bSneg + cSpos, 1],
    rxn[cSpos, dSneg, 1], rxn[bSneg + q, r, 1]}"""
    crn = parse_wls(text)
    assert crn.inputs == (Signal("x", ("xSpos",)),)  # single rail: only the Spos argument
    # a: produced, never consumed (its Sneg rail does not occur: it stays 0); b is consumed; c too.
    assert crn.outputs == (Signal("a", ("aSpos",), ("aSneg",)), Signal("d", ("dSpos",), ("dSneg",)))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("f[a_] := {rxn[b, c, 1], conc[b, Sin[2]]}", r"t\.wls:1:33: 'Sin' is not a pattern argument of f"),
        ("f = {rxn[b, c, -1]}", r"t\.wls:1:16: unexpected character '-'"),
        ("f = {rxn[b, c, 0]}", r"t\.wls:1:16: rate constant must be > 0, found 0"),
        (
            "f = {rxn[2.5 b, c, 1]}",
            r"t\.wls:1:10: stoichiometric coefficient must be a positive integer, found 2.5",
        ),
        ("f = {term[x, 2 x]}", r"t\.wls:1:6: 'term' is not supported; only rxn"),
        ("f = {term[x, -2 x[t]]}", r"t\.wls:1:14: unexpected character '-'"),
        (
            "f = {rxn[b, c, 1]}\nSimulateRxnsys[f, 10]",
            r"t\.wls:2:1: SimulateRxnsys\[\.\.\.\] is not a definition",
        ),
        ('f = {rxn[b, c, 1]}\nx = Import["a.txt"]', r"t\.wls:2:5: expected '\{' opening the list"),
        ("f = {rxn[b, c, 1]} g = {}", r"t\.wls:1:20: expected ';' between statements, found 'g'"),
        ("f = {rxn[b, c, 1]}\ng = {}", r"t\.wls: the file defines 2 functions"),
        (
            "f[a_] := {rxn[a, c, 1]}",
            r"t\.wls:1:15: 'a' is a pattern argument \(a number when the function runs\)",
        ),
        ("f[a_] := {rxn[b, c, 1]}", r"t\.wls:1:3: pattern argument 'a' is never loaded"),
        (
            "f = {rxn[b, c, 1], conc[b, 1], conc[b, 2]}",
            r"t\.wls:1:37: conc of 'b' is given twice \(first on line 1\)",
        ),
        ("(* open comment\nf = {}", r"t\.wls:1:1: comment '\(\*' is never closed"),
        ("f = {rxn[0, 0, 1]}", r"t\.wls:1:6: a reaction needs at least one reactant or product"),
        ("f = {rxn[b, c, 1]};\nf = {}", r"t\.wls:2: function 'f' is defined twice \(first on line 1\)"),
        (
            "f[xSnegInitial_] := {conc[xSneg, xSnegInitial]}",
            r"t\.wls:1: function f: input 'x' has only a negative",
        ),
        ('Needs["CRNSimulator`"];', r"t\.wls: no reaction system is defined"),
        (
            "f = {rxn[b, c, 1]}; g = {}",
            r"t\.wls: the file defines 2 functions \(f, g\); pick one with --function",
        ),
        (
            "f = {rxn[b, c, 1], }",
            r"t\.wls:1:20: expected rxn\[\.\.\.\], revrxn\[\.\.\.\] or conc\[\.\.\.\], found '\}'",
        ),
        ("f = {rxn[b, c, 1]", r"t\.wls:1:18: expected '\]' closing rxn|t\.wls:1:18: expected ',' or '\}'"),
    ],
)
def test_anything_outside_the_subset_is_refused_with_its_position(text, message):
    with pytest.raises(CRNFormatError, match=message):
        parse_wls(text, source="t.wls")


def test_errors_show_the_line_with_a_caret():
    with pytest.raises(CRNFormatError) as raised:
        parse_wls("f = {\n  rxn[b, c, 1],\n  rxn[b c, 1]\n}", source="t.wls")
    assert str(raised.value) == (
        "t.wls:3:9: expected ',' between reactants and products, found 'c'\n      rxn[b c, 1]\n            ^"
    )


def test_function_selection_and_missing_files(tmp_path):
    text = "f = {rxn[b, c, 1]}; g = {rxn[c, b, 2]}"
    assert parse_wls(text, function="g").reactions == (Reaction(["c"], ["b"], 2.0),)
    with pytest.raises(CRNFormatError, match=r"no function 'h'; the file defines f, g"):
        parse_wls(text, function="h")
    with pytest.raises(CRNFormatError, match=r"net\.m: no such file; give the path of a CRNSimulator"):
        read_wls(tmp_path / "net.m")


@pytest.mark.parametrize("kind", ["compiled", "reduced"])
def test_format_wls_reads_back_to_the_same_crn_under_the_renaming(kind):
    crn = compile_network(random_ternary_network((3, 4, 2), rng=np.random.default_rng(5)))
    crn = reduce_crn(crn) if kind == "reduced" else crn
    names = wls_species_names(crn)
    assert names["x0p"] == "x0Spos" and names["y1n"] == "y1Sneg"
    assert kind == "reduced" or names["z1_0p"] == "z1U0p"
    text = format_wls(crn, "net", header="a test")
    assert 'Needs["CRNSimulator`"];' in text
    assert text.count("net[") == 2  # the definition and the example call in the comment
    back = parse_wls(text, function="net")
    assert back == rename_species(crn, names)
    x = np.array([[0.5, -1.0, 2.0]])
    np.testing.assert_allclose(stable_outputs(back, x), stable_outputs(crn, x), rtol=1e-12)


def test_writer_keeps_full_precision_and_avoids_clashing_names():
    crn = CRN(
        (Reaction(["D", "aSpos"], ["D_"], 1e-7), Reaction(["_q"], ["D"], 0.1 + 0.2)),
        initial={"D": 1 / 3},
    )
    names = wls_species_names(crn)
    assert names == {"D": "DX", "aSpos": "aSposX", "D_": "DU", "_q": "Uq"}
    text = format_wls(crn)
    assert "rxn[DX + aSposX, DU, 1.*^-7]" in text and "conc[DX, 0.3333333333333333]" in text
    assert "crn = {" in text
    back = parse_wls(text)
    assert back == rename_species(crn, names)
    assert back.rates.tolist() == crn.rates.tolist()


def test_writer_refuses_what_crnsimulator_cannot_say():
    crn = CRN((Reaction(["a"], ["b"]),), inputs=(Signal("x", ("a", "b")),))
    with pytest.raises(CRNStructureError, match=r"signal x: CRNSimulator files name rails by species"):
        format_wls(crn)
    crn = CRN((Reaction(["a"], ["b"]),), initial={"a": 1.0}, inputs=(Signal("x", ("a",)),))
    with pytest.raises(CRNStructureError, match=r"input x: rail a has a fixed @initial amount"):
        format_wls(crn)
    with pytest.raises(CRNStructureError, match=r"function name 'rxn' must be a Mathematica symbol"):
        format_wls(RELU_CRN, "rxn")
    with pytest.raises(CRNStructureError, match=r"function name 'm' is also a species name"):
        format_wls(RELU_CRN, "m")
