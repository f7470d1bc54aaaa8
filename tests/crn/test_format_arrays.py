"""The vectorized `.crn` writer: reactions held as arrays format exactly as Reaction objects do."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn import Layer, Network
from nn2crn.compile import compile_network, reduce_crn
from nn2crn.crn import CRN, format_crn, parse_crn
from nn2crn.crn import text as text_module
from nn2crn.nn import random_ternary_network


def _eager(crn: CRN) -> CRN:
    """The same CRN with its reactions built as Reaction objects (the per-term writer's input)."""
    return CRN(crn.reactions, crn.initial, crn.inputs, crn.outputs, crn.species, crn.raw_inputs)


def _networks() -> list[Network]:
    rng = np.random.default_rng(7)
    rational = Network(
        (
            Layer(rng.integers(-12, 13, size=(9, 5)) / 8, rng.integers(-6, 7, size=9) / 4),
            Layer(rng.integers(-12, 13, size=(7, 9)) / 3, rng.integers(-6, 7, size=7) / 6),
            Layer(rng.integers(-12, 13, size=(3, 7)) / 5, rng.integers(-6, 7, size=3) / 7, "linear"),
        )
    )
    integer = Network(
        (
            Layer(
                rng.integers(-7, 8, size=(12, 6)).astype(float), rng.integers(-3, 4, size=12).astype(float)
            ),
            Layer(rng.integers(-9, 10, size=(4, 12)).astype(float), np.zeros(4), "linear"),
        )
    )
    return [
        rational,
        integer,
        random_ternary_network((16, 24, 24, 5), rng=rng),
        random_ternary_network((20, 32, 32, 32, 4), rng=rng, binary=True),
    ]


@pytest.mark.parametrize("number", range(4))
@pytest.mark.parametrize("keep_inputs", [True, False])
@pytest.mark.parametrize("plain", [False, True])
def test_reduced_crn_formats_from_its_arrays_as_from_its_reactions(number, keep_inputs, plain, monkeypatch):
    monkeypatch.setattr(text_module, "_FORMAT_CHUNK", 37)  # several chunks, split inside rows
    reduced = reduce_crn(compile_network(_networks()[number]), keep_inputs=keep_inputs)
    assert "reactions" not in reduced.__dict__  # reduce keeps them as arrays
    fast = format_crn(reduced, plain=plain, header="a header")
    assert "reactions" not in reduced.__dict__  # and the writer formatted from the arrays
    assert fast == format_crn(_eager(reduced), plain=plain, header="a header")
    if number == 0:
        assert "[scale = " in fast  # rational weights: outputs with a scale
    if number == 1:
        assert any(c.isdigit() for line in fast.splitlines() if "->" in line for c in line.split("->")[1])


def _irregular_text() -> str:
    # Over 64 reactions, so the reader takes its vectorized path and keeps arrays; empty
    # sides, counts of 1 to 6 digits (as the reader keeps arrays for), a species in no reaction, rates that repeat.
    lines = ["input x = a", "output y = b - c [scale = 4]", ""]
    for k in range(70):
        count = 10 ** (k % 6) + k + 1
        lines.append(f"a + {k % 3 + 2} s{k} -> {count} b + c [k = {1 + (k % 4) / 8}]")
    lines.append("s1 -> [k = 2]")
    lines.append("-> 3 s2 [k = 1]")
    lines.append("a + s3 -> b [k = 1]")
    lines.extend(["", "lonely @initial 0", "s5 @initial 2.5"])
    return "\n".join(lines) + "\n"


def test_crn_read_from_text_formats_from_its_arrays_as_from_its_reactions(monkeypatch):
    monkeypatch.setattr(text_module, "_FORMAT_CHUNK", 16)
    crn = parse_crn(_irregular_text())
    assert "reactions" not in crn.__dict__
    fast = format_crn(crn)
    assert "reactions" not in crn.__dict__
    assert fast == format_crn(_eager(crn))
    assert "100006 b" in fast
    assert "s1 -> [k = 2]" in fast and "-> 3 s2 [k = 1]" in fast and "lonely @initial 0" in fast
    assert parse_crn(fast) == crn


def test_term_rows_with_empty_rows_anywhere():
    names = ("a", "bb", "ccc")
    indptr = np.array([0, 0, 2, 2, 3, 3])
    counts = np.array([1, 12, 2**62])
    text, offsets = text_module._format_term_rows(names, indptr, np.array([2, 0, 1]), counts)
    rows = [text[offsets[k] : offsets[k + 1]] for k in range(5)]
    assert rows == ["", "ccc + 12 a", "", f"{2**62} bb", ""]


def test_non_ascii_names_fall_back_to_the_per_term_writer():
    assert text_module._format_term_rows(("é",), np.array([0, 1]), np.array([0]), np.array([2])) is None


@pytest.mark.parametrize("keep_inputs", [True, False])
def test_reducing_a_crn_read_from_text_formats_as_reducing_its_eager_copy(keep_inputs):
    # Over 64 reactions, so the reader keeps arrays and reduce_crn gets a lazy CRN.
    network = random_ternary_network((30, 70, 70, 4), rng=np.random.default_rng(2))
    read = parse_crn(format_crn(reduce_crn(compile_network(network))))
    assert "reactions" not in read.__dict__
    reduced = reduce_crn(read, keep_inputs=keep_inputs)
    assert format_crn(reduced) == format_crn(_eager(reduce_crn(_eager(read), keep_inputs=keep_inputs)))
