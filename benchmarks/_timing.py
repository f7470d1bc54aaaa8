"""Shared benchmark helpers: side-by-side timing and a machine description line."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable


def machine_line() -> str:
    import numpy as np
    import scipy

    blas = "unknown BLAS"
    try:
        from threadpoolctl import threadpool_info

        infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if infos:
            blas = f"{infos[0].get('internal_api')} {infos[0].get('version')} ({infos[0].get('num_threads')} threads)"
    except ImportError:
        pass
    return (
        f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, {blas}"
    )


def time_side_by_side(
    candidates: dict[str, Callable[[], object]],
    *,
    repeats: int = 7,
    warmup: int = 2,
    statistic: str = "median",
) -> dict[str, float]:
    """Wall time of each callable (median or min over `repeats`).

    Rounds interleave the candidates so that load from other processes affects
    all alike; within a round each candidate runs twice back to back and only
    the second run is timed.
    """
    for _ in range(warmup):
        for function in candidates.values():
            function()
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, function in candidates.items():
            # OpenBLAS worker threads keep spinning for ~0.1 s after a call and would
            # steal a core from the next candidate: let them park. Then an untimed
            # call absorbs any remaining switching cost (caches), for all alike.
            time.sleep(0.25)
            function()
            start = time.perf_counter()
            function()
            samples[name].append(time.perf_counter() - start)
    reduce = statistics.median if statistic == "median" else min
    return {name: reduce(values) for name, values in samples.items()}
