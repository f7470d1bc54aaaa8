"""Rate constants: rate specifications, random rate sets and rate-robustness studies.

A compiled CRN is rate-independent: its stable outputs do not depend on the rate
constants. This module makes that claim testable. It draws random rate sets,
simulates the batch under each and compares the long-time outputs with the
exact stable outputs; and it measures how raising the ReLU reactions' rates
shortens convergence.

Rate specifications (the CLI's ``--rates``), applied left to right when joined
with commas:

``random:SEED:LOW:HIGH``
    Each reaction's rate constant drawn independently and log-uniformly from
    [LOW, HIGH] (``exp(U(log LOW, log HIGH))``) with ``numpy.random.default_rng(SEED)``,
    in reaction order. 0 < LOW <= HIGH.
``scale-relu:FACTOR``
    Multiply the rate of every *ReLU reaction* by FACTOR > 0. The ReLU reactions
    are those with two or more reactant molecules; in compiled and reduced CRNs
    these are exactly the annihilations ``M_j + Z_j- -> ...``, whose slow 1/t
    tail limits convergence.
``constant:K``
    Every rate constant set to K > 0.

Example: ``random:7:0.1:10,scale-relu:100``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .._errors import CRNStructureError, SimulationError
from ..crn import CRN
from .metrics import argmax_agrees, convergence_times, max_deviation, summarize

RATE_SPEC_FORMS = ("random:SEED:LOW:HIGH", "scale-relu:FACTOR", "constant:K")


@dataclass(frozen=True)
class RateSpec:
    """One parsed rate specification (see the module docstring).

    Attributes
    ----------
    kind : {"random", "scale-relu", "constant"}
    seed : int or None
        Seed of a ``random`` spec.
    low, high : float or None
        Range of a ``random`` spec.
    value : float or None
        FACTOR of ``scale-relu`` or K of ``constant``.
    """

    kind: str
    seed: int | None = None
    low: float | None = None
    high: float | None = None
    value: float | None = None

    def __str__(self) -> str:
        if self.kind == "random":
            return f"random:{self.seed}:{format_number(self.low)}:{format_number(self.high)}"
        return f"{self.kind}:{format_number(self.value)}"


def format_number(value: float) -> str:
    """Shortest text that parses back to `value` (``0.1``, ``10``, ``2.5e-07``)."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _positive(text: str, what: str, spec: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SimulationError(f"rates {spec!r}: {what} {text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise SimulationError(f"rates {spec!r}: {what} must be a finite number > 0, got {text}")
    return value


def _parse_one(spec: str) -> RateSpec:
    parts = spec.strip().split(":")
    kind = parts[0].strip().lower()
    usage = f"expected one of {', '.join(RATE_SPEC_FORMS)} (joined with commas to combine)"
    if kind == "random":
        if len(parts) != 4:
            raise SimulationError(
                f"rates {spec!r}: a random spec has the form random:SEED:LOW:HIGH, e.g. random:0:0.1:10"
            )
        try:
            seed = int(parts[1])
        except ValueError:
            raise SimulationError(f"rates {spec!r}: SEED {parts[1]!r} must be an integer") from None
        if seed < 0:
            raise SimulationError(f"rates {spec!r}: SEED must be >= 0, got {seed}")
        low = _positive(parts[2], "LOW", spec)
        high = _positive(parts[3], "HIGH", spec)
        if low > high:
            raise SimulationError(f"rates {spec!r}: LOW = {low:g} is greater than HIGH = {high:g}; swap them")
        return RateSpec("random", seed=seed, low=low, high=high)
    if kind in ("scale-relu", "constant"):
        if len(parts) != 2:
            form = "scale-relu:FACTOR" if kind == "scale-relu" else "constant:K"
            raise SimulationError(f"rates {spec!r}: expected {form}")
        what = "FACTOR" if kind == "scale-relu" else "K"
        return RateSpec(kind, value=_positive(parts[1], what, spec))
    raise SimulationError(f"rates {spec!r}: unknown rate specification {parts[0]!r}; {usage}")


def parse_rate_spec(text: str) -> tuple[RateSpec, ...]:
    """Parse a rate specification such as ``random:0:0.1:10`` or ``random:0:0.1:10,scale-relu:10``.

    Raises
    ------
    SimulationError
        Unknown form, a non-numeric or non-positive value, or LOW > HIGH.
    """
    pieces = [piece for piece in text.split(",") if piece.strip()]
    if not pieces:
        raise SimulationError(f"rates: empty specification; expected one of {', '.join(RATE_SPEC_FORMS)}")
    return tuple(_parse_one(piece) for piece in pieces)


def relu_reactions(crn: CRN) -> np.ndarray:
    """Mask of the ReLU (annihilation) reactions: those with ≥ 2 reactant molecules, shape (n_reactions,)."""
    return np.array([reaction.order >= 2 for reaction in crn.reactions], dtype=bool)


def random_rates(crn: CRN, *, seed: int, low: float, high: float) -> np.ndarray:
    """Log-uniform random rate constants in [low, high], one per reaction, shape (n_reactions,)."""
    if not (0 < low <= high and math.isfinite(high)):
        raise SimulationError(f"random rates need 0 < low <= high < inf, got low={low!r}, high={high!r}")
    rng = np.random.default_rng(seed)
    return np.exp(rng.uniform(math.log(low), math.log(high), size=crn.n_reactions))


def apply_rates(crn: CRN, spec: str | RateSpec | Sequence[RateSpec]) -> CRN:
    """A copy of `crn` with rate constants changed by a rate specification.

    Parameters
    ----------
    crn : CRN
    spec : str, RateSpec or sequence of RateSpec
        Text as accepted by :func:`parse_rate_spec`, or parsed specs, applied in order.

    Returns
    -------
    CRN
        Same species, reactions and signals, new rate constants.

    Raises
    ------
    SimulationError
        Bad specification.
    CRNStructureError
        ``scale-relu`` on a CRN without any reaction of two or more reactant molecules.
    """
    specs = (
        parse_rate_spec(spec)
        if isinstance(spec, str)
        else (spec,)
        if isinstance(spec, RateSpec)
        else tuple(spec)
    )
    rates = np.array(crn.rates, dtype=np.float64)
    for item in specs:
        if item.kind == "random":
            rates = random_rates(crn, seed=item.seed, low=item.low, high=item.high)
        elif item.kind == "constant":
            rates = np.full(crn.n_reactions, item.value)
        elif item.kind == "scale-relu":
            mask = relu_reactions(crn)
            if not mask.any():
                raise CRNStructureError(
                    f"rates {item}: this CRN has no reaction with two or more reactant molecules "
                    f"(no ReLU annihilation reaction) to scale"
                )
            rates = np.where(mask, rates * item.value, rates)
        else:
            raise SimulationError(f"rates: unknown rate specification kind {item.kind!r}")
    return crn.with_rates(rates)


def _stable(crn: CRN, input_values: object, stable: object | None) -> np.ndarray:
    if stable is not None:
        return np.asarray(stable, dtype=np.float64)
    from .exact import stable_outputs

    return stable_outputs(crn, input_values)


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

    def format_table(self) -> str:
        """A plain-text table, one line per rate set."""
        lines = [
            f"rate robustness: {self.n_rows} input rows, t_end = {self.t_end:g}, rate law {self.rate_law}",
            f"{'rates':<28} {'min k':>9} {'max k':>9} {'max |dy|':>10} {'mean |dy|':>10} {'argmax agree':>13}",
        ]
        for row in self.rate_sets:
            agree = f"{self.n_rows - row.n_disagree}/{self.n_rows}"
            lines.append(
                f"{row.spec:<28} {row.min_rate:>9.3g} {row.max_rate:>9.3g} {row.max_deviation:>10.3g} "
                f"{row.mean_deviation:>10.3g} {agree:>13}"
            )
        return "\n".join(lines)


def _simulate_final(crn: CRN, input_values: object, **options: object):
    from .ode import simulate_ode

    return simulate_ode(crn, input_values, store="outputs", n_points=2, **options)


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
        trajectory = _simulate_final(
            network, input_values, t_end=t_end, rate_law=rate_law, rtol=rtol, atol=atol
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
    epsilon: dict[str, float]
    argmax: dict[str, float]
    epsilon_times: np.ndarray


@dataclass(frozen=True)
class SpeedupResult:
    """Result of :func:`relu_speedup`."""

    rows: tuple[SpeedupRow, ...]
    epsilon: float
    t_end: float

    def format_table(self) -> str:
        """Plain-text table: factor → median and 95th-percentile settling times and speed-up."""
        lines = [
            f"ReLU-rate speed-up (epsilon = {self.epsilon:g}, t_end = {self.t_end:g}; inf = not converged)",
            f"{'factor':>8} {'median t_eps':>13} {'p95 t_eps':>10} {'converged':>10} {'median t_argmax':>16} {'speed-up':>9}",
        ]
        base = self.rows[0].epsilon["median"] if self.rows else float("nan")
        for row in self.rows:
            median = row.epsilon["median"]
            speedup = (
                base / median
                if math.isfinite(base) and math.isfinite(median) and median > 0
                else float("nan")
            )
            lines.append(
                f"{row.factor:>8g} {median:>13.4g} {row.epsilon['p95']:>10.4g} {row.epsilon['converged']:>10.1%} "
                f"{row.argmax['median']:>16.4g} {speedup:>8.3g}x"
            )
        return "\n".join(lines)


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
    from .ode import simulate_ode

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
            SpeedupRow(factor, summarize(settled.epsilon), summarize(settled.argmax), settled.epsilon)
        )
        if progress is not None:
            progress(index + 1, len(factors))
    return SpeedupResult(tuple(rows), float(epsilon), float(t_end))
