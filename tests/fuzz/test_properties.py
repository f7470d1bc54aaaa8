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

from tests.fuzz.targets import (
    PIL_EXCESS,
    PIL_INPUT_VALUES,
    PIL_UNITS_NM,
    READY,
    TARGETS,
    pil_header,
    seeds,
)

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
def test_mutated_seeds_load_or_raise_nn2crn_error(target, request):
    if target == "pil":
        request.getfixturevalue("frozen_heap")
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


# -- .pil writing: random small CRNs under random options ----------------------------------------

# Species names that collide with what the translators generate (history, recognition, fuel
# and product-variant names) or with .pil keywords.
PIL_NAMES = (
    *("x", "y", "z", "w", "v") * 3,
    *("h_x", "a_x", "b_y", "s_x", "t", "x_r1_1", "G_r1", "src_r1", "length", "sequence", "domain"),
)
PIL_AMOUNTS = ("0", "1", "0.5", "2", "1e12", "1e-300", "123456.789")


@st.composite
def small_crns(draw) -> str:
    """A `.crn` text of 1-4 reactions of at most two reactant molecules over a few names (some of
    them colliding with generated names), with initial amounts and sometimes signals."""
    names = draw(st.lists(st.sampled_from(PIL_NAMES), min_size=1, max_size=5, unique=True))
    counts = st.sampled_from((1, 1, 1, 2, 3))
    reactants = st.lists(st.tuples(st.sampled_from(names), st.sampled_from((1, 1, 1, 2))), max_size=2)
    products = st.lists(st.tuples(st.sampled_from(names), counts), max_size=3)
    lines = []
    for left, right in draw(st.lists(st.tuples(reactants, products), min_size=1, max_size=4)):
        if not left and not right:
            right = [(names[0], 1)]
        sides = [
            " + ".join(f"{count} {name}" for name, count in dict(side).items()) for side in (left, right)
        ]
        lines.append(" -> ".join(sides))
    for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
        lines.append(f"{name} @initial {draw(st.sampled_from(PIL_AMOUNTS))}")
    if draw(st.booleans()):
        lines.insert(0, f"input u = {names[0]}")
    if len(names) > 1 and draw(st.booleans()):
        lines.insert(0, f"output v = {names[-1]} - {names[-2]}")
    return "\n".join(lines) + "\n"


@st.composite
def pil_headers(draw) -> bytes:
    """Options, mostly valid ones: every concentration table entry, lengths around the release rule."""
    return pil_header(
        scheme=draw(st.integers(0, 1)),
        reorder=draw(st.booleans()),
        toehold=draw(st.integers(3, 7)),
        long=draw(st.integers(8, 20)),
        gate_toehold=draw(st.one_of(st.none(), st.none(), st.integers(3, 8))),
        unit=draw(st.integers(0, len(PIL_UNITS_NM) - 1)),
        excess=draw(st.integers(0, len(PIL_EXCESS) - 1)),
        input_value=draw(st.one_of(st.none(), st.integers(0, len(PIL_INPUT_VALUES) - 1))),
    )


@pytest.fixture
def frozen_heap():
    """peppercorn's reader runs gc.collect() on every call; frozen, the test's heap is not rescanned."""
    import gc

    # Imported before hypothesis runs: peppercorn raises the recursion limit on import.
    pytest.importorskip("peppercornenumerator.input")
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


def test_pil_of_random_small_crns_reads_back_in_peppercorn(frozen_heap):
    @FAST
    @given(small_crns(), pil_headers())
    def check(crn_text: str, header: bytes) -> None:
        TARGETS["pil"](header + crn_text.encode())

    check()


# -- the sweep spec TOML ---------------------------------------------------------------------------

SWEEP_SPEC = """[sweep]
study = "ssa"
seed = {seed}

[model]
shipped = "iris-4-8-3-binary"

[inputs]
dataset = "iris"

[grid]
volume = [10, {number}]
seed = "{start}..{stop}"
runs = "1..{stop}"
"""


@FAST
@given(
    HOSTILE_NUMBERS,
    st.sampled_from(["0", "-5", "9" * 5000, "1" * 40, "999999"]),
    st.sampled_from(["3", "999999", "9" * 5000, "1" * 40, "-1"]),
)
def test_hostile_numbers_in_a_sweep_spec(number, start, stop):
    TARGETS["sweep-toml"](SWEEP_SPEC.format(seed=number, number=number, start=start, stop=stop).encode())
