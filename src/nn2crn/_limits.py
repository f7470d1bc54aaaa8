"""Limits every reader enforces, so hostile or corrupt files fail with a message, not a crash.

Each limit is far above anything nn2crn itself writes (the largest shipped model is
a 196-100-10 MNIST network: a 2 MB JSON file, a 15,000-line `.crn`), and low
enough that a file at the limit still loads in seconds and in well under 1 GB.

=========================  ===================  =========================================
limit                      value                why
=========================  ===================  =========================================
``MAX_FILE_BYTES``         256 MiB              `.crn`, model JSON, inputs and dataset CSV
``MAX_LINE_CHARS``         1,000,000            one line of `.crn` or CSV (784 pixels fit)
``MAX_NUMBER_CHARS``       100                  one number token (``1e-300`` is 6)
``MAX_JSON_DEPTH``         32                   model JSON nests 4 deep
``MAX_JSON_INT_DIGITS``    18                   JSON integers fit int64
``MAX_COEFFICIENT``        2**53                stoichiometric coefficient (see below)
``MAX_AMOUNT``             1e12                 an initial amount, a feature value
``MAX_INFLATED_BYTES``     512 MiB              a gzip-compressed IDX file, inflated
``MAX_ARRAY_ELEMENTS``     2**28                one array declared by a file header
=========================  ===================  =========================================

Why ``MAX_COEFFICIENT`` and ``MAX_AMOUNT``: full reduction multiplies coefficients
along paths and refuses past 2**53 (``CoefficientOverflowError``: beyond it a float64
sum of them is no longer exact), so a reader must accept every coefficient up to 2**53
that nn2crn itself writes; a 784-256-256-256-10 binary network reduces to coefficients
above 1,000,000. The SSA keeps molecule counts in int64 and checks every firing against
2**62 (a count plus one coefficient stays below 2**63), so no coefficient the reader
accepts can overflow it silently; initial counts are checked against 2**62 before a run
(:func:`nn2crn.simulate.ssa.simulate_ssa`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_LINE_CHARS = 1_000_000
MAX_NUMBER_CHARS = 100
MAX_JSON_DEPTH = 32
MAX_JSON_INT_DIGITS = 18
MAX_COEFFICIENT = 2**53  # what reduce_crn can write; see CoefficientOverflowError
MAX_MATRIX_COEFFICIENT = 2**62  # a CRN built in Python: the int64 matrices must hold it
MAX_AMOUNT = 1e12
MAX_INFLATED_BYTES = 512 * 1024 * 1024
MAX_ARRAY_ELEMENTS = 2**28

_LONG_DIGIT_RUN = re.compile(f"[0-9]{{{MAX_JSON_INT_DIGITS + 1}}}")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
# Depth step of every byte value: +1 for an opening bracket, -1 for a closing one.
_DEPTH_STEP = np.zeros(256, dtype=np.int64)
_DEPTH_STEP[[ord("["), ord("{")]] = 1
_DEPTH_STEP[[ord("]"), ord("}")]] = -1


def first_long_line(text: str, limit: int = MAX_LINE_CHARS) -> int | None:
    """1-based number of the first line longer than `limit` characters, or None."""
    if len(text) <= limit:
        return None
    # Lines between "\n"s are at least as long as splitlines' lines: jump from line start
    # to the last "\n" within the next limit + 1 characters (a few C scans for any file)
    # and number the lines only if some stretch has none.
    start = 0
    while len(text) - start > limit:
        end = text.rfind("\n", start, start + limit + 1)
        if end < 0:
            break
        start = end + 1
    else:
        return None
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > limit:
            return number
    return None


def json_depth(text: str) -> int:
    """Deepest nesting of ``[`` and ``{`` in JSON `text` (strings ignored), in linear time."""
    skeleton = _JSON_STRING.sub("", text).encode("utf-8", "replace")
    # A table lookup, not `codes == code`: atheris's comparison tracing leaks the array
    # operands of `==` whose result is an array, which filled 1 GB in a long fuzz run.
    steps = _DEPTH_STEP[np.frombuffer(skeleton, dtype=np.uint8)]
    return int(np.cumsum(steps).max(initial=0))


def load_json(text: str, make_error: Callable[[str], Exception]) -> object:
    """``json.loads`` with the limits above; a violation raises ``make_error(message)``.

    Refuses nesting deeper than ``MAX_JSON_DEPTH``, integers of more than
    ``MAX_JSON_INT_DIGITS`` digits, numbers longer than ``MAX_NUMBER_CHARS``,
    floats that overflow to infinity and the non-standard ``NaN``/``Infinity``.
    A syntax error is left to the caller as :class:`json.JSONDecodeError`.
    """
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise make_error(f"JSON nested {depth} levels deep; the limit is {MAX_JSON_DEPTH}")

    def parse_int(token: str) -> int:
        digits = token.lstrip("-")
        if len(digits) > MAX_JSON_INT_DIGITS:
            raise make_error(
                f"integer with {len(digits)} digits ({token[:12]}...); the limit is {MAX_JSON_INT_DIGITS} digits"
            )
        return int(token)

    def parse_float(token: str) -> float:
        if len(token) > MAX_NUMBER_CHARS:
            raise make_error(f"number of {len(token)} characters; the limit is {MAX_NUMBER_CHARS}")
        value = float(token)
        if value in (float("inf"), float("-inf")):
            raise make_error(f"number {token} is too large for a float")
        return value

    def parse_constant(token: str) -> float:
        raise make_error(f"{token} is not a number JSON allows; every number must be finite")

    # Without a digit run longer than the limit no integer can pass it: then the C parser's
    # own int() (a Python call per integer costs 0.1-0.2 s for a 784-256-256-256 model).
    int_hook = parse_int if _LONG_DIGIT_RUN.search(text) else None
    import json  # here: the readers of CSV and .crn files never need it (2 ms of a start)

    return json.loads(text, parse_int=int_hook, parse_float=parse_float, parse_constant=parse_constant)


__all__ = [
    "MAX_AMOUNT",
    "MAX_ARRAY_ELEMENTS",
    "MAX_COEFFICIENT",
    "MAX_FILE_BYTES",
    "MAX_INFLATED_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_JSON_INT_DIGITS",
    "MAX_LINE_CHARS",
    "MAX_MATRIX_COEFFICIENT",
    "MAX_NUMBER_CHARS",
    "first_long_line",
    "json_depth",
    "load_json",
]
