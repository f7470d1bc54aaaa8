"""Accuracy versus volume: how many molecules a compiled network needs for reliable answers.

For each volume V the batch of inputs is simulated ``runs`` times with the exact
SSA (:func:`nn2crn.simulate.ssa.simulate_ssa`) up to ``t_end``, and the outputs at
``t_end`` are compared with the exact stable outputs (which equal the network's
outputs for a compiled network). Per volume the study reports, over all
(input, run) pairs:

- **agreement**: fraction whose argmax at ``t_end`` is unique and a stable winner
  (the network's answer). A tie for the largest output counts as disagreement:
  the chemistry gives no answer;
- **mean / max error**: mean and maximum over runs of ``max_k |y_k(t_end) - y*_k|``;
- **leader time**: median and 95th percentile of the time at which the final
  argmax took the lead for good (tracked event by event, not on a grid; ``inf``
  for a run that ends in a tie, which has no final argmax);
- **exhausted**: fraction of runs in which no reaction could fire any more by ``t_end``;
- **rounding-only** agreement and max error: the same for the exact final counts
  (:func:`~nn2crn.simulate.ssa.final_counts_nc`), i.e. the error that rounding the
  inputs and biases to whole molecules causes even with unlimited time. The gap
  between these and the SSA columns is the kinetic error still present at ``t_end``.
- with true class labels: **accuracy** of the SSA argmax and of the network.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .._errors import InputDataError, SimulationError
from ..crn import CRN
from ..simulate.metrics import chosen_agrees, max_deviation, summarize, unique_argmax, winners

STUDY_COLUMNS = (
    "volume",
    "inputs",
    "runs",
    "agreement",
    "mean_error",
    "max_error",
    "leader_time_median",
    "leader_time_p95",
    "exhausted",
    "events_mean",
    "rounding_agreement",
    "rounding_max_error",
    "accuracy",
    "seconds",
)


@dataclass(frozen=True)
class VolumeResult:
    """One volume of the study (see the module docstring for each field)."""

    volume: float
    inputs: int
    runs: int
    agreement: float
    mean_error: float
    max_error: float
    leader_time_median: float
    leader_time_p95: float
    exhausted: float
    events_mean: float
    rounding_agreement: float
    rounding_max_error: float
    accuracy: float
    seconds: float

    def as_row(self) -> tuple[float, ...]:
        """The values in the order of :data:`STUDY_COLUMNS`."""
        return tuple(getattr(self, name) for name in STUDY_COLUMNS)


@dataclass(frozen=True)
class SsaStudy:
    """Results of :func:`ssa_volume_study`, one :class:`VolumeResult` per volume.

    Attributes
    ----------
    results : tuple of VolumeResult
    t_end : float
    seed : int
    network_accuracy : float
        Accuracy of the exact stable outputs against the labels (NaN without labels).
    """

    results: tuple[VolumeResult, ...]
    t_end: float
    seed: int
    network_accuracy: float = math.nan

    def rows(self) -> list[tuple[float, ...]]:
        """Values in the order of :data:`STUDY_COLUMNS`, one tuple per volume."""
        return [r.as_row() for r in self.results]


def ssa_volume_study(
    crn: CRN,
    input_values: object,
    *,
    volumes: Sequence[float],
    runs: int,
    t_end: float = 50.0,
    seed: int = 0,
    labels: object | None = None,
    n_threads: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> SsaStudy:
    """Accuracy of SSA outputs at ``t_end`` against the exact stable outputs, per volume.

    Parameters
    ----------
    crn : CRN
        Feed-forward, non-competitive CRN with declared outputs (e.g. a compiled network).
    input_values : array-like of shape (n_inputs_rows, n_inputs)
    volumes : sequence of float
        Volumes V > 0 to study, in the order given.
    runs : int
        SSA runs per input row and volume.
    t_end : float, default 50
    seed : int, default 0
        Volume number ``i`` (0-based) uses ``seed + i``.
    labels : array-like of int of shape (n_inputs_rows,), optional
        True class indices (output positions); adds accuracy columns.
    n_threads : int, optional
        Threads of the SSA backend.
    progress : callable, optional
        Called with the overall fraction done (0 to 1).

    Returns
    -------
    SsaStudy

    Raises
    ------
    CRNStructureError
        The CRN is not feed-forward and non-competitive (no exact stable outputs).
    SimulationError
        Bad volumes, runs or t_end.
    """
    from ..simulate.exact import stable_outputs
    from ..simulate.ssa import final_counts_nc, simulate_ssa

    volumes = [float(v) for v in volumes]
    if not volumes:
        raise SimulationError("volumes: give at least one volume, e.g. 1,10,100,1000")
    if crn.n_outputs == 0:
        raise SimulationError(
            "the CRN declares no outputs; the study compares outputs with their stable values"
        )
    # The reference for kinetics: float64 rounding of deep networks' rails (below 1e-6
    # relative even at depth 8) is far below what is compared with it: no bound check.
    stable = stable_outputs(crn, input_values, rtol=None)
    winner_mask = winners(stable)
    n_rows = stable.shape[0]
    label_index = None
    network_accuracy = math.nan
    if labels is not None:
        label_index = np.asarray(labels, dtype=np.int64).ravel()
        if label_index.shape != (n_rows,) or (label_index < 0).any() or (label_index >= crn.n_outputs).any():
            raise InputDataError(
                f"labels: expected {n_rows} class indices in [0, {crn.n_outputs}), got shape {label_index.shape}"
            )
        network_accuracy = float(np.mean(np.argmax(stable, axis=1) == label_index))
    results = []
    for number, volume in enumerate(volumes):
        started = time.perf_counter()

        def report(fraction: float, number: int = number) -> None:
            if progress is not None:
                progress((number + fraction) / len(volumes))

        trajectory = simulate_ssa(
            crn,
            input_values,
            volume=volume,
            t_end=t_end,
            runs=runs,
            seed=seed + number,
            store="final",
            n_threads=n_threads,
            progress=report if progress is not None else None,
        )
        deviation = max_deviation(trajectory, stable)
        chosen = unique_argmax(trajectory.info["final_counts"] @ _integer_outputs(crn).T)
        agrees = chosen_agrees(chosen, winner_mask[trajectory.input_rows])
        leader = np.where(chosen >= 0, trajectory.info["leader_time"], np.inf)
        spread = summarize(leader)
        exact_counts = final_counts_nc(crn, input_values, volume=volume)
        rounding = crn.read_outputs(exact_counts / volume)
        rounding_agrees = chosen_agrees(unique_argmax(exact_counts @ _integer_outputs(crn).T), winner_mask)
        accuracy = math.nan
        if label_index is not None:
            accuracy = float(np.mean(chosen == label_index[trajectory.input_rows]))
        results.append(
            VolumeResult(
                volume=volume,
                inputs=n_rows,
                runs=runs,
                agreement=float(agrees.mean()),
                mean_error=float(deviation.mean()),
                max_error=float(deviation.max()),
                leader_time_median=spread["median"],
                leader_time_p95=spread["p95"],
                exhausted=float(np.mean(trajectory.info["termination"] == "exhausted")),
                events_mean=float(trajectory.info["events"].mean()),
                rounding_agreement=float(rounding_agrees.mean()),
                rounding_max_error=float(np.abs(rounding - stable).max()),
                accuracy=accuracy,
                seconds=time.perf_counter() - started,
            )
        )
    return SsaStudy(tuple(results), float(t_end), int(seed), network_accuracy)


def _integer_outputs(crn: CRN) -> np.ndarray:
    """Output combinations as integers, (n_outputs, n_species): exact on molecule counts."""
    from ..simulate.ssa import integer_output_matrix

    return integer_output_matrix(crn)
