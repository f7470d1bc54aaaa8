"""The `.crn` reader's fast path gives exactly what the general parser gives, errors included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn2crn import NN2CRNError
from nn2crn.compile import compile_network, reduce_crn
from nn2crn.crn import _crn_native, format_crn, parse_crn, read_crn
from nn2crn.crn import text as text_module
from nn2crn.crn.text import _parse_crn
from nn2crn.nn import load_network, random_ternary_network
from tests.helpers import crn_fields

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
MODELS = ROOT / "src" / "nn2crn" / "models"


needs_c = pytest.mark.skipif(
    not _crn_native.available(),
    reason="the C .crn scanner is not built (pip install -e . or python setup.py build_ext --inplace)",
)


@pytest.fixture(autouse=True, params=["per-line", "vectorized", pytest.param("native", marks=needs_c)])
def reader_path(request, monkeypatch):
    """Every test three times: small files through the per-line fast path, and through each
    reader of big files (their size threshold lowered to 0): the numpy tokenizer alone, and
    the C scanner alone (with no numpy fallback, so a case it takes is its own result)."""
    if request.param != "per-line":
        monkeypatch.setattr(text_module, "_VECTOR_MIN_REACTIONS", 0)
        monkeypatch.setattr(text_module, "_CHUNK_BYTES", 40)  # several chunks even for small files
        monkeypatch.setattr(
            text_module, "_FAST_READERS", ("numpy",) if request.param == "vectorized" else ("native",)
        )
    return request.param


def _outcome(text: str, *, fast: bool) -> tuple[object, ...]:
    try:
        return ("ok", crn_fields(_parse_crn(text, "net.crn", fast=fast)))
    except NN2CRNError as error:
        return ("error", type(error).__name__, str(error))


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A folder for read_crn's files (module-scoped: hypothesis tests may use it)."""
    return tmp_path_factory.mktemp("crn")


def _file_outcome(text: str, work: Path) -> tuple[object, ...]:
    """read_crn of `text` written as net.crn (the C scanner then reads the file's bytes)."""
    path = work / "net.crn"
    path.write_bytes(text.encode("utf-8"))
    try:
        return ("ok", crn_fields(read_crn(path)))
    except NN2CRNError as error:
        return ("error", type(error).__name__, str(error).replace(str(path), "net.crn"))


def assert_same_outcome(text: str, work: Path) -> None:
    """parse_crn (fast) and read_crn of the file give what the general parser gives."""
    general = _outcome(text, fast=False)
    assert _outcome(text, fast=True) == general
    if "\r" not in text:  # read_crn reads '\r' as a line break (universal newlines)
        assert _file_outcome(text, work) == general


@pytest.mark.parametrize("path", sorted(DATA.glob("*.crn")), ids=lambda path: path.name)
def test_golden_files(path, work):
    text = path.read_text()
    assert _outcome(text, fast=True)[0] == "ok"
    assert_same_outcome(text, work)


@pytest.mark.parametrize("path", sorted(MODELS.glob("*.json")), ids=lambda path: path.stem)
def test_shipped_models_compiled_and_reduced(path, work):
    crn = compile_network(load_network(path))
    for candidate in (crn, reduce_crn(crn), reduce_crn(crn, keep_inputs=False)):
        for plain in (False, True):
            text = format_crn(candidate, plain=plain)
            assert _outcome(text, fast=True)[0] == "ok"
            assert_same_outcome(text, work)
        assert parse_crn(format_crn(candidate)) == candidate


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), binary=st.booleans(), width=st.integers(1, 6))
def test_random_networks_compiled_and_reduced(work, seed, binary, width):
    network = random_ternary_network((3, width, 2), rng=np.random.default_rng(seed), binary=binary)
    crn = compile_network(network)
    for candidate in (crn, reduce_crn(crn)):
        assert_same_outcome(format_crn(candidate), work)


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
def test_random_text_same_result_or_same_error(work, lines):
    assert_same_outcome("\n".join(lines), work)


def test_fast_path_refusals_keep_the_general_messages(work):
    """Lines the fast regex accepts but whose values must fail still fail with file:line:col."""
    for text, message in [
        ("A -> B [k = 0]", "net.crn:1:13: rate constant must be > 0, found 0"),
        ("A -> B [k = 1e999]", "net.crn:1:13: rate constant must be > 0, found 1e999"),
        ("A -> B\nA @initial 1e13", "net.crn:2:12: initial amount 1e13 is above the limit"),
        ("A -> B\nA @initial 1\nA @initial 2", "net.crn:3:1: initial amount of 'A' is given twice"),
    ]:
        assert _outcome(text, fast=True)[0] == "error"
        assert str(_outcome(text, fast=True)[2]).startswith(message)
        assert_same_outcome(text, work)


def test_repeated_species_in_a_side_add_up():
    crn = parse_crn("A + B + A -> 2 C + C [k = 1]")
    assert crn.reactions[0].reactants == (("A", 2), ("B", 1))
    assert crn.reactions[0].products == (("C", 3),)


# Lines at the edges of the fast grammar: what the C scanner takes beyond the numpy tokenizer
# (names over 32 characters, counts of 9 to 15 digits) and what it must leave to the others.
_EDGE_LINES = [
    " -> B [k = 1]",
    "A ->  [k = 1]",
    "A -> [k = 1]",
    "-> B [k = 1]",
    " ->  [k = 1]",
    "A -> B [k = 1.]",
    "A -> B [k = .5e-3]",
    "A -> B [k = 4.9e-324]",
    "A -> B [k = 1.7976931348623157e308]",
    "A -> B [k = 0.1000000000000000055511151231257827]",
    "A -> B [k = 1e]",
    "A -> B [k = ]",
    "A -> B [k = 1]]",
    "A -> B [k = 1] ",
    "A -> B[k = 1]",
    "A ->B [k = 1]",
    "A-> B [k = 1]",
    "A + -> B [k = 1]",
    "A +  B -> C [k = 1]",
    "2  A -> B [k = 1]",
    "2A -> B [k = 1]",
    "A2 B -> C [k = 1]",
    "0 A -> B [k = 1]",
    "x" * 40 + " -> " + "y" * 200 + " [k = 1]",
    "123456789 A -> 123456789012345 B [k = 1]",
    "1234567890123456 A -> B [k = 1]",
    "9007199254740993 A -> B [k = 1]",
    "99999999999999999999999 A -> B [k = 1]",
    "A -> B [k = 1]\x0cC -> D [k = 1]",
    "A -> B [k = 1]\x1cC -> D [k = 1]",
    "# c\x1dA -> B [k = 1]",
    "A -> B [k = 1]\x00",
    "A -> B [k = 1] # c",
    "A -> B -> C [k = 1]",
    "A -> B [k = 1] [k = 2]",
    "A -> B [k = 1 ]",
    "A -> B [k =  1]",
    "A -> 2 B + B [k = 1]",
    "A + B + A -> C [k = 1]",
    "A -> B [k = 1]\nA -> B [k = 1]",
    "A -> B [k = 1]\n\n# x -> y\ninput u = A - B\noutput v = B\nA @initial 3",
    "A -> B [k = 1]\nB @initial 1\nB @initial 2",
    "A -> B [k = 1]\ninput u = Q",
    "A -> B [k = 1]\nA <=> B [kf = 1, kr = 2]",
    "A -> B [k = 1]\n\u00e9 -> B [k = 1]",
    "A -> B [k = 1]\n# \u00e9",
]


@pytest.mark.parametrize("text", _EDGE_LINES)
def test_edges_of_the_fast_grammar(text, work):
    assert_same_outcome(text, work)


@needs_c
def test_the_c_scanner_takes_what_the_numpy_tokenizer_leaves(monkeypatch):
    monkeypatch.setattr(text_module, "_VECTOR_MIN_REACTIONS", 0)
    for text in (_EDGE_LINES[23], _EDGE_LINES[24]):
        for readers, lazy in ((("native",), True), (("numpy",), False)):
            monkeypatch.setattr(text_module, "_FAST_READERS", readers)
            parsed = _parse_crn(text, "net.crn", fast=True)
            assert ("reactions" not in parsed.__dict__) == lazy
            assert crn_fields(parsed) == crn_fields(_parse_crn(text, "net.crn", fast=False))


def test_read_crn_refusals_and_newlines(work, reader_path):
    """What read_crn's decoding decides (the C scanner reads the raw bytes) stays as it was."""
    many = "".join(f"A{k} -> B{k} [k = 1]\n" for k in range(70))
    path = work / "net.crn"
    path.write_bytes(("A -> " + "B + " * 250_000 + "B [k = 1]\n" + many).encode())
    with pytest.raises(NN2CRNError, match="line 1 is longer than the limit of 1,000,000 characters"):
        read_crn(path)
    path.write_bytes(many.encode() + b"# \xff\n")
    with pytest.raises(NN2CRNError, match="cannot read file"):
        read_crn(path)
    path.write_bytes(many.replace("\n", "\r\n").encode())
    assert crn_fields(read_crn(path)) == crn_fields(parse_crn(many))
    path.write_bytes(many.replace("\n", "\r").encode())
    assert crn_fields(read_crn(path)) == crn_fields(parse_crn(many))


def test_vectorized_path_is_taken_and_equals_the_general_parser(reader_path, work):
    network = random_ternary_network((6, 12, 3), rng=np.random.default_rng(3))
    crn = compile_network(network)
    for candidate in (crn, reduce_crn(crn), reduce_crn(crn, keep_inputs=False)):
        text = format_crn(candidate)
        parsed = _parse_crn(text, "net.crn", fast=True)
        lazy = "_reaction_arrays" in parsed.__dict__ and "reactions" not in parsed.__dict__
        assert lazy == (reader_path != "per-line")
        (work / "net.crn").write_text(text)
        from_file = read_crn(work / "net.crn")
        assert ("reactions" not in from_file.__dict__) == lazy
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
        assert crn_fields(parsed) == crn_fields(general)
        assert crn_fields(from_file) == crn_fields(general)
