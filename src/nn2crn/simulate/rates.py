"""Rate specifications: parse them and apply them to a CRN's rate constants.

The studies that use them (rate robustness, the ReLU-rate speed-up) live in
:mod:`nn2crn.studies.robustness`.

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
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._errors import CRNStructureError, SimulationError
from ..crn import CRN

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
            return f"random:{self.seed}:{_format_field(self.low)}:{_format_field(self.high)}"
        return f"{self.kind}:{_format_field(self.value)}"


def _format_field(value: float | None) -> str:
    # A RateSpec built by hand may lack a field; its text must still print (for error messages).
    return "?" if value is None else format_number(value)


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
            if item.seed is None or item.low is None or item.high is None:
                raise SimulationError(f"rates {item}: a random spec needs seed, low and high; set all three")
            rates = random_rates(crn, seed=item.seed, low=item.low, high=item.high)
        elif item.kind == "constant":
            rates = np.full(crn.n_reactions, _spec_value(item))
        elif item.kind == "scale-relu":
            mask = relu_reactions(crn)
            if not mask.any():
                raise CRNStructureError(
                    f"rates {item}: this CRN has no reaction with two or more reactant molecules "
                    f"(no ReLU annihilation reaction) to scale"
                )
            rates = np.where(mask, rates * _spec_value(item), rates)
        else:
            raise SimulationError(f"rates: unknown rate specification kind {item.kind!r}")
    return crn.with_rates(rates)


def _spec_value(item: RateSpec) -> float:
    if item.value is None:
        raise SimulationError(f"rates {item}: a {item.kind} spec needs a value; set value=")
    return item.value
