"""Property test of the sweep spec reader: any text either loads or raises NN2CRNError.

The texts are the shipped example specs (examples/sweeps/, part of the repository)
and the spec of the tests, mutated (characters deleted, values replaced, TOML-ish
fragments inserted), plus random TOML-ish texts. A crash with another exception
(KeyError, TypeError, ValueError, OverflowError, ...) is a bug in the reader.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn2crn._errors import NN2CRNError
from nn2crn.sweep import SweepSpec, load_spec

from .test_spec import GOOD

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "sweeps").glob("*.toml"))
SEEDS = (GOOD, *(path.read_text(encoding="utf-8") for path in EXAMPLES))

FRAGMENTS = (
    "[grid]",
    "[fixed]",
    "[sweep]",
    "[model]",
    "[inputs]",
    "[[grid]]",
    "=",
    '"',
    "'",
    "[",
    "]",
    "{",
    "}",
    ",",
    ".",
    "..",
    "\n",
    " ",
    "#",
    "-1",
    "0",
    "1e308",
    "inf",
    "nan",
    "true",
    '"0..3"',
    '"5..1"',
    '"0..x"',
    "[]",
    "[[1]]",
    "{a = 1}",
    '"as given"',
    '"random:0:0.1:10"',
    "study",
    "volume",
    "seed",
    "chunk",
    "limit",
    "split",
    "options",
    "shipped",
    "file",
    "crn",
    "dataset",
    "leak",
    "toehold",
    "fuel_excess",
    "hidden",
    "rates",
    "scheme",
    '"qsw2011"',
    '"dna-kinetics"',
    '"train"',
    '"ode"',
    "1979-05-27",
    "\\u0000",
    "\x00",
    "é",
)
# A few values that broke readers before: huge ranges, wrong types, nested tables.
VALUES = (
    "0",
    "-1",
    "1.5",
    "1e400",
    "-0.0",
    "nan",
    "inf",
    "true",
    '""',
    '"x"',
    '"0..2"',
    '"2..0"',
    '"0..1e3"',
    '"0..99999999999"',
    "[]",
    "[1, 2]",
    '[1, "a"]',
    "[[1, 2]]",
    "{}",
    "{ a = 1 }",
    "1979-05-27",
    "[true]",
)

fragment_text = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)


@st.composite
def mutated_specs(draw) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(("delete", "insert", "value", "line")))
        at = draw(st.integers(0, len(text)))
        if kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 30)) :]
        elif kind == "insert":
            text = text[:at] + draw(fragment_text) + text[at:]
        elif kind == "line":
            lines = text.splitlines()
            lines.insert(
                draw(st.integers(0, len(lines))),
                f"{draw(st.sampled_from(FRAGMENTS))} = {draw(st.sampled_from(VALUES))}",
            )
            text = "\n".join(lines)
        else:
            lines = text.splitlines()
            assignments = [i for i, line in enumerate(lines) if "=" in line and not line.startswith("#")]
            if assignments:
                i = draw(st.sampled_from(assignments))
                lines[i] = lines[i].split("=", 1)[0] + "= " + draw(st.sampled_from(VALUES))
            text = "\n".join(lines)
    return text


def load_or_refuse(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spec.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            spec = load_spec(path)
        except NN2CRNError as error:
            assert str(error)  # a message the user can act on
            return
    assert isinstance(spec, SweepSpec)
    for _, point in zip(range(3), spec.points(), strict=False):
        assert point


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(mutated_specs())
def test_mutated_specs_load_or_raise_a_spec_error(text):
    load_or_refuse(text)


@settings(FUZZ, max_examples=150)
@given(st.one_of(fragment_text, st.text(max_size=200)))
def test_random_texts_load_or_raise_a_spec_error(text):
    load_or_refuse(text)


def test_the_seeds_themselves_load():
    assert len(EXAMPLES) >= 2
    for text in SEEDS:
        load_or_refuse(text)
