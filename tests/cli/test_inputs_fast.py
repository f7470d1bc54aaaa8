"""The inputs CSV reader's numpy fast path gives exactly what the general reader gives, errors included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn2crn import NN2CRNError
from nn2crn.cli._inputs import _read_csv_carefully, _read_regular_csv, read_inputs_csv

NAME_SETS = (("x0", "x1", "x2"), ("a", "b", "c"))
PATH = Path("inputs.csv")


def _outcome(text: str, *, fast: bool) -> tuple[object, ...]:
    try:
        table = _read_regular_csv(text, NAME_SETS) if fast else None
        if table is None:
            table = _read_csv_carefully(PATH, text, NAME_SETS)
        return ("ok", table.values.tobytes(), table.values.shape, table.labels, table.names)
    except NN2CRNError as error:
        return ("error", type(error).__name__, str(error))


_CELLS = st.sampled_from(
    [
        "1",
        "0.5",
        "-2.5e-3",
        " 3 ",
        "1e999",
        "nan",
        "-inf",
        "",
        "abc",
        "1_0",
        "\x1c1",
        "\u20037",
        "4.",
        ".5",
        "1e",
        "+.5",
        "-0",
        "1E3",
        "\t2\t",
        "0x1p3",
        "Infinity",
        "1e-400",
        "  ",
    ]
)
_HEADERS = st.sampled_from(
    [
        "x0,x1,x2",
        "x2,x0,x1",
        "x0,x1,x2,label",
        "label,c,b,a",
        " x0 , x1 ,x2",
        "x0,x1",
        "x0,x1,x2,x3",
        "x0,x0,x1",
        "x0,label,x1,x2,label",
    ]
)


@st.composite
def _csv_text(draw: st.DrawFn) -> str:
    header = draw(_HEADERS)
    n_fields = header.count(",") + 1
    lines = [header]
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["row"] * 8 + ["short", "long", "blank", "commas", "quoted"]))
        if kind == "row":
            lines.append(",".join(draw(_CELLS) if draw(st.booleans()) else "1.25" for _ in range(n_fields)))
        elif kind == "short":
            lines.append(",".join(["1"] * (n_fields - 1)))
        elif kind == "long":
            lines.append(",".join(["1"] * (n_fields + 1)))
        elif kind == "blank":
            lines.append("")
        elif kind == "commas":
            lines.append(" ," * (n_fields - 1))
        else:
            lines.append(",".join(['"1"'] + ["2"] * (n_fields - 1)))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\n\n", "\n,,\n"]))


@settings(max_examples=500, deadline=None)
@given(text=_csv_text())
def test_random_csv_same_result_or_same_error(text):
    assert _outcome(text, fast=True) == _outcome(text, fast=False)


def test_regular_file_takes_the_fast_path_with_labels(tmp_path):
    rng = np.random.default_rng(1)
    values = rng.normal(size=(50, 3)) * 10.0 ** rng.integers(-20, 20, size=(50, 3))
    text = "x1,label,x0,x2\n" + "".join(
        f"{b!r},class {i % 3},{a!r},{c!r}\n" for i, (a, b, c) in enumerate(values.tolist())
    )
    fast = _read_regular_csv(text, NAME_SETS)
    assert fast is not None
    np.testing.assert_array_equal(fast.values, values)
    assert fast.labels == tuple(f"class {i % 3}" for i in range(50))
    path = tmp_path / "x.csv"
    path.write_text(text)
    assert read_inputs_csv(path, *NAME_SETS).values.tobytes() == values.tobytes()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x0,x1,x2\n1,2,nan\n", "inputs.csv:2: column 'x2': nan is not a finite number"),
        ("x0,x1,x2\n1,2,3\n1,2\n", "inputs.csv:3: has 2 fields, expected 3"),
        ("x0,x1,x2\n1,2,abc\n", "inputs.csv:2: column 'x2': 'abc' is not a number"),
        ("x0,x1,x9\n1,2,3\n", "inputs.csv:1: header does not match the inputs (missing x2; unknown x9)"),
        ("x0,x1,x2\n", "inputs.csv: no data rows after the header"),
    ],
)
def test_messages_are_the_general_readers(text, message):
    assert _read_regular_csv(text, NAME_SETS) is None
    outcome = _outcome(text, fast=True)
    assert outcome[0] == "error" and str(outcome[2]).startswith(message)
