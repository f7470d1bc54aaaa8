"""The ahead-of-time compiled exact SSA kernel (``_ssa_ckernel.c``), called through ctypes.

``pip install`` compiles ``_ssa_ckernel.c`` into the extension module
``nn2crn.simulate._ssa_ckernel`` (setup.py; optional, so an install without a C compiler
still succeeds and falls back to numba). It is a port of :func:`._ssa_kernel.run_batch`
with the same arithmetic and random streams, so the results are bit-identical; what it
saves is numba in a fresh process: importing numba and LLVM (~0.4 s CPU) and loading the
cached kernel (~0.5 s), or compiling it (~10 s) when numba's cache is cold.

ctypes releases the GIL during the call, so batch rows run on ``n_threads`` Python
threads, each taking every ``n_threads``-th row (results do not depend on the split).
"""

from __future__ import annotations

import ctypes
import functools
import os
import threading

import numpy as np

from .._extensions import open_extension
from ._ssa_types import BatchOutput, BatchSettings, BatchStart, SsaPlan

_MODULE = "nn2crn.simulate._ssa_ckernel"


@functools.cache
def _load() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    """The C function, or None when the extension was not built (no compiler at install time)."""
    library = open_extension(_MODULE)
    if library is None:
        return None
    function = library.nn2crn_ssa_rows
    i64, f64 = ctypes.c_int64, ctypes.c_double
    pointer = ctypes.c_void_p
    function.restype = ctypes.c_int
    function.argtypes = [
        i64,
        i64,
        i64,  # first, stride, n_batch
        pointer,
        pointer,
        i64,
        pointer,
        pointer,  # base, fraction, n_species, input_rows, rng_states
        pointer,
        i64,  # rate, n_reactions
        *[pointer] * 11,  # react_*, delta_*, dep_*, out_*
        pointer,
        i64,  # out_matrix, n_outputs
        f64,
        pointer,
        i64,
        pointer,
        i64,
        f64,
        i64,  # t_end, sample_times, n_times, columns, n_columns, volume, max_events
        *[pointer] * 6,  # records, final_counts, status, events, t_last, t_leader
    ]
    return function


def available() -> bool:
    """True when the C kernel was built (and may be used)."""
    return _load() is not None


def default_threads() -> int:
    """numba's default: one thread per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


_DTYPES = {
    "base": np.int64,
    "fraction": np.float64,
    "input_rows": np.int64,
    "rng_states": np.uint64,
    "rate": np.float64,
    "t_end": None,
    "sample_times": np.float64,
    "columns": np.int64,
    "records": np.float64,
    "final_counts": np.int64,
    "status": np.int64,
    "events": np.int64,
    "t_last": np.float64,
    "t_leader": np.float64,
}


def _address(array: np.ndarray, name: str, writable: bool = False) -> int:
    """The data pointer of a C-contiguous array of the dtype the C code reads (checked: a wrong one corrupts memory)."""
    expected = _DTYPES.get(name, np.int64)
    if array.dtype != expected or not array.flags.c_contiguous or (writable and not array.flags.writeable):
        raise TypeError(f"C SSA kernel: {name} must be a C-contiguous {np.dtype(expected).name} array")
    return array.ctypes.data


def run_batch(
    start: BatchStart, plan: SsaPlan, settings: BatchSettings, output: BatchOutput, n_threads: int
) -> None:
    """Simulate every batch row (the same contract as :func:`._ssa_kernel.run_batch`)."""
    n_batch = int(start.input_rows.shape[0])
    n_species = int(start.base.shape[1])
    n_reactions = int(plan.rate.shape[0])
    shapes_agree = (
        start.fraction.shape == start.base.shape
        and start.rng_states.shape == (n_batch, 4)
        and output.records.shape == (n_batch, settings.sample_times.shape[0], settings.columns.shape[0])
        and output.final_counts.shape == (n_batch, n_species)
        and all(getattr(output, name).shape == (n_batch,) for name in BatchOutput._fields[2:])
        and all(
            getattr(plan, name).shape == (n_reactions + 1,)
            for name in ("react_ptr", "delta_ptr", "dep_ptr", "out_ptr")
        )
        and plan.out_matrix.shape[1:] == (n_species,)
    )
    # The C code trusts every index: refuse what would read or write out of bounds.
    in_bounds = (
        n_batch == 0 or 0 <= int(start.input_rows.min()) <= int(start.input_rows.max()) < start.base.shape[0]
    ) and (
        settings.columns.size == 0
        or 0 <= int(settings.columns.min()) <= int(settings.columns.max()) < n_species
    )
    if not (shapes_agree and in_bounds):
        raise ValueError("C SSA kernel: the batch, plan and output arrays disagree in shape or index range")
    function = _load()
    if function is None:  # pragma: no cover - callers check available()
        raise RuntimeError("the C SSA kernel is not built")
    arguments = (
        n_batch,
        _address(start.base, "base"),
        _address(start.fraction, "fraction"),
        n_species,
        _address(start.input_rows, "input_rows"),
        _address(start.rng_states, "rng_states", True),
        _address(plan.rate, "rate"),
        int(plan.rate.shape[0]),
        *(
            _address(getattr(plan, name), name)
            for name in (
                "react_ptr",
                "react_idx",
                "react_pow",
                "delta_ptr",
                "delta_idx",
                "delta_val",
                "dep_ptr",
                "dep_idx",
                "out_ptr",
                "out_idx",
                "out_val",
            )
        ),
        _address(plan.out_matrix, "out_matrix"),
        int(plan.out_matrix.shape[0]),
        float(settings.t_end),
        _address(settings.sample_times, "sample_times"),
        int(settings.sample_times.shape[0]),
        _address(settings.columns, "columns"),
        int(settings.columns.shape[0]),
        float(settings.volume),
        int(settings.max_events),
        *(_address(getattr(output, name), name, True) for name in BatchOutput._fields),
    )
    threads = max(1, min(int(n_threads), n_batch))
    failed: list[int] = []

    def run(first: int) -> None:
        if function(first, threads, *arguments) != 0:
            failed.append(first)

    if threads == 1:
        run(0)
    else:
        workers = [threading.Thread(target=run, args=(first,)) for first in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    if failed:
        raise MemoryError("C SSA kernel: out of memory for the propensity tree")
