"""Library messages name parameters; the CLI edge shows the flags instead."""

from __future__ import annotations

import numpy as np
import pytest

from nn2crn import DatasetError, InputDataError
from nn2crn.cli._messages import PARAMETER_FLAGS, cli_message
from nn2crn.datasets.csv_file import load_csv
from nn2crn.nn import random_ternary_network, save_network
from tests.helpers import write_inputs_csv


@pytest.mark.parametrize(
    ("library", "cli"),
    [
        ("pass label=species", "pass --label species"),
        ("below the shift_inputs bound 0", "below the --shift-inputs bound 0"),
        ("weights=binary or weights=ternary", "--weights binary or --weights ternary"),
        ("the label column; the weights", "the label column; the weights"),
        ("data_dir=DIR or $NN2CRN_DATA", "--data-dir DIR or $NN2CRN_DATA"),
        ("pass force=True to overwrite; train=True trains", "pass --force to overwrite; --train trains"),
        ("retrain=True and my_label=x stay", "retrain=True and my_label=x stay"),
        (
            "import it with require_rational=False and quantize the weights to denominator=D",
            "import it with --float-weights and quantize the weights to --denominator D",
        ),
        ("require_rational=True stays", "require_rational=True stays"),
    ],
)
def test_parameter_names_become_flags_and_prose_stays(library, cli):
    assert cli_message(library) == cli


def test_every_flag_is_spelled_like_its_parameter():
    for name, flag in PARAMETER_FLAGS.items():
        assert flag == "--" + name.replace("_", "-")


def test_csv_without_label_names_the_parameter_in_python_and_the_flag_in_the_cli(tmp_path, run_cli, rng):
    data = tmp_path / "data.csv"
    data.write_text("a,b,kind\n1,2,x\n3,4,y\n")
    with pytest.raises(DatasetError, match="with label=COLUMN"):
        load_csv(data)
    model = tmp_path / "model.json"
    save_network(random_ternary_network((3, 2), rng=rng), model)
    code, _, err = run_cli("verify", model, "--dataset", data)
    assert code == 2 and "with --label COLUMN" in err and "label=" not in err


def test_shift_bound_names_the_flag_in_the_cli(tmp_path, run_cli, rng):
    from nn2crn.compile.verify import verify_network

    network = random_ternary_network((2, 2), rng=rng)
    with pytest.raises(InputDataError, match="below the shift_inputs bound"):
        verify_network(network, [[-1.0, 0.0]], shift_inputs=0.0)
    model = tmp_path / "model.json"
    save_network(network, model)
    inputs = write_inputs_csv(tmp_path / "x.csv", ["x0", "x1"], np.array([[-1.0, 0.0]]))
    code, _, err = run_cli("verify", model, "--inputs", inputs, "--shift-inputs", "0")
    assert code == 2 and "below the --shift-inputs bound 0.0" in err


def test_single_rail_input_hint_names_the_flag_in_the_cli(tmp_path, run_cli, rng):
    model = tmp_path / "model.json"
    save_network(random_ternary_network((2, 2), rng=rng), model)
    crn_path = tmp_path / "shifted.crn"
    assert run_cli("compile", model, "--shift-inputs", "0", "-o", crn_path)[0] == 0
    inputs = write_inputs_csv(tmp_path / "x.csv", ["x0", "x1"], np.array([[-1.0, 0.0]]))
    code, _, err = run_cli("eval", crn_path, "--inputs", inputs)
    assert code == 2 and "compiled with --shift-inputs LOW? then feed x - LOW" in err
