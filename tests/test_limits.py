"""Reader limits: each hostile input fails with a message naming the limit, never a traceback."""

from __future__ import annotations

import gzip
import json
import struct

import numpy as np
import pytest

from nn2crn import CRNFormatError, DatasetError, InputDataError, ModelFileError
from nn2crn._limits import MAX_COEFFICIENT, json_depth
from nn2crn.cli._inputs import read_inputs_csv
from nn2crn.crn import parse_crn, read_crn
from nn2crn.datasets import load_dataset
from nn2crn.datasets.idx import read_idx
from nn2crn.nn import load_network


def test_json_depth_ignores_brackets_in_strings():
    assert json_depth('{"a": [[1], "[[[["], "b": {}}') == 3


def test_integers_at_the_digit_limit_load_with_or_without_the_checking_hook():
    from nn2crn._limits import load_json

    def refuse(message):
        return ValueError(message)

    at_limit = 10**17 + 3  # 18 digits: no run of 19, so json's own int() parses it
    assert load_json(f'{{"a": [{at_limit}, -7, 1.5]}}', refuse) == {"a": [at_limit, -7, 1.5]}
    # a long digit run in a string switches the hook on; the integers still load
    assert load_json(f'{{"s": "{"1" * 40}", "a": {at_limit}}}', refuse)["a"] == at_limit
    with pytest.raises(ValueError, match="integer with 19 digits"):
        load_json(f'{{"s": "x", "a": {10**18}}}', refuse)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "JSON nested 100000 levels deep; the limit is 32"),
        ('{"format": ' + "9" * 5000 + "}", "integer with 5000 digits"),
        ('{"format": 1' + "0" * 30 + "}", "integer with 31 digits"),
        ('{"format": 1e999}', "number 1e999 is too large for a float"),
        ('{"format": Infinity}', "Infinity is not a number JSON allows"),
    ],
)
def test_hostile_model_json(tmp_path, text, message):
    path = tmp_path / "model.json"
    path.write_text(text)
    with pytest.raises(ModelFileError, match=message):
        load_network(path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "9" * 5000 + " a -> b",
            "stoichiometric coefficient 9{20} is above the limit of 9,007,199,254,740,992",
        ),
        (f"{MAX_COEFFICIENT + 1} a -> b", "above the limit of 9,007,199,254,740,992"),
        ("a -> 1000000000000000000000000000000 b", "above the limit"),
        ("a -> 1e30 b", "must be a positive integer, found '1e30'"),
        ("a -> b [k = " + "1" * 200 + "]", "number of 200 characters; the limit is 100"),
        ("a -> b\na @initial 1e13", "initial amount 1e13 is above the limit of 1e\\+12"),
    ],
)
def test_hostile_numbers_in_a_crn(line, message):
    with pytest.raises(CRNFormatError, match=message):
        parse_crn(line)


def test_a_crn_line_over_the_limit(tmp_path):
    path = tmp_path / "long.crn"
    path.write_text("a -> b\n# " + "x" * 1_000_001 + "\n")
    with pytest.raises(
        CRNFormatError, match="long.crn: line 2 is longer than the limit of 1,000,000 characters"
    ):
        read_crn(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "input x = a\na -> b\ninput y = typo\n",
            "3:11: input line names species 'typo', which no reaction uses",
        ),
        ("output y = b + c\na -> b\n", "output line names species 'c'"),
    ],
)
def test_signal_lines_naming_unknown_species_are_refused(text, message):
    with pytest.raises(CRNFormatError, match=message):
        parse_crn(text)
    # An explicit declaration keeps a deliberately unused species.
    parse_crn(text + "typo @initial 0; c @initial 0\n")


def test_an_inputs_csv_field_over_the_csv_module_limit(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('a,b\n1,"' + "7" * 200_000 + '"\n')
    with pytest.raises(
        InputDataError, match=r"x.csv: not a readable CSV file \(field larger than field limit"
    ):
        read_inputs_csv(path, ("a", "b"))


def test_dataset_features_beyond_the_magnitude_limit(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(
        "f,label\n" + "".join(f"{v},{c}\n" for v, c in [(1, "a"), (1e300, "b"), (2, "a"), (3, "b")])
    )
    with pytest.raises(DatasetError, match=r"big.csv:3: column 'f' is 1e\+300, above the limit of 1e\+12"):
        load_dataset(str(path), label="label", split="all")


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((2**32 - 1,) * 4, "values\\), above the limit of 268,435,456"),
        ((3, 3), "truncated IDX data"),
        # Found by atheris: an empty array whose other sizes overflow numpy's reshape.
        ((16777216, 3084, 16777216, 1, 73, 262144, 0), "above the limit of 268,435,456"),
    ],
)
def test_idx_headers_that_declare_too_much(tmp_path, shape, message):
    path = tmp_path / "images.idx"
    path.write_bytes(
        struct.pack(">HBB", 0, 0x08, len(shape)) + struct.pack(f">{len(shape)}I", *shape) + b"\0" * 4
    )
    with pytest.raises(DatasetError, match=message):
        read_idx(path)


def test_gzip_idx_still_reads_and_a_concatenated_member_too(tmp_path):
    images = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)
    header = struct.pack(">HBB", 0, 0x08, 3) + struct.pack(">3I", 2, 3, 3)
    data = header + images.tobytes()
    path = tmp_path / "images.idx.gz"
    path.write_bytes(gzip.compress(data[:10]) + gzip.compress(data[10:]))
    assert np.array_equal(read_idx(path), images)


def test_model_json_limits_leave_shipped_models_loading():
    from pathlib import Path

    for path in sorted((Path(__file__).parents[1] / "src" / "nn2crn" / "models").glob("*.json")):
        assert load_network(path).n_inputs > 0
        assert json_depth(path.read_text()) <= 8
        json.loads(path.read_text())
