"""Convergence of simulated outputs towards the exact stable outputs.

Every metric here is a *settling time*: the time after which a criterion holds
at every later sample up to ``t_end``. It is measured on the trajectory's
sample grid as follows. Let ``k`` be the last sample at which the criterion is
violated; the reported time is ``times[k + 1]``, the first sample of the final
unbroken run of samples that satisfy it. The true (continuous-time) settling
time therefore lies in ``(times[k], times[k + 1]]``; refine the grid
(``n_points``) to narrow it. A criterion that never fails reports
``times[0]`` (0). A criterion still violated at the last sample reports
``inf``: the run did not converge by ``t_end`` and no time is invented.

The criteria, for simulated outputs ``y`` and exact stable outputs ``y*``:

- **epsilon**: every output within ``epsilon`` absolute, ``|y_i - y*_i| <= epsilon``.
- **fraction**: every output within a fraction ``f`` of its stable value,
  ``|y_i - y*_i| <= (1 - f) |y*_i|``. An output whose stable value is 0 has no
  relative scale; it uses the epsilon criterion instead.
- **order**: the outputs are in their final order: for every pair with
  ``y*_i > y*_j`` (beyond a tie tolerance) ``y_i > y_j`` strictly. Tied stable
  outputs may appear in either order.
- **argmax**: the eventual argmax stays on top: every output that is not a
  stable winner is strictly below the best stable winner. With a unique winner
  ``w`` this is ``y_w > y_j`` for all ``j != w``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .._errors import InputDataError
from .base import Trajectory

METRICS = ("epsilon", "fraction", "order", "argmax")
TIE_RTOL = 1e-9
"""Two stable outputs closer than ``TIE_RTOL * max(1, max_k |y*_k|)`` count as tied.

The scale is the row's largest stable magnitude, so the tolerance covers the
rounding of a dual-rail difference; the floor of 1 keeps near-zero rows from
splitting exact ties.
"""
_CHUNK = 256  # batch rows per block in the pairwise order check


def settling_times(times: np.ndarray, violated: np.ndarray) -> np.ndarray:
    """First sample time after the last violation of a criterion, per batch row.

    Parameters
    ----------
    times : ndarray of shape (n_times,)
        Increasing sample times.
    violated : bool ndarray of shape (n_batch, n_times)
        True where the criterion fails.

    Returns
    -------
    ndarray of shape (n_batch,)
        ``times[k + 1]`` for the last violated sample ``k``; ``times[0]`` when never
        violated; ``inf`` when violated at the last sample.
    """
    times = np.asarray(times, dtype=np.float64)
    violated = np.asarray(violated, dtype=bool)
    n_times = times.shape[0]
    if violated.ndim != 2 or violated.shape[1] != n_times:
        raise ValueError(f"violated must have shape (n_batch, {n_times}), got {violated.shape}")
    # index of the last violated sample, -1 if none
    last = n_times - 1 - np.argmax(violated[:, ::-1], axis=1)
    last = np.where(violated.any(axis=1), last, -1)
    padded = np.append(times, np.inf)
    return padded[last + 1]


def _check_stable(trajectory: Trajectory, stable: object) -> np.ndarray:
    """Stable outputs aligned with the trajectory's batch rows, shape (n_batch, n_outputs)."""
    stable = np.asarray(stable, dtype=np.float64)
    n_outputs = trajectory.crn.n_outputs
    if stable.ndim == 1:
        stable = stable[None, :]
    if stable.ndim != 2 or stable.shape[1] != n_outputs:
        raise InputDataError(
            f"stable outputs: expected shape (n_rows, {n_outputs}), got {stable.shape}; pass "
            f"stable_outputs(crn, input_values) for the simulated input rows"
        )
    rows = trajectory.input_rows
    if rows.size and rows.max() >= stable.shape[0]:
        raise InputDataError(
            f"stable outputs: the trajectory refers to input row {int(rows.max())} but only "
            f"{stable.shape[0]} rows of stable outputs were given"
        )
    if not np.isfinite(stable).all():
        raise InputDataError("stable outputs: every value must be finite")
    return stable[rows]


def tie_tolerance(stable: object) -> np.ndarray:
    """Per-row absolute tolerance below which two stable outputs count as tied.

    Parameters
    ----------
    stable : array-like of shape (n_rows, n_outputs)

    Returns
    -------
    ndarray of shape (n_rows,)
        ``TIE_RTOL * max(1, max_k |stable[row, k]|)``.
    """
    stable = np.asarray(stable, dtype=np.float64)
    return TIE_RTOL * np.maximum(1.0, np.abs(stable).max(axis=1, initial=0.0))


def winners(stable: object) -> np.ndarray:
    """Which outputs are stable winners: tied (see :data:`TIE_RTOL`) with the largest one.

    This is the one definition of "the right answer" behind every argmax
    agreement in nn2crn: an output counts as chosen correctly when it is a winner.

    Parameters
    ----------
    stable : array-like of shape (n_rows, n_outputs)
        Reference outputs (exact stable outputs, or the network's outputs).

    Returns
    -------
    bool ndarray of shape (n_rows, n_outputs)
        True for every output within the tie tolerance of the row's maximum.
    """
    stable = np.asarray(stable, dtype=np.float64)
    if stable.shape[-1] == 0:
        return np.zeros(stable.shape, dtype=bool)
    top = stable.max(axis=1, keepdims=True)
    return stable >= top - tie_tolerance(stable)[:, None]


def unique_argmax(values: object) -> np.ndarray:
    """Index of the unique largest value per row, -1 where the largest is tied, shape (n_rows,).

    For exact values such as molecule counts, where a tie is a real non-answer.
    """
    values = np.asarray(values)
    best = np.argmax(values, axis=1)
    tied = (values == values.max(axis=1, keepdims=True)).sum(axis=1) > 1
    return np.where(tied, -1, best)


def chosen_agrees(chosen: object, winner_mask: np.ndarray) -> np.ndarray:
    """Whether each row's chosen output is a stable winner, shape (n_rows,).

    Parameters
    ----------
    chosen : int array-like of shape (n_rows,)
        Chosen output per row (e.g. ``np.argmax(y, axis=1)``); -1 means no choice
        (a tie, see :func:`unique_argmax`) and never agrees.
    winner_mask : bool ndarray of shape (n_rows, n_outputs)
        From :func:`winners`.
    """
    chosen = np.asarray(chosen, dtype=np.int64)
    if winner_mask.shape[1] == 0:
        return np.ones(chosen.shape[0], dtype=bool)
    safe = np.maximum(chosen, 0)
    return (chosen >= 0) & winner_mask[np.arange(chosen.shape[0]), safe]


def argmax_agrees_with(outputs: object, reference: object) -> np.ndarray:
    """Whether the argmax of `outputs` is a winner of `reference`, per row, shape (n_rows,).

    Parameters
    ----------
    outputs, reference : array-like of shape (n_rows, n_outputs)
        E.g. a CRN's outputs and the network's (or the exact stable) outputs.
    """
    outputs = np.asarray(outputs, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if outputs.shape[1] == 0:
        return np.ones(outputs.shape[0], dtype=bool)
    return chosen_agrees(np.argmax(outputs, axis=1), winners(reference))


def _order_violated(outputs: np.ndarray, stable: np.ndarray) -> np.ndarray:
    """(n_batch, n_times) bool: some strictly ordered stable pair is not strictly ordered."""
    n_batch, n_times, _ = outputs.shape
    violated = np.zeros((n_batch, n_times), dtype=bool)
    for start in range(0, n_batch, _CHUNK):
        part = slice(start, start + _CHUNK)
        s = stable[part]
        # above[b, i, j]: output i must end strictly above output j
        above = (s[:, :, None] - s[:, None, :]) > tie_tolerance(s)[:, None, None]
        y = outputs[part]
        wrong = y[:, :, :, None] <= y[:, :, None, :]  # (b, t, i, j)
        violated[part] = (wrong & above[:, None, :, :]).any(axis=(2, 3))
    return violated


def _argmax_violated(outputs: np.ndarray, stable: np.ndarray) -> np.ndarray:
    """(n_batch, n_times) bool: some non-winner is at or above the best stable winner."""
    if stable.shape[1] == 0:
        return np.zeros(outputs.shape[:2], dtype=bool)
    mask = winners(stable)  # (n_batch, n_outputs)
    best_winner = np.where(mask[:, None, :], outputs, -np.inf).max(axis=2)
    best_loser = np.where(mask[:, None, :], -np.inf, outputs).max(axis=2)
    return best_loser >= best_winner


@dataclass(frozen=True, eq=False)
class ConvergenceTimes:
    """Settling times per batch row for each criterion (see the module docstring).

    Attributes
    ----------
    epsilon, fraction, order, argmax : ndarray of shape (n_batch,)
        Settling times; ``inf`` where the criterion still fails at ``t_end``.
    input_rows : ndarray of shape (n_batch,)
        Input row of each batch row (as in :class:`Trajectory`).
    t_end : float
        Last sample time.
    epsilon_value, fraction_value : float
        The thresholds used.
    """

    epsilon: np.ndarray
    fraction: np.ndarray
    order: np.ndarray
    argmax: np.ndarray
    input_rows: np.ndarray
    t_end: float
    epsilon_value: float
    fraction_value: float

    def as_dict(self) -> dict[str, np.ndarray]:
        """``{metric name: settling times}`` in the order of :data:`METRICS`."""
        return {name: getattr(self, name) for name in METRICS}

    def summary(self) -> dict[str, dict[str, float]]:
        """:func:`summarize` of every metric."""
        return {name: summarize(values) for name, values in self.as_dict().items()}


def convergence_times(
    trajectory: Trajectory,
    stable: object,
    *,
    epsilon: float = 0.01,
    fraction: float = 0.9,
) -> ConvergenceTimes:
    """Settling times of a simulated batch against its exact stable outputs.

    Parameters
    ----------
    trajectory : Trajectory
        Simulated outputs, ``trajectory.outputs`` of shape (n_batch, n_times, n_outputs).
    stable : array-like of shape (n_rows, n_outputs)
        Exact stable outputs per *input row*, e.g. ``stable_outputs(crn, input_values)``.
        Batch row ``b`` is compared with ``stable[trajectory.input_rows[b]]``, so SSA
        trajectories with several runs per input need no repetition.
    epsilon : float, default 0.01
        Absolute tolerance (> 0) of the epsilon criterion.
    fraction : float, default 0.9
        Fraction f in (0, 1] of the fraction criterion.

    Returns
    -------
    ConvergenceTimes
        One settling time per batch row and criterion; ``inf`` if not converged by ``t_end``.

    Examples
    --------
    >>> times = convergence_times(trajectory, stable_outputs(crn, x), epsilon=0.05)  # doctest: +SKIP
    >>> summarize(times.argmax)["median"]  # doctest: +SKIP
    """
    if not (np.isfinite(epsilon) and epsilon > 0):
        raise InputDataError(f"epsilon must be a finite number > 0, got {epsilon!r}")
    if not (0 < fraction <= 1):
        raise InputDataError(f"fraction must be in (0, 1], got {fraction!r}")
    stable = _check_stable(trajectory, stable)
    outputs = trajectory.outputs  # (n_batch, n_times, n_outputs)
    times = trajectory.times
    error = np.abs(outputs - stable[:, None, :])
    within_epsilon = error <= epsilon
    relative_bound = (1.0 - fraction) * np.abs(stable)[:, None, :]
    within_fraction = np.where(stable[:, None, :] != 0, error <= relative_bound, within_epsilon)
    return ConvergenceTimes(
        epsilon=settling_times(times, ~within_epsilon.all(axis=2)),
        fraction=settling_times(times, ~within_fraction.all(axis=2)),
        order=settling_times(times, _order_violated(outputs, stable)),
        argmax=settling_times(times, _argmax_violated(outputs, stable)),
        input_rows=trajectory.input_rows.copy(),
        t_end=float(times[-1]),
        epsilon_value=float(epsilon),
        fraction_value=float(fraction),
    )


def summarize(values: object) -> dict[str, float]:
    """Distribution summary of settling times over a batch.

    Quantiles use the ``inverted_cdf`` rule (an actual sample, no interpolation), so
    a quantile that falls on an unconverged row is honestly ``inf``.

    Parameters
    ----------
    values : array-like of shape (n_batch,)

    Returns
    -------
    dict
        ``median``, ``p95``, ``max``, ``mean`` (of the converged rows, NaN if none),
        ``converged`` (fraction of finite values) and ``n``.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0:
        nan = float("nan")
        return {"median": nan, "p95": nan, "max": nan, "mean": nan, "converged": nan, "n": 0}
    finite = np.isfinite(values)
    return {
        "median": float(np.quantile(values, 0.5, method="inverted_cdf")),
        "p95": float(np.quantile(values, 0.95, method="inverted_cdf")),
        "max": float(values.max()),
        "mean": float(values[finite].mean()) if finite.any() else float("nan"),
        "converged": float(finite.mean()),
        "n": int(values.size),
    }


def max_deviation(trajectory: Trajectory, stable: object) -> np.ndarray:
    """Largest ``|y - y*|`` over outputs at the last sample, per batch row, shape (n_batch,)."""
    stable = _check_stable(trajectory, stable)
    if stable.shape[1] == 0:
        return np.zeros(trajectory.states.shape[0])
    return np.abs(trajectory.final_outputs - stable).max(axis=1)


def argmax_agrees(trajectory: Trajectory, stable: object) -> np.ndarray:
    """Whether the argmax of the outputs at the last sample is a stable winner, shape (n_batch,).

    A stable winner is any output tied (:data:`TIE_RTOL`) with the largest stable output.
    """
    stable = _check_stable(trajectory, stable)
    if stable.shape[1] == 0:
        return np.ones(trajectory.states.shape[0], dtype=bool)
    return argmax_agrees_with(trajectory.final_outputs, stable)


def format_summary(summaries: Mapping[str, Mapping[str, float]], *, unit: str = "") -> str:
    """A plain-text table of :func:`summarize` results, one line per metric."""
    header = f"{'metric':<10} {'median':>10} {'p95':>10} {'max':>10} {'converged':>10}"
    lines = [header]
    for name, row in summaries.items():
        lines.append(
            f"{name:<10} {row['median']:>10.4g} {row['p95']:>10.4g} {row['max']:>10.4g} "
            f"{row['converged']:>10.1%}"
        )
    if unit:
        lines.append(f"(times in {unit})")
    return "\n".join(lines)
