"""Is numba's on-disk cache of the simulation kernels warm? Start the warm-up in the background if not.

A base module (no numpy, no numba): the CLI asks it before every command of a session,
so it must cost a few file-system calls. :func:`nn2crn.simulate.warmup.warm_kernels`
compiles the kernels; this module only looks at numba's cache files (names and times)
and starts that warm-up in a detached process.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

SIMULATE_DIR = Path(__file__).resolve().parent / "simulate"
KERNEL_MODULES = ("_ode_numba", "_ssa_kernel", "_tau_kernel")
"""Modules of :mod:`nn2crn.simulate` whose numba kernels ``warm_kernels`` compiles."""
LOCK_NAME = "nn2crn-warm-up.lock"
_STARTED: list[subprocess.Popen] = []  # kept referenced: the process outlives this call
LOCK_SECONDS = 600.0
"""A warm-up lock older than this is stale (its process died)."""


def cache_directory() -> Path | None:
    """Where numba caches this package's kernels: ``NUMBA_CACHE_DIR`` or ``__pycache__`` beside the sources.

    None when neither is writable (numba then uses a per-user directory that this module
    does not look into).
    """
    here = SIMULATE_DIR
    override = os.environ.get("NUMBA_CACHE_DIR")
    if override:  # numba's _UserProvidedCacheLocator layout
        return Path(override) / f"{here.name}_{hashlib.sha1(str(here).encode()).hexdigest()}"
    in_tree = here / "__pycache__"
    if os.access(in_tree if in_tree.exists() else here, os.W_OK):
        return in_tree
    return None


def kernels_are_cached() -> bool | None:
    """True when every kernel module has a numba cache index newer than its source.

    A cheap test without importing numba (it looks at file names and times); None when
    the cache directory is unknown. An index newer than its source is what numba loads
    instead of compiling.
    """
    directory = cache_directory()
    if directory is None:
        return None
    here = SIMULATE_DIR
    for module in KERNEL_MODULES:
        source = here / f"{module}.py"
        if not source.exists():
            continue
        stamp = source.stat().st_mtime
        if not any(index.stat().st_mtime >= stamp for index in directory.glob(f"{module}.*.nbi")):
            return False
    return True


def _lock_path() -> Path | None:
    directory = cache_directory()
    return None if directory is None else directory / LOCK_NAME


def warm_up_running() -> bool:
    """True while a background warm-up started by :func:`start_background_warm_up` holds its lock."""
    lock = _lock_path()
    if lock is None or not lock.exists():
        return False
    try:
        return time.time() - lock.stat().st_mtime < LOCK_SECONDS
    except FileNotFoundError:  # released meanwhile
        return False


def start_background_warm_up() -> bool:
    """Start ``nn2crn warm-up`` in a detached process when the kernel cache is cold.

    Called by the CLI before the commands that precede simulations (compile, check, eval,
    simulate, ...), so that the kernels are compiled once, automatically, while the user
    works, instead of inside a later simulation. Returns True if it started one. At most
    one runs at a time (a lock file in the cache directory).
    """
    if kernels_are_cached() is not False or warm_up_running():
        return False
    lock = _lock_path()
    if lock is None:  # pragma: no cover - kernels_are_cached() returned None
        return False
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        if lock.exists():
            lock.unlink()  # stale
        descriptor = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except OSError:  # another process won the race, or the directory is not writable
        return False
    os.close(descriptor)
    code = (
        "import os, sys\n"
        "from nn2crn.simulate.warmup import warm_kernels\n"
        "try:\n"
        "    warm_kernels()\n"
        "finally:\n"
        "    os.unlink(sys.argv[1])\n"
    )
    _STARTED.append(
        subprocess.Popen(
            [sys.executable, "-c", code, str(lock)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # survives the command that started it
        )
    )
    return True


def wait_for_background_warm_up(timeout: float = LOCK_SECONDS) -> float:
    """Wait while a background warm-up runs (compiling the same kernels twice would cost double).

    Returns the seconds waited.
    """
    start = time.perf_counter()
    while warm_up_running() and time.perf_counter() - start < timeout:
        time.sleep(0.1)
    return time.perf_counter() - start
