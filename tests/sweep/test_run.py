"""Sweeps on a real Dask LocalCluster (2 worker processes) against the same sweep in one process."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from nn2crn.sweep import load_spec, read_results, run_sweep
from nn2crn.sweep.parts import finished_keys

pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

SSA_SPEC = """
[sweep]
study = "ssa"
seed = 11
chunk = {chunk}

[model]
shipped = "iris-4-8-3-binary"

[inputs]
dataset = "iris"
limit = 30

[grid]
volume = [20, 50]
seed = "0..1"

[fixed]
t_end = 20
runs = {runs}
"""

TRAIN_SPEC = """
[sweep]
study = "train"
seed = 5

[inputs]
dataset = "iris"

[grid]
hidden = [2, 4]
seed = "0..1"

[fixed]
epochs = 2
weights = "ternary"
"""


def write_spec(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as local:
        yield local


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The small SSA sweep run in this process, without Dask."""
    folder = tmp_path_factory.mktemp("reference")
    spec = load_spec(write_spec(folder, "ssa", SSA_SPEC.format(chunk=10, runs=2)))
    outcome = run_sweep(spec, folder / "results", in_process=True)
    return outcome, read_results(folder / "results")


def test_ssa_sweep_on_two_workers_equals_one_process(tmp_path, cluster, reference):
    in_process, expected = reference
    assert in_process.n_tasks == 2 * 2 * 3 and expected.num_rows == 2 * 2 * 30 * 2
    spec = load_spec(write_spec(tmp_path, "ssa", SSA_SPEC.format(chunk=10, runs=2)))
    outcome = run_sweep(spec, tmp_path / "results", scheduler=cluster.scheduler_address)
    assert outcome.n_run == outcome.n_tasks == in_process.n_tasks
    assert read_results(tmp_path / "results").equals(expected)
    assert (tmp_path / "results" / "summary.csv").read_text() == (
        in_process.folder / "summary.csv"
    ).read_text()


def test_results_do_not_depend_on_the_chunking(tmp_path, reference):
    _, expected = reference
    spec = load_spec(write_spec(tmp_path, "ssa", SSA_SPEC.format(chunk=7, runs=2)))
    run_sweep(spec, tmp_path / "results", in_process=True)
    assert read_results(tmp_path / "results").equals(expected)
    # and the replicates really differ: the seed value changes the random streams
    answers = expected.to_pydict()
    errors = np.array(answers["max_error"]).reshape(2, 2, -1)
    assert not np.array_equal(errors[:, 0], errors[:, 1])


@pytest.mark.torch
def test_train_sweep_on_two_workers_equals_one_process(tmp_path, cluster):
    pytest.importorskip("torch")
    spec = load_spec(write_spec(tmp_path, "train", TRAIN_SPEC))
    here = run_sweep(spec, tmp_path / "here", in_process=True)
    there = run_sweep(spec, tmp_path / "there", scheduler=cluster.scheduler_address)
    assert here.n_tasks == there.n_run == 4
    expected = read_results(tmp_path / "here")
    assert read_results(tmp_path / "there").equals(expected)
    table = expected.to_pydict()
    assert table["hidden"] == ["2", "2", "4", "4"] and len(set(table["train_seed"])) == 4
    assert all(0 < value <= 1 for value in table["accuracy_test"])
    assert all(size > 0 for size in table["n_reactions"])


@pytest.mark.slow
def test_a_killed_worker_changes_nothing(tmp_path, cluster):
    """SIGKILL to a worker process while it runs a task: Dask reruns it; the table is the same."""
    from distributed import Client

    text = SSA_SPEC.format(chunk=10, runs=20)
    spec = load_spec(write_spec(tmp_path, "ssa", text))
    run_sweep(spec, tmp_path / "reference", in_process=True)
    results = tmp_path / "results"
    killed: dict[str, object] = {}

    def kill_a_busy_worker() -> None:
        with Client(cluster.scheduler_address, set_as_default=False) as client:
            pids = client.run(os.getpid)
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                busy = [address for address, keys in client.processing().items() if keys]
                started = (results / "parts").is_dir() and len(finished_keys(results)) >= 1
                if busy and started:
                    killed["parts_before"] = len(finished_keys(results))
                    os.kill(pids[busy[0]], signal.SIGKILL)
                    killed["pid"] = pids[busy[0]]
                    return
                time.sleep(0.02)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    outcome = run_sweep(spec, results, scheduler=cluster.scheduler_address)
    killer.join()
    assert "pid" in killed, "no worker was killed"
    assert killed["parts_before"] < outcome.n_tasks, "the worker was killed after the sweep had finished"
    assert read_results(results).equals(read_results(tmp_path / "reference"))


ROBUSTNESS_SPEC = """
[sweep]
study = "robustness"
seed = 4
chunk = {chunk}

[model]
shipped = "iris-4-3-3-ternary"

[inputs]
dataset = "iris"
limit = 8

[grid]
rate_seed = "0..1"
high = [2, 20]

[fixed]
low = 0.5
t_end = 50
n_points = 21
"""


def test_robustness_sweep_reproducible_rate_sets(tmp_path):
    from nn2crn.compile import compile_network
    from nn2crn.nn import load_shipped_model
    from nn2crn.simulate import stable_outputs
    from nn2crn.simulate.metrics import max_deviation
    from nn2crn.simulate.ode import simulate_ode
    from nn2crn.simulate.rates import apply_rates

    coarse = load_spec(write_spec(tmp_path, "coarse", ROBUSTNESS_SPEC.format(chunk=8)))
    fine = load_spec(write_spec(tmp_path, "fine", ROBUSTNESS_SPEC.format(chunk=3)))
    assert run_sweep(coarse, tmp_path / "coarse", in_process=True).n_tasks == 4
    assert run_sweep(fine, tmp_path / "fine", in_process=True).n_tasks == 12
    columns = read_results(tmp_path / "coarse").to_pydict()
    other = read_results(tmp_path / "fine").to_pydict()
    # The batch ODE solver shares one step size per block of rows, so another chunking
    # changes the results within the solver's tolerance (not bit for bit, unlike the SSA).
    for name in ("row", "rate_seed", "high", "rates", "agrees", "answer"):
        assert columns[name] == other[name]
    assert np.allclose(columns["max_error"], other["max_error"], rtol=1e-3, atol=1e-6)
    assert sorted(set(columns["spread"])) == [4.0, 40.0]
    assert len(set(columns["rates"])) == 4  # one rate set per point, shared by its chunks
    # the rates column reproduces a row with the library directly
    network = load_shipped_model("iris-4-3-3-ternary")
    from nn2crn.datasets import load_dataset

    x = network.transform(load_dataset("iris").test.x[:8])
    crn = apply_rates(compile_network(network), columns["rates"][0])
    trajectory = simulate_ode(crn, x[:1], t_end=50, n_points=2, store="outputs", n_threads=1)
    direct = max_deviation(trajectory, stable_outputs(crn, x[:1]))[0]
    assert direct == pytest.approx(columns["max_error"][0], rel=1e-3, abs=1e-6)
