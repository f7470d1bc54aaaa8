"""Rate robustness and the ReLU-rate speed-up of a CRN.

A compiled CRN is rate-independent: its stable outputs do not depend on the rate
constants. :func:`rate_robustness` makes that claim testable: it draws random
rate sets, simulates the batch under each and compares the long-time outputs
with the exact stable outputs. :func:`relu_speedup` measures how raising the
ReLU (annihilation) reactions' rates shortens convergence. Rate sets are given
in the rate-specification language of :mod:`nn2crn.simulate.rates`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .._errors import SimulationError
from .._frozen import FrozenMapping
from ..crn import CRN
from ..simulate.metrics import argmax_agrees, convergence_times, max_deviation, summarize
from ..simulate.rates import RateSpec, apply_rates, parse_rate_spec


def _stable(crn: CRN, input_values: object, stable: object | None) -> np.ndarray:
    if stable is not None:
        return np.asarray(stable, dtype=np.float64)
    from ..simulate.exact import stable_outputs

    # The reference for kinetics: float64 rounding of deep networks' rails (below 1e-6
    # relative even at depth 8) is far below what is compared with it: no bound check.
    return stable_outputs(crn, input_values, rtol=None)


@dataclass(frozen=True)
class RateSetResult:
    """Long-time outputs under one rate set, compared with the exact stable outputs.

    Attributes
    ----------
    spec : str
        The rate specification; ``--rates SPEC`` reproduces the run ("as given" for the CRN's own rates).
    min_rate, max_rate : float
        Smallest and largest rate constant used.
    max_deviation : float
        Largest |output(t_end) − stable output| over the batch and outputs.
    mean_deviation : float
        Mean over the batch of each row's largest deviation.
    argmax_agreement : float
        Fraction of rows whose argmax at t_end is a stable winner.
    n_disagree : int
        Rows whose argmax disagrees.
    """

    spec: str
    min_rate: float
    max_rate: float
    max_deviation: float
    mean_deviation: float
    argmax_agreement: float
    n_disagree: int


@dataclass(frozen=True)
class RobustnessResult:
    """Result of :func:`rate_robustness`: one row per rate set, the CRN's own rates first."""

    rate_sets: tuple[RateSetResult, ...]
    t_end: float
    rate_law: str
    n_rows: int


def rate_robustness(
    crn: CRN,
    input_values: object,
    *,
    rate_sets: int = 10,
    low: float = 0.1,
    high: float = 10.0,
    seed: int = 0,
    t_end: float = 1000.0,
    rate_law: str = "mass-action",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    stable: object | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RobustnessResult:
    """Simulate a batch under random rate sets and compare long-time outputs with the exact ones.

    Rate set ``r`` (0-based) is ``random:SEED+r:LOW:HIGH``, so any row of the table can be
    re-run with ``nn2crn simulate --rates``. The CRN's own rates are simulated first.

    Parameters
    ----------
    crn : CRN
    input_values : array-like of shape (n_batch, n_inputs)
    rate_sets : int, default 10
        Number R ≥ 1 of random rate sets.
    low, high : float
        Log-uniform range of the random rate constants, 0 < low <= high.
    seed : int
        Seed of the first random rate set.
    t_end : float
        Time at which the outputs are compared (> 0).
    rate_law : {"mass-action", "saturating"}
    rtol, atol : float
        ODE tolerances.
    stable : array-like of shape (n_batch, n_outputs), optional
        Exact stable outputs; computed with :func:`nn2crn.simulate.exact.stable_outputs` if omitted.
    progress : callable(done, total), optional
        Called after each simulated rate set.

    Returns
    -------
    RobustnessResult
    """
    from ..simulate.ode import simulate_ode

    if rate_sets < 1:
        raise SimulationError(f"rate_sets must be >= 1, got {rate_sets}")
    specs = [
        str(RateSpec("random", seed=seed + r, low=float(low), high=float(high))) for r in range(rate_sets)
    ]
    for spec in specs[:1]:
        parse_rate_spec(spec)  # validates low/high once, with the user-facing message
    stable = _stable(crn, input_values, stable)
    results = []
    total = rate_sets + 1
    for index, spec in enumerate(["as given", *specs]):
        network = crn if spec == "as given" else apply_rates(crn, spec)
        trajectory = simulate_ode(
            network,
            input_values,
            t_end=t_end,
            rate_law=rate_law,
            rtol=rtol,
            atol=atol,
            store="outputs",
            n_points=2,
        )
        deviation = max_deviation(trajectory, stable)
        agree = argmax_agrees(trajectory, stable)
        rates = network.rates
        results.append(
            RateSetResult(
                spec=spec,
                min_rate=float(rates.min()) if rates.size else float("nan"),
                max_rate=float(rates.max()) if rates.size else float("nan"),
                max_deviation=float(deviation.max()) if deviation.size else 0.0,
                mean_deviation=float(deviation.mean()) if deviation.size else 0.0,
                argmax_agreement=float(agree.mean()) if agree.size else 1.0,
                n_disagree=int((~agree).sum()),
            )
        )
        if progress is not None:
            progress(index + 1, total)
    n_rows = int(np.asarray(stable).shape[0]) if np.asarray(stable).ndim == 2 else 1
    return RobustnessResult(tuple(results), float(t_end), rate_law, n_rows)


@dataclass(frozen=True)
class SpeedupRow:
    """Convergence with the ReLU reactions' rates multiplied by `factor`.

    Attributes
    ----------
    factor : float
    epsilon, argmax : dict
        :func:`nn2crn.simulate.metrics.summarize` of the epsilon and argmax settling times.
    epsilon_times : ndarray of shape (n_batch,)
        The epsilon settling times themselves (for plots).
    """

    factor: float
    epsilon: Mapping[str, float]
    argmax: Mapping[str, float]
    epsilon_times: np.ndarray


@dataclass(frozen=True)
class SpeedupResult:
    """Result of :func:`relu_speedup`."""

    rows: tuple[SpeedupRow, ...]
    epsilon: float
    t_end: float

    @property
    def speedups(self) -> tuple[float, ...]:
        """Median ε settling time of the first factor over each row's (NaN where either did not settle)."""
        base = self.rows[0].epsilon["median"] if self.rows else math.nan
        values = []
        for row in self.rows:
            median = row.epsilon["median"]
            settled = math.isfinite(base) and math.isfinite(median) and median > 0
            values.append(base / median if settled else math.nan)
        return tuple(values)


def sample_times(t_end: float, n_points: int) -> np.ndarray:
    """0 followed by `n_points` − 1 log-spaced times from t_end·1e-4 to t_end, shape (n_points,).

    Log spacing resolves settling times that span several decades (fast and slow rates).
    """
    if n_points < 2:
        raise SimulationError(f"n_points must be >= 2, got {n_points}")
    return np.concatenate([[0.0], np.geomspace(t_end * 1e-4, t_end, n_points - 1)])


def relu_speedup(
    crn: CRN,
    input_values: object,
    *,
    factors: Sequence[float] = (1.0, 10.0, 100.0),
    t_end: float = 200.0,
    epsilon: float = 0.01,
    n_points: int = 401,
    rate_law: str = "mass-action",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    stable: object | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SpeedupResult:
    """Epsilon settling time as the ReLU (annihilation) reactions' rates are raised.

    Each factor multiplies the rates of the reactions with ≥ 2 reactant molecules (see
    ``scale-relu``); the others keep their rates. Times are sampled log-spaced
    (:func:`sample_times`), so the settling times' resolution is relative, about
    ``(1e4)^(1/(n_points-2)) - 1`` (2.3% for the default 401 points).

    Parameters
    ----------
    crn : CRN
    input_values : array-like of shape (n_batch, n_inputs)
    factors : sequence of float
        Rate multipliers (> 0), e.g. (1, 10, 100).
    t_end, epsilon, n_points, rate_law, rtol, atol
        Simulation horizon, epsilon of the settling criterion, samples, kinetics, tolerances.
    stable : array-like of shape (n_batch, n_outputs), optional
        Exact stable outputs (computed if omitted).
    progress : callable(done, total), optional

    Returns
    -------
    SpeedupResult
    """
    from ..simulate.ode import simulate_ode

    factors = [float(f) for f in factors]
    if not factors or any(not (math.isfinite(f) and f > 0) for f in factors):
        raise SimulationError(f"factors must be finite numbers > 0, got {factors}")
    stable = _stable(crn, input_values, stable)
    times = sample_times(t_end, n_points)
    rows = []
    for index, factor in enumerate(factors):
        network = apply_rates(crn, RateSpec("scale-relu", value=factor))
        trajectory = simulate_ode(
            network,
            input_values,
            t_end=t_end,
            times=times,
            rate_law=rate_law,
            rtol=rtol,
            atol=atol,
            store="outputs",
        )
        settled = convergence_times(trajectory, stable, epsilon=epsilon)
        rows.append(
            SpeedupRow(
                factor,
                FrozenMapping(summarize(settled.epsilon)),
                FrozenMapping(summarize(settled.argmax)),
                settled.epsilon,
            )
        )
        if progress is not None:
            progress(index + 1, len(factors))
    return SpeedupResult(tuple(rows), float(epsilon), float(t_end))
