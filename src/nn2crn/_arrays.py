"""Small numpy helpers shared by the packages."""

from __future__ import annotations

import numpy as np


def unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an integer (or NaN-free) array, as ``np.unique(values)``.

    By sorting: numpy >= 2.3's ``np.unique`` tries a hash table first and asks
    ``np.ma.is_masked`` on the way, which imports ``numpy.ma`` (about 7 ms of every
    ``nn2crn check`` or ``eval``).
    """
    flat = np.sort(np.asarray(values).ravel())
    if len(flat) < 2:
        return flat
    keep = np.empty(len(flat), dtype=bool)
    keep[0] = True
    np.not_equal(flat[1:], flat[:-1], out=keep[1:])
    return flat[keep]
