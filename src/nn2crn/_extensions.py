"""The optional C extensions that ``pip install`` builds (setup.py), opened through ctypes."""

from __future__ import annotations

import ctypes
import importlib.util


def open_extension(module: str, *, hold_gil: bool = False) -> ctypes.CDLL | None:
    """The built extension `module` (e.g. ``nn2crn.crn._crn_cparse``) as a ctypes library.

    None when it was not built (no C compiler at install time), so callers fall back to
    their numpy or numba path. `hold_gil`: its functions keep the GIL (``ctypes.PyDLL``),
    for C code that calls CPython's API.
    """
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):  # pragma: no cover - a broken package
        return None
    if spec is None or not spec.origin or not spec.has_location:
        return None
    try:
        return (ctypes.PyDLL if hold_gil else ctypes.CDLL)(spec.origin)
    except OSError:  # pragma: no cover - built for another platform
        return None
