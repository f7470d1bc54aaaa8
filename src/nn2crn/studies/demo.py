"""The demo's computation: the IRIS network, its experiment and a few stochastic runs.

:func:`run_demo_study` picks the network (the shipped ``iris-4-8-3-binary``
model, one trained now, or a model file), runs it through
:func:`~nn2crn.studies.experiment.run_experiment` on all 150 examples to
t = 50, and simulates a few SSA runs of the compiled CRN.
:mod:`nn2crn.report.demo` writes the folder.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from .._errors import InputDataError
from ..nn import Network
from ..nn.runs import EXPERIMENTS
from ..simulate.base import Trajectory
from .dna import DNASectionData, experiment_dna
from .experiment import ExperimentResult, Log, run_experiment
from .paper import experiment_network, load_run_data

SSA_VOLUME = 1000.0
SSA_RUNS = 5
SSA_EXAMPLES = 3


@dataclass(frozen=True, eq=False)
class SSAResult:
    """A few stochastic runs of the compiled CRN.

    Attributes
    ----------
    examples : tuple of int
        Example indices simulated.
    volume : float
    runs : int
        Runs per example.
    max_gap : float
        Largest ``|output(t_end) − stable|`` over runs and outputs (counts / V).
    agreement : tuple of (int, int)
        Runs whose argmax at ``t_end`` is the network's, and the number of runs.
    leader_times : ndarray of shape (n_runs_total,)
        When the argmax last changed identity, per run.
    events : int
        Reaction events simulated in total.
    seconds : float
    trajectory : Trajectory
        Output trajectories of the runs (``input_rows`` index `examples`).
    """

    examples: tuple[int, ...]
    volume: float
    runs: int
    max_gap: float
    agreement: tuple[int, int]
    leader_times: np.ndarray
    events: int
    seconds: float
    trajectory: Trajectory

    @property
    def leader_time_median(self) -> float:
        """Median over the runs of when the argmax last changed identity."""
        return float(np.median(self.leader_times))


def demo_network(
    *,
    train: bool = False,
    model: str | os.PathLike[str] | None = None,
    log: Log | None = None,
    command: str = "nn2crn demo --train",
) -> tuple[Network, str]:
    """The demo's network and where it came from: a model file, a freshly trained one, or the shipped one."""
    if model is not None:
        from ..nn import load_network

        network = load_network(model)
        if network.n_inputs != 4 or network.n_outputs != 3:
            raise InputDataError(
                f"{model}: the demo runs on IRIS (4 features, 3 classes) but this model is "
                f"{'-'.join(map(str, network.widths))}; use `nn2crn reproduce` or `nn2crn verify` for other data"
            )
        return network, f"model file `{model}`"
    network, _, provenance = experiment_network(EXPERIMENTS["iris"], train=train, log=log, command=command)
    return network, provenance


def simulate_ssa_examples(result: ExperimentResult, *, seed: int = 0) -> SSAResult:
    """SSA runs of the compiled CRN for the first plotted examples."""
    from ..simulate.metrics import argmax_agrees_with
    from ..simulate.ssa import simulate_ssa

    examples = tuple(result.plot_rows[:SSA_EXAMPLES])
    x = result.network.transform(result.dataset.test.x[list(examples)])
    started = time.perf_counter()
    trajectory = simulate_ssa(
        result.crn,
        x,
        volume=SSA_VOLUME,
        t_end=result.ode.t_end,
        runs=SSA_RUNS,
        n_points=251,
        seed=seed,
        store="outputs",
    )
    seconds = time.perf_counter() - started
    stable = result.exact_test_outputs[list(examples)]
    final = trajectory.final_outputs
    network_outputs = result.nn_test_outputs[list(examples)][trajectory.input_rows]
    ssa = SSAResult(
        examples=examples,
        volume=SSA_VOLUME,
        runs=SSA_RUNS,
        max_gap=float(np.abs(final - stable[trajectory.input_rows]).max(initial=0.0)),
        agreement=(int(argmax_agrees_with(final, network_outputs).sum()), int(final.shape[0])),
        leader_times=np.asarray(trajectory.info["leader_time"], dtype=np.float64),
        events=int(np.sum(trajectory.info["events"])),
        seconds=seconds,
        trajectory=trajectory,
    )
    return ssa


@dataclass(frozen=True, eq=False)
class DemoStudy:
    """What :func:`run_demo_study` returns.

    Attributes
    ----------
    experiment : ExperimentResult
    ssa : SSAResult or None
        None when the SSA runs were not asked for (or there was no example to plot).
    """

    experiment: ExperimentResult
    ssa: SSAResult | None
    dna: DNASectionData | None = None


def run_demo_study(
    *,
    train: bool = False,
    model: str | os.PathLike[str] | None = None,
    ssa: bool = True,
    dna: bool = False,
    command: str = "nn2crn demo",
    log: Log | None = None,
) -> DemoStudy:
    """The demo's network through its experiment, plus a few SSA runs.

    Parameters
    ----------
    train : bool
        Train the IRIS network first (the shipped model's recorded settings) instead of loading it.
    model : path-like, optional
        Use this IRIS model file instead.
    ssa : bool
        Also run a few stochastic simulations.
    dna : bool
        Also compute the DNA implementation data (needs the ``dna`` extra; ~100 s CPU).
    command : str
        Recorded in a trained network.
    log : callable, optional
        Receives progress messages.

    Returns
    -------
    DemoStudy

    Raises
    ------
    InputDataError
        Both `train` and `model`, or the model is not an IRIS model.
    ModelFileError
        The shipped model is missing (without `train`) or the model file is invalid.
    """
    if train and model is not None:
        raise InputDataError("give either train=True or model=FILE, not both")
    network, provenance = demo_network(train=train, model=model, log=log, command=command)
    run = EXPERIMENTS["iris"]
    data = load_run_data(run, network)
    result = run_experiment(
        "iris",
        network,
        data,
        t_end=run.t_end,
        ode_examples=data.test.n_examples,
        provenance=provenance,
        log=log,
    )
    dna_data = experiment_dna(result, log=log) if dna else None
    if not (ssa and result.plot_rows):
        return DemoStudy(result, None, dna_data)
    ssa_result = simulate_ssa_examples(result)
    if log is not None:
        log(
            f"iris: SSA, {ssa_result.agreement[1]} runs at V = {ssa_result.volume:g} in {ssa_result.seconds:.1f} s"
        )
    return DemoStudy(result, ssa_result, dna_data)
