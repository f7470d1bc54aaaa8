"""Compile every numba kernel once, into numba's on-disk cache, so that no later run waits for the JIT.

numba compiles a kernel the first time it is called with a new type signature and,
with ``cache=True``, stores the machine code next to the source (``__pycache__``) or
under ``NUMBA_CACHE_DIR``. Every kernel of nn2crn is called with one signature only
(C-contiguous int64/float64 arrays in NamedTuples), so one call of each method on a
tiny CRN fills the cache for every later CRN, batch size and volume. After
:func:`warm_kernels`, a fresh process loads the kernels from the cache in well under a
second instead of compiling them (tens of seconds of CPU); ``benchmarks/bench_cold.py``
measures both.

An editable install (``pip install -e .``) runs it at install time
(``_build/nn2crn_backend.py``), so that even the first ``nn2crn simulate`` loads its
kernel. The exact SSA's default kernel is C, compiled by the install
(:mod:`._ssa_native`); its numba twin is warmed only when the C kernel was not built.
The ODE's default kernel is C too (:mod:`._ode_native`), but numba's ODE kernel is always
warmed: ``layered=True`` runs on it, and it is the fallback without the C extension.

The warm-up is also automatic: the CLI calls ``start_background_warm_up`` before the
commands of a session (compile, check, eval, ...; see :mod:`nn2crn._kernel_cache`). With a cold cache it starts
the warm-up in a detached process and returns at once; ``simulate`` waits for a running
warm-up instead of compiling the same kernels a second time.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable


def warm_kernels(report: Callable[[str], None] | None = None) -> dict[str, float]:
    """Run the exact SSA, tau-leaping and the ODE kernel once each on a tiny CRN.

    The exact SSA runs on its default backend: the C kernel when the install built it
    (nothing to compile), else numba's. The ODE runs on numba's kernel (the C one needs
    no warming).

    Parameters
    ----------
    report : callable, optional
        Called with one line per kernel as it is ready.

    Returns
    -------
    dict
        Seconds spent on each kernel (compiling it, or loading it from the cache).
    """
    from .ode import simulate_ode
    from .ssa import simulate_ssa

    crn = _tiny_crn()
    ode_backend = "numba" if importlib.util.find_spec("numba") is not None else "auto"
    calls = {
        "ssa": lambda: simulate_ssa(crn, volume=50.0, t_end=1.0, n_points=3),
        "tau-leap": lambda: simulate_ssa(crn, volume=5e3, t_end=1.0, n_points=3, method="tau-leap"),
        "ode": lambda: simulate_ode(crn, t_end=1.0, n_points=3, backend=ode_backend),
    }
    seconds = {}
    for name, call in calls.items():
        start = time.perf_counter()
        trajectory = call()
        seconds[name] = time.perf_counter() - start
        if report is not None:
            report(f"{name} kernel ready in {seconds[name]:.1f} s ({trajectory.info['backend']})")
    return seconds


def _tiny_crn():
    """A CRN with a uni- and a bimolecular reaction.

    The kernels' types do not depend on the CRN (index arrays, rates, counts), so it
    compiles the same machine code as a compiled network's.
    """
    from ..crn import CRN, Reaction

    return CRN(
        (
            Reaction((("A", 1),), (("B", 1), ("C", 1)), 1.0),
            Reaction((("B", 1), ("C", 1)), (("D", 1),), 1.0),
        ),
        {"A": 1.0},
    )


def load_ode_kernel() -> float:
    """Load the default ODE kernel into this process (C: opening the library; numba: from the
    cache, or compiling it); the seconds taken.

    For timings that should measure integrating, not the once-per-process loading of the
    compiled kernel (the demo report's "ODE time" of the compiled and the reduced CRN).
    """
    from .ode import simulate_ode

    start = time.perf_counter()
    simulate_ode(_tiny_crn(), t_end=1.0, n_points=3)
    return time.perf_counter() - start
