"""The sweep spec: parsing, the grid's points, and one pinned message per kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from nn2crn.sweep import SweepSpecError, load_spec

GOOD = """
[sweep]
study = "ssa"
seed = 7
chunk = 10

[model]
shipped = "iris-4-8-3-binary"

[inputs]
dataset = "iris"
limit = 20

[grid]
volume = [10, 100]
seed = "0..2"

[fixed]
t_end = 20
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_points_are_the_grid_product_with_defaults(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert spec.study == "ssa" and spec.seed == 7 and spec.chunk == 10 and spec.name == "spec"
    points = [dict(point) for point in spec.points()]
    assert [(p["volume"], p["seed"]) for p in points] == [(v, s) for v in (10.0, 100.0) for s in (0, 1, 2)]
    assert {p["t_end"] for p in points} == {20.0} and {p["runs"] for p in points} == {1}
    assert {p["rates"] for p in points} == {"as given"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("volume = [10, 100]", "volme = [10, 100]"),
            r"spec\.toml: grid\.volme: unknown key; the parameters of the ssa study are volume, seed",
        ),
        (('seed = "0..2"', 'seed = "5..2"'), r"grid\.seed: bad range '5\.\.2': 2 < 5, so it is empty"),
        (
            ('seed = "0..2"', 'seed = "0..x"'),
            r"grid\.seed: bad range '0\.\.x'; a range is \"A\.\.B\" with integers",
        ),
        (
            ("volume = [10, 100]", "volume = [10, -1]"),
            r"grid\.volume\[1\]: volume must be a finite number > 0, got -1",
        ),
        (("volume = [10, 100]", "volume = []"), r"grid\.volume: empty list"),
        (
            ('shipped = "iris-4-8-3-binary"', 'file = "missing.json"'),
            r"model\.file: no such file 'missing\.json' \(looked for .*missing\.json; relative paths start at the spec's folder\)",
        ),
        (
            ('study = "ssa"', 'study = "dna"'),
            r"sweep\.study: unknown study 'dna'; choose one of ssa, ode, robustness, train, dna-kinetics",
        ),
        (("chunk = 10", "chunk = 0"), r"sweep\.chunk: expected an integer >= 1, got 0"),
        (("t_end = 20", "t_end = 20\nvolume = 5"), r"fixed\.volume: is also in \[grid\]"),
        (
            ('dataset = "iris"', 'dataset = "irs"'),
            r"inputs\.dataset: unknown dataset 'irs'; choose one of iris, virus, mnist or a FILE\.csv",
        ),
        (
            ("[fixed]", "[fixd]"),
            r"spec\.toml: fixd: unknown key; the sections are sweep, model, inputs, grid, fixed",
        ),
        (("volume = [10, 100]\n", ""), r"grid\.volume: missing; the ssa study needs volume"),
    ],
)
def test_bad_spec_names_the_key_path(tmp_path, change, message):
    old, new = change
    assert old in GOOD
    with pytest.raises(SweepSpecError, match=message):
        load_spec(write(tmp_path, GOOD.replace(old, new, 1)))


def test_missing_spec_file_and_bad_toml(tmp_path):
    with pytest.raises(SweepSpecError, match=r"nothere\.toml: no such file; give a sweep spec"):
        load_spec(tmp_path / "nothere.toml")
    with pytest.raises(SweepSpecError, match=r"spec\.toml: not valid TOML \(.*line 2"):
        load_spec(write(tmp_path, "[sweep]\nstudy = \n"))


def test_train_spec_rejects_a_model(tmp_path):
    text = '[sweep]\nstudy = "train"\n[model]\nshipped = "iris-4-8-3-binary"\n[inputs]\ndataset = "iris"\n'
    with pytest.raises(SweepSpecError, match=r"\[model\]: the train study trains its own networks"):
        load_spec(write(tmp_path, text))


def test_train_widths_are_validated(tmp_path):
    text = '[sweep]\nstudy = "train"\n[inputs]\ndataset = "iris"\n[grid]\nhidden = [4, [8, 0]]\n'
    with pytest.raises(
        SweepSpecError, match=r"grid\.hidden\[1\]: hidden must be a width >= 1 or a list of widths"
    ):
        load_spec(write(tmp_path, text))
    spec = load_spec(write(tmp_path, text.replace("[8, 0]", "[8, 2]")))
    assert [dict(p)["hidden"] for p in spec.points()] == [(4,), (8, 2)]


def test_rate_specs_are_checked(tmp_path):
    text = GOOD.replace("t_end = 20", 't_end = 20\nrates = "random:0:10:1"')
    with pytest.raises(
        SweepSpecError, match=r"fixed\.rates: rates 'random:0:10:1': LOW = 10 is greater than HIGH = 1"
    ):
        load_spec(write(tmp_path, text))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("seed = 7", "seed = " + "9" * 5000), r"spec\.toml: a number is too long"),
        (('seed = "0..2"', 'seed = "0..' + "9" * 5000 + '"'), r"spec\.toml: grid\.seed: bad range"),
        (
            ("volume = [10, 100]", 'volume = [10, 100]\nruns = "1..999999"'),
            r"spec\.toml: grid\.runs: the grid has more than 100,000 points",
        ),
    ],
)
def test_numbers_that_broke_the_reader_are_refused(tmp_path, change, message):
    """Found by the sweep-toml fuzz target: ValueError from int() past 4,300 digits, and a grid
    of 10^6 x 6 points that load_spec accepted and points() then built in full."""
    with pytest.raises(SweepSpecError, match=message):
        load_spec(write(tmp_path, GOOD.replace(*change)))
