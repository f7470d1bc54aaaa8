"""The .crn text format: parsing, writing, round trips, errors, crnverifier compatibility."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn2crn import CRNFormatError
from nn2crn.compile import compile_network, reduce_crn
from nn2crn.crn import CRN, Reaction, Signal, format_crn, parse_crn, read_crn, write_crn
from nn2crn.nn import Layer, Network, random_ternary_network

DATA = Path(__file__).parent.parent / "data"


def test_full_syntax():
    crn = parse_crn(
        """
        # a comment line
        input x0 = x0p - x0n        # dual rail
        input x1 = (a + 2 b) - c    ; output y = yp - (yn + yq)
        A + 2 B -> C + D [k = 0.5]; C <=> D [kf = 1, kr = 2.5e-3]
        -> A [k = 3]
        B -> ; 2A -> B [1.5]
        A @initial 1.25
        B @i 3
        x0p @i 0; x0n @i 0; a @i 0; b @i 0; c @i 0; yp @i 0; yn @i 0; yq @i 0
        """
    )
    assert crn.reactions == (
        Reaction((("A", 1), ("B", 2)), (("C", 1), ("D", 1)), 0.5),
        Reaction((("C", 1),), (("D", 1),), 1.0),
        Reaction((("D", 1),), (("C", 1),), 2.5e-3),
        Reaction((), (("A", 1),), 3.0),
        Reaction((("B", 1),), (), 1.0),
        Reaction((("A", 2),), (("B", 1),), 1.5),
    )
    assert dict(crn.initial) == {"A": 1.25, "B": 3.0}
    assert crn.inputs == (
        Signal("x0", (("x0p", 1),), (("x0n", 1),)),
        Signal("x1", (("a", 1), ("b", 2)), (("c", 1),)),
    )
    assert crn.outputs == (Signal("y", (("yp", 1),), (("yn", 1), ("yq", 1))),)


def test_input_amounts_add_to_initial_amounts():
    crn = parse_crn("input x = (a + 2 b) - c\na @initial 1\na -> d\nb @i 0; c @i 0")
    state = crn.initial_state([[2.0], [-0.5]])
    index = crn.species_index
    assert state[0, index["a"]] == 3.0 and state[0, index["b"]] == 4.0 and state[0, index["c"]] == 0.0
    assert state[1, index["a"]] == 1.0 and state[1, index["c"]] == 0.5


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("A + -> B", ":1:5:", "expected a species name"),
        ("A -> B\nA B -> C", ":2:3:", "expected '->' or '<=>'"),
        ("A -> B [k = 0]", ":1:13:", "rate constant must be > 0"),
        ("A -> B [kf = 1]", ":1:9:", "unknown rate name 'kf'; expected k"),
        ("A <=> B [k = 1]", ":1:10:", "unknown rate name 'k'"),
        ("A -> B [k = 1", ":1:14:", "expected ',' or ']'"),
        ("A @initial -1", ":1:12:", "initial amounts must be >= 0"),
        ("A @initial", ":1:11:", "expected an initial amount"),
        ("A @initial 1\nA @i 2", ":2:1:", "given twice"),
        ("A -> 2.5 B", ":1:6:", "positive integer"),
        ("A -> 0 B", ":1:6:", "positive integer"),
        ("A -> B $", ":1:8:", "unexpected character '$'"),
        ("input x =", ":1:10:", "expected a species name"),
        ("input x = a - b\ninput x = c", ":2:7:", "already declared on line 1"),
        ("output y = (a + b", ":1:18:", "'+' or ')'"),
        ("output y = a - b c", ":1:18:", "end of the line"),
        ("->", ":1:1:", "at least one reactant or product"),
    ],
)
def test_syntax_errors_give_file_line_column(text, where, what):
    with pytest.raises(CRNFormatError) as error:
        parse_crn(text, source="net.crn")
    message = str(error.value)
    assert message.startswith("net.crn" + where), message
    assert what in message
    assert "^" in message  # the caret under the offending token


def test_missing_file_is_a_format_error(tmp_path):
    with pytest.raises(CRNFormatError, match="no such file"):
        read_crn(tmp_path / "absent.crn")


@st.composite
def crns(draw):
    names = st.sampled_from(["A", "B", "C", "xp", "xn", "y_1", "Z9"])
    terms = st.lists(st.tuples(names, st.integers(1, 3)), max_size=3)
    rates = st.floats(1e-6, 1e6, allow_nan=False, allow_infinity=False)
    reactions = draw(
        st.lists(
            st.builds(Reaction, terms, terms, rates).filter(lambda r: r.reactants or r.products), max_size=6
        )
    )
    initial = draw(st.dictionaries(names, st.floats(0, 1e9, allow_nan=False), max_size=4))
    return CRN(tuple(reactions), initial)


@settings(max_examples=100, deadline=None)
@given(crns())
def test_written_text_reads_back_to_an_equal_crn(crn):
    assert parse_crn(format_crn(crn)) == crn


def test_compiled_and_reduced_crns_round_trip(tmp_path, rng):
    network = random_ternary_network((5, 6, 6, 3), rng=rng)
    compiled = compile_network(network)
    for crn in (compiled, reduce_crn(compiled), reduce_crn(compiled, keep_inputs=False)):
        path = tmp_path / "net.crn"
        write_crn(crn, path)
        back = read_crn(path)
        assert back == crn
        x = rng.normal(size=(4, 5))
        assert np.array_equal(
            back.read_outputs(back.initial_state(x)), crn.read_outputs(crn.initial_state(x))
        )


def test_golden_file_for_a_small_network():
    layers = (
        Layer(np.array([[1.0, -1.0], [0.0, 1.0]]), np.array([0.5, -2.0])),
        Layer(np.array([[1.0, -1.0], [-1.0, 0.0]]), np.array([0.0, 0.25]), "linear"),
    )
    text = format_crn(compile_network(Network(layers)))
    golden = (DATA / "tiny-2-2-2.crn").read_text()
    assert text.splitlines()[1:] == golden.splitlines()[1:]  # line 0 names the version
    reduced = format_crn(reduce_crn(compile_network(Network(layers))))
    assert reduced.splitlines()[1:] == (DATA / "tiny-2-2-2-reduced.crn").read_text().splitlines()[1:]


def test_plain_output_is_accepted_by_crnverifier(rng):
    crnverifier = pytest.importorskip("crnverifier.utils")
    network = random_ternary_network((3, 4, 2), rng=rng)
    for crn in (compile_network(network), reduce_crn(compile_network(network), keep_inputs=False)):
        text = format_crn(crn, plain=True)
        assert "\ninput " not in text and "\noutput " not in text
        reactions, species = crnverifier.parse_crn(text)
        assert len(reactions) == crn.n_reactions
        assert species == set(crn.species) - {
            name
            for name in crn.species
            if not any(name in dict(r.reactants) or name in dict(r.products) for r in crn.reactions)
            and name not in crn.initial
        }
        ours = sorted(
            (
                sorted(n for n, c in r.reactants for _ in range(c)),
                sorted(n for n, c in r.products for _ in range(c)),
            )
            for r in crn.reactions
        )
        theirs = sorted((sorted(r), sorted(p)) for r, p in reactions)
        assert ours == theirs


def test_nuskell_style_rates_and_numbers_are_parsed_by_crnverifier():
    crnverifier = pytest.importorskip("crnverifier.crn_parser")
    crn = CRN((Reaction(["A"], ["B"], 2.5e-07), Reaction(["B"], ["C"], 1e16)), {"A": 0.1})
    parsed, species = crnverifier.parse_crn_string(format_crn(crn, plain=True))
    assert [float(r[2][0]) for r in parsed] == [2.5e-07, 1e16]
    assert float(species["A"][1]) == 0.1


def test_output_scale_is_written_read_and_divides_the_value():
    crn = parse_crn("input x = xp - xn\noutput y = yp - yn [scale = 12]\nxp -> 6 yp\nxn -> 6 yn\n")
    assert crn.outputs[0].scale == 12.0
    assert "output y = yp - yn [scale = 12]" in format_crn(crn)
    assert parse_crn(format_crn(crn)).outputs == crn.outputs
    np.testing.assert_allclose(crn.read_outputs(np.array([[0, 0, 18.0, 6.0]])), [[1.0]])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("output y = yp [scale = 0]", r"<string>:1:24: scale must be > 0, found 0"),
        ("output y = yp [k = 2]", r"<string>:1:16: expected 'scale' inside \[ \], found 'k'"),
        ("input x = xp [scale = 2]", r"<string>:1:15: only outputs carry a scale"),
        ("output y = yp [scale = 2", r"<string>:1:25: expected '\]' to close the scale"),
    ],
)
def test_bad_output_scales_are_pinned(text, message):
    with pytest.raises(CRNFormatError, match=message):
        parse_crn(text)
