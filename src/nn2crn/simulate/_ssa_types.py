"""The SSA kernels' argument tuples and limits, without numba: shared by the numba and the C kernel.

:mod:`._ssa_kernel` (numba) and :mod:`._ssa_native` (the ahead-of-time compiled C kernel,
called through ctypes) take the same NamedTuples of C-contiguous arrays, so that
:mod:`.ssa` builds them once whichever kernel runs, and a fresh process that runs the C
kernel never imports numba.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

COUNT_LIMIT = 2**62
"""Largest molecule count allowed; larger counts raise instead of wrapping int64."""


class SsaPlan(NamedTuple):
    """Index arrays of a CRN at one volume (CSR over reactions unless noted), int64 unless noted."""

    rate: np.ndarray  # float64 (n_reactions,): k / V**(order - 1), k V for zeroth order
    react_ptr: np.ndarray
    react_idx: np.ndarray
    react_pow: np.ndarray
    delta_ptr: np.ndarray  # net change of each reaction
    delta_idx: np.ndarray
    delta_val: np.ndarray
    dep_ptr: np.ndarray  # reactions whose propensity a firing of reaction r changes
    dep_idx: np.ndarray
    out_ptr: np.ndarray  # change of the integer output combinations per reaction
    out_idx: np.ndarray
    out_val: np.ndarray
    out_matrix: np.ndarray  # (n_outputs, n_species)


class BatchStart(NamedTuple):
    """Initial state of every batch row."""

    base: np.ndarray  # int64 (n_rows, n_species): rounded counts per input row
    fraction: np.ndarray  # float64 (n_rows, n_species): probability of one more molecule
    input_rows: np.ndarray  # int64 (n_batch,): input row of each batch row
    rng_states: np.ndarray  # uint64 (n_batch, 4): xoshiro256** states, advanced in place


class BatchSettings(NamedTuple):
    t_end: float
    sample_times: np.ndarray  # float64 (n_times,)
    columns: np.ndarray  # int64 (n_columns,): species recorded at the sample times
    volume: float
    max_events: int


class BatchOutput(NamedTuple):
    """Arrays the kernel fills, one entry per batch row."""

    records: np.ndarray  # float64 (n_batch, n_times, n_columns): amounts count / V
    final_counts: np.ndarray  # int64 (n_batch, n_species)
    status: np.ndarray  # int64 (n_batch,): a Status value
    events: np.ndarray  # int64 (n_batch,)
    t_last: np.ndarray  # float64 (n_batch,)
    t_leader: np.ndarray  # float64 (n_batch,)
