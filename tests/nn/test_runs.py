"""The registry of the paper's runs: one record per shipped model, consistent with the files."""

from __future__ import annotations

import pytest

from nn2crn import ModelFileError
from nn2crn.datasets.options import OPTIONS, options_from_record
from nn2crn.nn import load_shipped_model, shipped_model_names
from nn2crn.nn.runs import ALL_EXPERIMENTS, EXPERIMENTS, RUNS, run_named

RECORDED = {option.name for option in OPTIONS if option.record_key is not None}


def test_one_run_per_shipped_model_and_the_experiments_in_table_order():
    assert sorted(run.name for run in RUNS) == sorted(shipped_model_names())
    assert tuple(EXPERIMENTS) == ("iris", "virus", "mnist")
    assert tuple(ALL_EXPERIMENTS) == ("iris", "virus", "mnist", "cnn", "int3")
    assert (
        ALL_EXPERIMENTS["cnn"].name == "mnist-14x14-conv16-64-10-ternary"
        and ALL_EXPERIMENTS["int3"].t_end == 200.0
    )
    assert run_named("mnist-14x14-conv8-ternary").experiment is None  # the first CNN, still shipped
    assert EXPERIMENTS["iris"].name == "iris-4-8-3-binary" and EXPERIMENTS["mnist"].t_end == 200.0
    with pytest.raises(TypeError):
        EXPERIMENTS["cifar"] = RUNS[0]  # type: ignore[index]


@pytest.mark.parametrize("run", RUNS, ids=[run.name for run in RUNS])
def test_the_registered_dataset_options_are_those_recorded_in_the_shipped_file(run):
    record = load_shipped_model(run.name).training["dataset"]
    assert record["name"] == run.dataset
    decoded = options_from_record(run.dataset, record["options"])
    registered = {name: value for name, value in run.loader_options.items() if name in RECORDED}
    assert {name: decoded[name] for name in registered} == registered


def test_loader_options_are_a_fresh_dict():
    run = run_named("mnist-196-64-10-ternary")
    run.loader_options["progress"] = True
    assert run.loader_options == {"source": "sample", "download": False}


def test_unknown_run_lists_the_registered_ones():
    with pytest.raises(
        ModelFileError, match="no run named 'iris'; the registered runs are iris-4-8-3-binary, "
    ):
        run_named("iris")
