"""Property tests over every reader: any input loads or raises an NN2CRNError with a message.

Each target gets a bounded number of examples (well under 60 s in total on CI),
drawn both as mutations of real seeds (shipped models, golden files) and as
structured hostile inputs (huge numbers, deep nesting, long lines).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.targets import READY, TARGETS, seeds

FAST = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def mutated(draw, corpus: list[bytes]) -> bytes:
    """A seed with a few random byte edits: flips, inserts, deletions, splices."""
    data = bytearray(draw(st.sampled_from(corpus)))
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "splice"]))
        if action == "flip" and position < len(data):
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=12))
        elif action == "delete":
            del data[position : position + draw(st.integers(1, 40))]
        else:
            other = draw(st.sampled_from(corpus))
            start = draw(st.integers(0, len(other)))
            data[position:position] = other[start : start + draw(st.integers(1, 200))]
    return bytes(data)


@pytest.mark.parametrize("target", READY)
def test_mutated_seeds_load_or_raise_nn2crn_error(target):
    corpus = seeds(target)

    @FAST
    @given(mutated(corpus))
    def check(data: bytes) -> None:
        TARGETS[target](data)

    check()


HOSTILE_NUMBERS = st.sampled_from(
    [
        "1e30",
        "1e400",
        "9" * 5000,
        "0" * 300 + "1",
        "1" * 40,
        "0.0",
        "nan",
        "-0",
        "1e-400",
        "18446744073709551617",
    ]
)


@FAST
@given(HOSTILE_NUMBERS, HOSTILE_NUMBERS)
def test_hostile_numbers_in_a_crn(coefficient, amount):
    TARGETS["crn"](f"input x = a\noutput y = b\n{coefficient} a -> {coefficient} b [k = {amount}]\n".encode())
    TARGETS["crn"](f"a -> b\na @initial {amount}\n".encode())


@FAST
@given(HOSTILE_NUMBERS, st.integers(0, 3000))
def test_hostile_model_json(number, depth):
    model = json.loads(seeds("model")[0])
    text = json.dumps(model).replace("0.5", number, 1)
    TARGETS["model"](text.encode())
    TARGETS["model"](("[" * depth + "]" * depth).encode())


@FAST
@given(st.integers(1, 300_000), HOSTILE_NUMBERS)
def test_hostile_inputs_csv(field_length, number):
    TARGETS["inputs-csv"](f"a,b\n{number},{'7' * field_length}\n".encode())
    TARGETS["inputs-csv"](f'a,b\n"{"x" * field_length}",1\n'.encode())


@FAST
@given(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=5), st.sampled_from([8, 9, 11, 12, 13, 14]))
def test_hostile_idx_headers(shape, code):
    import struct

    header = struct.pack(">HBB", 0, code, len(shape)) + struct.pack(f">{len(shape)}I", *shape)
    TARGETS["idx"](header + b"\x00" * 64)


def test_a_gzip_bomb_is_refused_before_it_inflates(tmp_path):
    import gzip

    from nn2crn import DatasetError
    from nn2crn.datasets.idx import inflate_gzip

    bomb = gzip.compress(b"\x00" * (8 << 20))
    with pytest.raises(DatasetError, match="inflates to more than the limit of 1,048,576 bytes"):
        inflate_gzip(bomb, "bomb.gz", limit=1 << 20)
