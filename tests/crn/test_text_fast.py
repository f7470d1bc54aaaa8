"""The `.crn` reader's fast path gives exactly what the general parser gives, errors included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn2crn import NN2CRNError
from nn2crn.compile import compile_network, reduce_crn
from nn2crn.crn import CRN, format_crn, parse_crn
from nn2crn.crn import text as text_module
from nn2crn.crn.text import _parse_crn
from nn2crn.nn import load_network, random_ternary_network

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
MODELS = ROOT / "src" / "nn2crn" / "models"


@pytest.fixture(autouse=True, params=["per-line", "vectorized"])
def reader_path(request, monkeypatch):
    """Every test twice: small files through the per-line fast path, and through the
    vectorized tokenizer of big files (its size threshold lowered to 0)."""
    if request.param == "vectorized":
        monkeypatch.setattr(text_module, "_VECTOR_MIN_REACTIONS", 0)
        monkeypatch.setattr(text_module, "_CHUNK_BYTES", 40)  # several chunks even for small files
    return request.param


def _fields(crn: CRN) -> tuple[object, ...]:
    """Everything a CRN holds, in order (CRN equality ignores the species order)."""
    return (
        crn.species,
        crn.reactions,
        tuple(crn.initial.items()),
        crn.inputs,
        crn.outputs,
        crn.raw_inputs,
    )


def _outcome(text: str, *, fast: bool) -> tuple[object, ...]:
    try:
        return ("ok", _fields(_parse_crn(text, "net.crn", fast=fast)))
    except NN2CRNError as error:
        return ("error", type(error).__name__, str(error))


def assert_same_outcome(text: str) -> None:
    assert _outcome(text, fast=True) == _outcome(text, fast=False)


@pytest.mark.parametrize("path", sorted(DATA.glob("*.crn")), ids=lambda path: path.name)
def test_golden_files(path):
    text = path.read_text()
    assert _outcome(text, fast=True)[0] == "ok"
    assert_same_outcome(text)


@pytest.mark.parametrize("path", sorted(MODELS.glob("*.json")), ids=lambda path: path.stem)
def test_shipped_models_compiled_and_reduced(path):
    crn = compile_network(load_network(path))
    for candidate in (crn, reduce_crn(crn), reduce_crn(crn, keep_inputs=False)):
        for plain in (False, True):
            text = format_crn(candidate, plain=plain)
            assert _outcome(text, fast=True)[0] == "ok"
            assert_same_outcome(text)
        assert parse_crn(format_crn(candidate)) == candidate


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), binary=st.booleans(), width=st.integers(1, 6))
def test_random_networks_compiled_and_reduced(seed, binary, width):
    network = random_ternary_network((3, width, 2), rng=np.random.default_rng(seed), binary=binary)
    crn = compile_network(network)
    for candidate in (crn, reduce_crn(crn)):
        assert_same_outcome(format_crn(candidate))


# Pieces of lines, regular ones (as format_crn writes them) and irregular ones, including
# values that must fail: zero, huge or leading-zero counts, bad rates, repeated species.
_NAMES = st.sampled_from(["A", "B", "x0p", "y0n", "_z9", "input", "output", "k", "scale", "e5"])
_COUNTS = st.sampled_from(
    ["", "", "", "2 ", "12 ", "999999 ", "1000000 ", "1000001 ", "0 ", "07 ", "1e2 ", "2"]
)
_RATES = st.sampled_from(
    ["1", "0.5", "2.5e-3", "1e-05", "0", "00", "1e999", ".5", "5.", "1" * 101, "1.0e+20", "-1"]
)
_REGULAR_COUNTS = st.sampled_from(["", "", "2 ", "12 ", "999999 "])
_SEPARATORS = st.sampled_from([" + ", " + ", " + ", "+", "  +  ", " - "])
_ARROWS = st.sampled_from([" -> ", " -> ", " -> ", "->", " <=> ", " => "])


@st.composite
def _side(draw: st.DrawFn, *, regular: bool) -> str:
    counts = _REGULAR_COUNTS if regular else _COUNTS
    terms = [draw(counts) + draw(_NAMES) for _ in range(draw(st.integers(0, 4)))]
    return (" + " if regular else draw(_SEPARATORS)).join(terms)


@st.composite
def _line(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["reaction"] * 6 + ["initial", "input", "output", "comment", "blank", "odd"]))
    if kind == "reaction":
        if draw(st.sampled_from([True, True, True, False])):
            # As format_crn writes it (the fast path), with good and bad values.
            reaction = f"{draw(_side(regular=True))} -> {draw(_side(regular=True))}".strip()
            return f"{reaction} [k = {draw(_RATES)}]"
        rates = draw(st.sampled_from(["[k = {}]", "[k = {}]", "[{}]", "[k={}]", "", "[kf = {}, kr = 2]"]))
        text = f"{draw(_side(regular=False))}{draw(_ARROWS)}{draw(_side(regular=False))} {rates.format(draw(_RATES))}"
        return text.strip() if draw(st.booleans()) else text
    if kind == "initial":
        marker = draw(st.sampled_from(["@initial", "@initial", "@i"]))
        amount = draw(st.sampled_from(["0", "1.25", "2", "1e12", "1e13", "1e999", "-1", "1" * 101]))
        return f"{draw(_NAMES)} {marker} {amount}"
    if kind in ("input", "output"):
        scale = draw(st.sampled_from(["", "", " [scale = 12]"]))
        return f"{kind} {draw(_NAMES)} = {draw(_NAMES)} - {draw(_NAMES)}{scale}"
    if kind == "comment":
        return draw(st.sampled_from(["# a comment", "A -> B [k = 1] # trailing", "  # indented"]))
    if kind == "blank":
        return draw(st.sampled_from(["", "   ", "\t"]))
    return draw(
        st.sampled_from(["A -> B; B -> C", "A -> B [k = 1];", "A @initial 1; B @i 2", "A -> B\r", "\u2028"])
    )


@settings(max_examples=400, deadline=None)
@given(lines=st.lists(_line(), max_size=12))
def test_random_text_same_result_or_same_error(lines):
    assert_same_outcome("\n".join(lines))


def test_fast_path_refusals_keep_the_general_messages():
    """Lines the fast regex accepts but whose values must fail still fail with file:line:col."""
    for text, message in [
        ("A -> B [k = 0]", "net.crn:1:13: rate constant must be > 0, found 0"),
        ("A -> B [k = 1e999]", "net.crn:1:13: rate constant must be > 0, found 1e999"),
        ("A -> B\nA @initial 1e13", "net.crn:2:12: initial amount 1e13 is above the limit"),
        ("A -> B\nA @initial 1\nA @initial 2", "net.crn:3:1: initial amount of 'A' is given twice"),
    ]:
        assert _outcome(text, fast=True)[0] == "error"
        assert str(_outcome(text, fast=True)[2]).startswith(message)
        assert_same_outcome(text)


def test_repeated_species_in_a_side_add_up():
    crn = parse_crn("A + B + A -> 2 C + C [k = 1]")
    assert crn.reactions[0].reactants == (("A", 2), ("B", 1))
    assert crn.reactions[0].products == (("C", 3),)


def test_vectorized_path_is_taken_and_equals_the_general_parser(reader_path):
    network = random_ternary_network((6, 12, 3), rng=np.random.default_rng(3))
    crn = compile_network(network)
    for candidate in (crn, reduce_crn(crn), reduce_crn(crn, keep_inputs=False)):
        text = format_crn(candidate)
        parsed = _parse_crn(text, "net.crn", fast=True)
        lazy = "_reaction_arrays" in parsed.__dict__ and "reactions" not in parsed.__dict__
        assert lazy == (reader_path == "vectorized")
        # Checked before the reactions are built (check and eval never build them) ...
        general = _parse_crn(text, "net.crn", fast=False)
        assert parsed.n_reactions == general.n_reactions
        np.testing.assert_array_equal(parsed.rates, general.rates)
        np.testing.assert_array_equal(parsed.reactant_columns, general.reactant_columns)
        np.testing.assert_array_equal(parsed.reactant_powers, general.reactant_powers)
        for side in ("reactant_terms", "product_terms"):
            ours, theirs = getattr(parsed, side), getattr(general, side)
            for name in ("indptr", "indices", "data"):
                np.testing.assert_array_equal(getattr(ours, name), getattr(theirs, name))
        # ... and the reactions, built on first use, are the general parser's.
        assert _fields(parsed) == _fields(general)
