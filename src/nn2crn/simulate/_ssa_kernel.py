"""The SSA kernel: Gillespie's direct method over a binary sum tree, one batch row per task.

This private module holds only numpy and ``math`` code that numba can compile. It
is imported lazily by :mod:`nn2crn.simulate.ssa`. With numba (the ``fast`` extra)
the functions are compiled (``cache=True``) and batch rows run in parallel
(``prange``); without numba the same source runs as plain Python (exact, much
slower). Both paths produce bit-identical results: the random numbers come from a
per-row xoshiro256** generator implemented here, not from numba's global state.

Algorithm (per batch row)
-------------------------
- Propensities live in the leaves of a complete binary tree whose internal nodes
  hold the sums of their children (``tree[1]`` is the total). Internal nodes are
  recomputed from their children on every update, so no rounding error builds up.
- An event draws ``tau = -log(1 - u1) / total`` and selects a reaction by
  descending the tree with ``u2 * total``: O(log n_reactions).
- After reaction ``r`` fires, only the reactions whose reactants changed are
  recomputed (the dependency graph ``dep_ptr/dep_idx``).
- The declared outputs (integer count combinations) are updated incrementally;
  whenever the *unique* argmax changes identity (a tie counts as "no leader") the
  event time is recorded, so the time the final leader took the lead is exact,
  not limited by the sample grid.
"""

from __future__ import annotations

import math

import numpy as np

# An absolute import: the tests also load this file as a module of its own, with numba hidden.
from nn2crn.simulate._ssa_types import COUNT_LIMIT, BatchOutput, BatchSettings, BatchStart, SsaPlan
from nn2crn.simulate.base import Status

try:  # numba is optional (the ``fast`` extra)
    import numba as _numba
except ImportError:  # pragma: no cover - exercised by a test that hides numba
    _numba = None

HAVE_NUMBA = _numba is not None


__all__ = ["COUNT_LIMIT", "BatchOutput", "BatchSettings", "BatchStart", "SsaPlan", "run_batch", "start_row"]


_MASK = (1 << 64) - 1
_TWO_M53 = 1.0 / 9007199254740992.0  # 2**-53


def _jit(**options):
    if _numba is None:
        return lambda function: function
    return _numba.njit(cache=True, error_model="numpy", **options)


if _numba is not None:
    _prange = _numba.prange
    _U5 = np.uint64(5)
    _U7 = np.uint64(7)
    _U9 = np.uint64(9)
    _U11 = np.uint64(11)
    _U17 = np.uint64(17)
    _U45 = np.uint64(45)
    _U57 = np.uint64(57)
    _U19 = np.uint64(19)

    @_numba.njit(cache=True, inline="always")
    def _next_u64(s):
        """xoshiro256** step on the uint64 state array `s` of shape (4,)."""
        s0 = s[0]
        s1 = s[1]
        s2 = s[2]
        s3 = s[3]
        x = s1 * _U5
        result = ((x << _U7) | (x >> _U57)) * _U9
        t = s1 << _U17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << _U45) | (s3 >> _U19)
        s[0] = s0
        s[1] = s1
        s[2] = s2
        s[3] = s3
        return result

    @_numba.njit(cache=True, inline="always")
    def _uniform(s):
        """A double uniform on [0, 1) with 53 random bits."""
        return float(_next_u64(s) >> _U11) * _TWO_M53

else:
    _prange = range

    def _next_u64(s):
        """xoshiro256** step (pure-Python integers; same sequence as the compiled version)."""
        s0, s1, s2, s3 = int(s[0]), int(s[1]), int(s[2]), int(s[3])
        x = (s1 * 5) & _MASK
        result = ((((x << 7) | (x >> 57)) & _MASK) * 9) & _MASK
        t = (s1 << 17) & _MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & _MASK
        s[0], s[1], s[2], s[3] = s0, s1, s2, s3
        return result

    def _uniform(s):
        """A double uniform on [0, 1) with 53 random bits."""
        return float(_next_u64(s) >> 11) * _TWO_M53


@_jit(inline="always")
def _propensity(r, counts, rate, react_ptr, react_idx, react_pow):
    """Stochastic mass action: ``rate[r] * prod_i x_i (x_i - 1) ... (x_i - n_i + 1)``."""
    a = rate[r]
    for j in range(react_ptr[r], react_ptr[r + 1]):
        x = counts[react_idx[j]]
        n = react_pow[j]
        if x < n:
            return 0.0
        if n == 1:
            a *= x
        else:
            for m in range(n):
                a *= x - m
    return a


@_jit()
def _leader(outputs):
    """Index of the unique largest output, or -1 if the largest value is tied (or no outputs)."""
    best = -1
    tie = False
    for k in range(outputs.shape[0]):
        if best < 0 or outputs[k] > outputs[best]:
            best = k
            tie = False
        elif outputs[k] == outputs[best]:
            tie = True
    return -1 if tie else best


@_jit()
def _run_row(counts, state, record, outputs, plan, settings):
    """Simulate one batch row in place.

    Returns ``(status, events, t_last_event, t_leader)``; `counts` ends as the
    final state, `record` (n_times, n_columns) holds amounts (count / V) of the
    species ``settings.columns`` at the sample times, `outputs` the final integer
    output combinations.
    """
    rate, react_ptr, react_idx, react_pow = plan.rate, plan.react_ptr, plan.react_idx, plan.react_pow
    delta_ptr, delta_idx, delta_val = plan.delta_ptr, plan.delta_idx, plan.delta_val
    dep_ptr, dep_idx = plan.dep_ptr, plan.dep_idx
    out_ptr, out_idx, out_val = plan.out_ptr, plan.out_idx, plan.out_val
    t_end, sample_times, columns = settings.t_end, settings.sample_times, settings.columns
    volume, max_events = settings.volume, settings.max_events
    n_reactions = rate.shape[0]
    n_times = sample_times.shape[0]
    n_columns = columns.shape[0]
    size = 1
    while size < n_reactions:
        size *= 2
    tree = np.zeros(2 * size)
    nodes = np.empty(size, dtype=np.int64)  # scratch: tree nodes to recompute, one level at a time
    for r in range(n_reactions):
        tree[size + r] = _propensity(r, counts, rate, react_ptr, react_idx, react_pow)
    for i in range(size - 1, 0, -1):
        tree[i] = tree[2 * i] + tree[2 * i + 1]

    t = 0.0
    t_last = 0.0
    events = 0
    sample = 0
    leader = _leader(outputs)
    t_leader = 0.0
    status = Status.T_END
    while True:
        total = tree[1]
        if not total > 0.0:
            status = Status.EXHAUSTED
            break
        t_next = t - math.log(1.0 - _uniform(state)) / total
        while sample < n_times and sample_times[sample] < t_next:
            for c in range(n_columns):
                record[sample, c] = counts[columns[c]] / volume
            sample += 1
        if t_next > t_end:
            status = Status.T_END
            break
        if events >= max_events:
            status = Status.MAX_EVENTS
            break
        # Select a reaction: descend the tree. Rounding can land on an empty
        # leaf only when the target is within an ulp of the total; draw again.
        r = -1
        while r < 0:
            target = _uniform(state) * total
            i = 1
            while i < size:
                left = tree[2 * i]
                if target < left:
                    i = 2 * i
                else:
                    target -= left
                    i = 2 * i + 1
            if tree[i] > 0.0:
                r = i - size
        overflow = False
        for j in range(delta_ptr[r], delta_ptr[r + 1]):
            s = delta_idx[j]
            counts[s] += delta_val[j]
            if counts[s] > COUNT_LIMIT:
                overflow = True
        t = t_next
        t_last = t_next
        events += 1
        if overflow:
            status = Status.OVERFLOW
            break
        # Recompute the dependent leaves, then their ancestors level by level, each once
        # (dep_idx is sorted, so the parents of one level come out sorted too).
        m = 0
        last = -1
        for j in range(dep_ptr[r], dep_ptr[r + 1]):
            q = dep_idx[j]
            tree[size + q] = _propensity(q, counts, rate, react_ptr, react_idx, react_pow)
            parent = (size + q) >> 1
            if parent != last:
                nodes[m] = parent
                m += 1
                last = parent
        while m > 0:
            k = 0
            last = -1
            for i in range(m):
                node = nodes[i]
                tree[node] = tree[2 * node] + tree[2 * node + 1]
                if node > 1:
                    parent = node >> 1
                    if parent != last:
                        nodes[k] = parent
                        k += 1
                        last = parent
            m = k
        if out_ptr[r] < out_ptr[r + 1]:
            for j in range(out_ptr[r], out_ptr[r + 1]):
                outputs[out_idx[j]] += out_val[j]
            now = _leader(outputs)
            if now != leader:
                leader = now
                t_leader = t
    while sample < n_times:
        for c in range(n_columns):
            record[sample, c] = counts[columns[c]] / volume
        sample += 1
    return status.value, events, t_last, t_leader


@_jit()
def start_row(counts, outputs, rng, base, fraction, out_matrix):
    """Fill one batch row's initial `counts` (stochastic rounding drawn from `rng`) and integer `outputs`.

    Shared with the tau-leaping kernel, so both methods start a row from the same draws.
    """
    n_species = counts.shape[0]
    for s in range(n_species):
        counts[s] = base[s]
        if fraction[s] > 0.0 and _uniform(rng) < fraction[s]:
            counts[s] += 1
    for k in range(outputs.shape[0]):
        value = 0
        for s in range(n_species):
            value += out_matrix[k, s] * counts[s]
        outputs[k] = value


@_jit(parallel=True)
def run_batch(start, plan, settings, output):
    """Simulate every batch row; rows are independent and run in parallel.

    Parameters
    ----------
    start : BatchStart
        Initial counts per input row; a row adds one molecule of a species with
        probability ``start.fraction`` (stochastic rounding), drawn from its own generator.
    plan : SsaPlan
    settings : BatchSettings
    output : BatchOutput
        Filled in place.
    """
    base, fraction, input_rows, rng_states = start.base, start.fraction, start.input_rows, start.rng_states
    # Output arrays under local names of their own: numba 0.68's parfors lost the writes made
    # through a tuple attribute inside prange, or into a local named like one of _run_row's.
    records, final_counts, row_status = output.records, output.final_counts, output.status
    row_events, row_t_last, row_t_leader = output.events, output.t_last, output.t_leader
    out_matrix = plan.out_matrix
    n_batch = input_rows.shape[0]
    n_species = base.shape[1]
    n_outputs = out_matrix.shape[0]
    for b in _prange(n_batch):
        counts = np.empty(n_species, dtype=np.int64)
        outputs = np.zeros(n_outputs, dtype=np.int64)
        rng = rng_states[b]
        start_row(counts, outputs, rng, base[input_rows[b]], fraction[input_rows[b]], out_matrix)
        code, fired, last, lead = _run_row(counts, rng, records[b], outputs, plan, settings)
        for s in range(n_species):
            final_counts[b, s] = counts[s]
        row_status[b] = code
        row_events[b] = fired
        row_t_last[b] = last
        row_t_leader[b] = lead
