"""Step-size control shared by the ODE backends (numba, numpy and the C kernel), written once.

A standard controller for embedded methods (Hairer, Norsett & Wanner, *Solving
ODEs I*, Sect. II.4): after a step with error norm ``err`` (the weighted RMS of the
embedded estimate; the worst row of a chunk decides), the next step is
``h * min(factor_max, max(factor_min, safety * err ** (-1 / (q + 1))))`` with ``q``
the embedded order; a step right after a rejection may not grow. The functions are plain
Python here (this module never imports numba, so the C kernel's path stays free of it):
the numpy backend calls them, :mod:`._ode_numba` compiles and inlines them, and
``_ode_ckernel.c`` ports them line by line.

numba caches a compiled kernel by its own source file: after editing this file, the
cached kernels in ``__pycache__`` of :mod:`._ode_numba` must be deleted (CI starts clean),
and ``_ode_ckernel.c`` updated to match.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

SAFETY = 0.9
FACTOR_MIN = 0.2
FACTOR_MAX = 6.0
SINGULAR_FACTOR = 0.25
"""Step-size factor after ``I / (h gamma) - J`` turned out singular (the step is retried)."""
EPS = float(np.finfo(np.float64).eps)


class StepControl(NamedTuple):
    """Tolerances and controller constants of one ODE solve (passed to the kernels as data)."""

    rtol: float
    atol: float
    max_steps: int
    exponent: float  # 1 / (embedded order + 1)
    safety: float = SAFETY
    factor_min: float = FACTOR_MIN
    factor_max: float = FACTOR_MAX


class ChunkStats(NamedTuple):
    """What one backend returns for a chunk of rows: outcome (a :class:`~.base.Status` value) and counts."""

    status: int
    t: float  # time reached (the failure time if the status failed)
    worst_row: int  # row of the chunk with the largest error in the last step attempt
    steps: int
    rejected_steps: int
    rhs_evaluations: int
    max_clipped: float


def initial_step(d0, d1, t_end):
    """Hairer & Wanner's simple first step: 1% of ``|y| / |f|`` in the weighted RMS norm (at most t_end)."""
    h = 0.01 * d0 / d1 if d0 > 1e-5 and d1 > 1e-5 else 1e-6
    return min(h, t_end)


def step_collapsed(h, t, t_end):
    """True when `h` has shrunk to round-off level relative to `t` (or to 1e-6 t_end near 0)."""
    return h <= 10.0 * EPS * max(abs(t), 1e-6 * t_end)


def reaches_end(t, h, t_end):
    """True when a step of `h` from `t` ends (to within round-off) at or beyond `t_end`."""
    return t + h >= t_end * (1.0 - 4.0 * EPS)


def next_step(h, err, rejected_before, control):
    """Step size after an attempt with error norm `err` (``inf`` when not finite).

    The attempt is accepted when ``err <= 1``; then the step may grow, except right after
    a rejection. Otherwise it shrinks (by `factor_min` when `err` is not finite).
    """
    if err <= 1.0:
        if err == 0.0:
            factor = control.factor_max
        else:
            factor = min(control.factor_max, max(control.factor_min, control.safety * err**-control.exponent))
        if rejected_before:
            factor = min(factor, 1.0)
    elif err < math.inf:
        factor = max(control.factor_min, control.safety * err**-control.exponent)
    else:
        factor = control.factor_min
    return h * factor
