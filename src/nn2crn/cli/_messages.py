"""Library messages in the CLI's words: parameter names become the flags that set them.

Library errors name Python parameters (``shift_inputs=LOW``, ``label=COLUMN``) so
that they read right in a notebook. The CLI shows the same message with the flag
a user types instead; this table is the one place that knows both spellings.
"""

from __future__ import annotations

import re

PARAMETER_FLAGS: dict[str, str] = {
    "data_dir": "--data-dir",
    "denominator": "--denominator",
    "force": "--force",
    "keep_inputs": "--keep-inputs",
    "label": "--label",
    "lr_start": "--lr-start",
    "max_fanout": "--max-fanout",
    "max_range": "--max-range",
    "model": "--model",
    "shift_inputs": "--shift-inputs",
    "train": "--train",
    "weights": "--weights",
}
"""Library parameter name -> the CLI flag that sets it."""

NEGATED_SWITCHES: dict[str, str] = {
    "require_rational": "--float-weights",
}
"""Library parameter whose ``name=False`` the CLI spells as a switch that turns it off."""

# ``name=VALUE`` for every parameter (``name=True`` is a bare switch); a bare name
# only when it has an underscore, since words like "label" or "train" are also prose.
_NAMES = "|".join(map(re.escape, PARAMETER_FLAGS))
_SWITCH = re.compile(r"(?<![-\w])(" + _NAMES + r")=True\b")
_NEGATED = re.compile(r"(?<![-\w])(" + "|".join(map(re.escape, NEGATED_SWITCHES)) + r")=False\b")
_ASSIGNMENT = re.compile(r"(?<![-\w])(" + _NAMES + r")=")
_BARE = re.compile(
    r"(?<![-\w])(" + "|".join(re.escape(name) for name in PARAMETER_FLAGS if "_" in name) + r")\b(?!=)"
)


def cli_message(message: str) -> str:
    """`message` with library parameter names replaced by CLI flags.

    ``label=COLUMN`` becomes ``--label COLUMN``, ``force=True`` becomes ``--force``,
    ``require_rational=False`` becomes ``--float-weights`` and a bare ``shift_inputs``
    becomes ``--shift-inputs``.

    Examples
    --------
    >>> cli_message("pass label=species")
    'pass --label species'
    >>> cli_message("below the shift_inputs bound 0")
    'below the --shift-inputs bound 0'
    """
    message = _NEGATED.sub(lambda match: NEGATED_SWITCHES[match.group(1)], message)
    message = _SWITCH.sub(lambda match: PARAMETER_FLAGS[match.group(1)], message)
    message = _ASSIGNMENT.sub(lambda match: PARAMETER_FLAGS[match.group(1)] + " ", message)
    return _BARE.sub(lambda match: PARAMETER_FLAGS[match.group(1)], message)
