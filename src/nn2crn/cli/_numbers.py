"""Every number option of every command refuses NaN and ±inf, in one place.

:class:`click.FLOAT` and :class:`click.FloatRange` accept ``nan`` and ``inf``
(``inf > 0`` passes ``FloatRange(min=0)``). :func:`guard_numbers` gives each float
parameter of a command a subclass of its own type that also demands a finite value,
so ranges and help texts stay as they are and commands added later are covered too.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import click


@cache
def _finite_type(base: type[Any]) -> type[Any]:
    class Finite(base):  # type: ignore[valid-type, misc]
        def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
            number = super().convert(value, param, ctx)
            if isinstance(number, float) and not math.isfinite(number):
                self.fail(f"{value!r} is not a finite number", param, ctx)
            return number

    Finite.__name__ = f"Finite{base.__name__}"
    return Finite


def guard_numbers(command: click.Command) -> click.Command:
    """Make every float option and argument of `command` refuse non-finite values; returns it."""
    for param in command.params:
        kind = param.type
        if isinstance(kind, click.types.FloatParamType) and not type(kind).__name__.startswith("Finite"):
            kind.__class__ = _finite_type(type(kind))
    return command
