"""Shared click options and callbacks: number lists, positive numbers, tolerances, rate laws."""

from __future__ import annotations

import math
from collections.abc import Callable

import click

from .._errors import InputDataError

RATE_LAWS = ("mass-action", "saturating")


def check_positive(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """Click callback: a finite number > 0."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"must be a finite number > 0, got {value}")
    return value


def check_rtol(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not (math.isfinite(value) and 0 < value < 1):
        raise click.BadParameter(f"must be in (0, 1), got {value}")
    return value


def check_rates(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback: parse a rate specification early so a bad one fails before any work."""
    if value is None:
        return None
    from .._errors import SimulationError
    from ..simulate.rates import parse_rate_spec

    try:
        parse_rate_spec(value)
    except SimulationError as error:
        raise click.BadParameter(str(error)) from None
    return value


def dataset_options(dataset: str, label: str | None) -> dict[str, object]:
    """Loader options for --dataset; --label applies to a CSV file only."""
    if label is None:
        return {}
    if not dataset.lower().endswith(".csv"):
        raise click.BadParameter(
            f"--label applies to --dataset FILE.csv, not to {dataset}", param_hint="--label"
        )
    return {"label": label}


def parse_floats(text: str, option: str) -> list[float]:
    """Parse '1.5' or '0,-1,2.5' into floats, rejecting NaN and infinities."""
    values = []
    for piece in text.split(","):
        try:
            value = float(piece)
        except ValueError:
            raise InputDataError(
                f"{option}: {piece.strip()!r} is not a number; give e.g. {option} -3 or -3,-2,0"
            ) from None
        if not math.isfinite(value):
            raise InputDataError(f"{option}: {piece.strip()} is not a finite number")
        values.append(value)
    return values


def positive_floats_option(
    noun: str, example: str
) -> Callable[[click.Context, click.Parameter, str], list[float]]:
    """A click callback parsing a comma-separated list of finite numbers > 0, e.g. ``1,10,100``."""

    def parse(ctx: click.Context, param: click.Parameter, value: str) -> list[float]:
        numbers = []
        for piece in value.split(","):
            try:
                number = float(piece)
            except ValueError:
                raise click.BadParameter(f"{piece.strip()!r} is not a number; give e.g. {example}") from None
            if not (math.isfinite(number) and number > 0):
                raise click.BadParameter(f"{noun} must be finite numbers > 0, got {piece.strip()}")
            numbers.append(number)
        return numbers

    return parse


def require_dna_extra(flag: str) -> None:
    """Refuse `flag` when the ``dna`` extra (peppercorn, crnverifier) is not installed."""
    from .._errors import InputDataError
    from ..studies.dna import dna_available

    if not dna_available():
        raise InputDataError(
            f"{flag} needs peppercorn and crnverifier; pip install 'nn2crn[dna]', or leave out {flag}"
        )


def rtol_option(what: str) -> Callable[[Callable[..., object]], Callable[..., object]]:
    """``--rtol`` of the commands that report exact stable outputs (`what`: whose outputs)."""
    return click.option(
        "--rtol",
        type=click.FloatRange(min=0),
        default=1e-9,
        show_default=True,
        help=f"Largest accepted rounding-error bound of {what} per row, relative to the row's largest "
        "|output| (or |input|, when that is larger); rows above it are re-evaluated in extended "
        "precision, then refused (exit 2).",
    )
