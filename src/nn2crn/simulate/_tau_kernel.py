"""The tau-leaping kernel: adaptive, non-negative tau-leaping after Cao, Gillespie & Petzold (2006).

Reference: Y. Cao, D. T. Gillespie, L. R. Petzold, "Efficient step size selection for
the tau-leaping simulation method", J. Chem. Phys. 124, 044109 (2006); the
non-negativity scheme (critical reactions) is from their J. Chem. Phys. 123, 054104 (2005).

Like :mod:`._ssa_kernel` this private module holds only code numba can compile (and
that runs as plain Python without numba). It reuses that kernel's plan, batch
layout, row start, propensities and xoshiro256** generator, so a batch row
``(input row i, run j)`` draws from the same stream ``SeedSequence(seed, (i, j))``
and results do not depend on the number of threads.

Algorithm (per batch row)
-------------------------
1. Propensities ``a_j`` of all reactions, total ``a0``.
2. Reaction ``j`` is *critical* when it can fire fewer than ``n_critical`` more times
   before a species it consumes runs out (``L_j = min_i floor(x_i / c_ij)`` over the
   species it consumes net, ``c_ij`` molecules per firing).
3. The leap ``tau1`` bounds the expected change and the standard deviation of every
   reactant species ``i`` by ``max(epsilon x_i / g_i, 1)`` (the relative change of
   every propensity stays about ``epsilon``; ``g_i`` from the highest order reaction
   consuming ``i``), counting the non-critical reactions only.
4. If ``tau1 < exact_factor / a0`` a leap would fire about as few reactions as
   exact steps: take ``exact_steps`` steps of Gillespie's direct method instead.
5. Otherwise draw the time ``tau2 ~ Exp(a0c)`` to the next critical firing
   (``a0c`` the critical propensity). The step is ``min(tau1, tau2)``, cut at the next
   sample time or t_end (memorylessness makes cutting exact). Each non-critical
   reaction fires ``Poisson(a_j tau)`` times, and one critical reaction (chosen
   with probability ``a_j / a0c``) once if ``tau2`` was the step.
6. A leap that would make a count negative is undone and retried with ``tau1 / 2``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

# Absolute imports: like _ssa_kernel, this file must load on its own with numba hidden.
from nn2crn.simulate._ssa_kernel import COUNT_LIMIT, _jit, _leader, _prange, _propensity, _uniform, start_row
from nn2crn.simulate.base import Status

DEFAULT_EPSILON = 0.03
"""Cao, Gillespie & Petzold's recommended error-control parameter."""

N_CRITICAL = 10
EXACT_FACTOR = 10.0
EXACT_STEPS = 100


class TauPlan(NamedTuple):
    """What tau-leaping needs beyond :class:`._ssa_kernel.SsaPlan`."""

    react_use: np.ndarray  # int64, aligned with react_idx: molecules consumed net per firing (0: none)
    highest_order: np.ndarray  # int64 (n_species,): highest order of a reaction consuming the species
    highest_power: np.ndarray  # int64 (n_species,): its largest multiplicity in such a reaction
    epsilon: float
    n_critical: int
    exact_factor: float
    exact_steps: int


@_jit()
def _poisson(state, lam):
    """A Poisson(lam) draw from the row's generator (numpy's algorithms: inversion, then PTRS)."""
    if not lam > 0.0:
        return 0
    if lam < 10.0:
        limit = math.exp(-lam)
        k = 0
        product = _uniform(state)
        while product > limit:
            k += 1
            product *= _uniform(state)
        return k
    # Hörmann's transformed rejection with squeeze (PTRS), as numpy uses for lam >= 10.
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        u = _uniform(state) - 0.5
        v = _uniform(state)
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= vr:
            return int(k)
        if k < 0 or (us < 0.013 and v > us):
            continue
        if math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b) <= -lam + k * loglam - math.lgamma(
            k + 1.0
        ):
            return int(k)


@_jit()
def _g(order, power, x):
    """Cao et al.'s g_i: how much a relative change of x_i moves the propensities it enters."""
    if order <= 1:
        return 1.0
    if power <= 1 or x <= power:
        return float(order)
    if order == 2:
        return 2.0 + 1.0 / (x - 1.0)
    if order == 3 and power == 2:
        return 1.5 * (2.0 + 1.0 / (x - 1.0))
    if order == 3:
        return 3.0 + 1.0 / (x - 1.0) + 2.0 / (x - 2.0)
    return float(order)


@_jit()
def _fire(r, times, counts, plan):
    """Apply `times` firings of reaction r; True if a count passed COUNT_LIMIT."""
    overflow = False
    for j in range(plan.delta_ptr[r], plan.delta_ptr[r + 1]):
        s = plan.delta_idx[j]
        counts[s] += plan.delta_val[j] * times
        if counts[s] > COUNT_LIMIT:
            overflow = True
    return overflow


@_jit()
def _tau_row(counts, state, record, outputs, plan, tau_plan, settings):
    """Simulate one batch row in place; returns ``(status, events, t_last_step, t_leader)``.

    `counts`, `record` and `outputs` as in :func:`._ssa_kernel._run_row`. The leader
    time is resolved to the step (leap) in which the leader changed.
    """
    rate, react_ptr, react_idx, react_pow = plan.rate, plan.react_ptr, plan.react_idx, plan.react_pow
    delta_ptr, delta_idx, delta_val = plan.delta_ptr, plan.delta_idx, plan.delta_val
    out_ptr, out_idx, out_val = plan.out_ptr, plan.out_idx, plan.out_val
    react_use, highest_order, highest_power = (
        tau_plan.react_use,
        tau_plan.highest_order,
        tau_plan.highest_power,
    )
    epsilon, n_critical = tau_plan.epsilon, tau_plan.n_critical
    t_end, sample_times, columns = settings.t_end, settings.sample_times, settings.columns
    volume, max_events = settings.volume, settings.max_events
    n_reactions = rate.shape[0]
    n_species = counts.shape[0]
    n_times = sample_times.shape[0]
    n_columns = columns.shape[0]
    a = np.zeros(n_reactions)
    critical = np.zeros(n_reactions, dtype=np.bool_)
    fires = np.zeros(n_reactions, dtype=np.int64)
    mu = np.zeros(n_species)
    sigma2 = np.zeros(n_species)
    saved = np.empty(n_species, dtype=np.int64)

    t = 0.0
    events = 0
    sample = 0
    leader = _leader(outputs)
    t_leader = 0.0
    status = Status.T_END
    exact_left = 0
    a0 = 0.0
    while True:
        if exact_left == 0:
            a0 = 0.0
            for r in range(n_reactions):
                a[r] = _propensity(r, counts, rate, react_ptr, react_idx, react_pow)
                a0 += a[r]
        if not a0 > 0.0:
            status = Status.EXHAUSTED
            break
        if events >= max_events:
            status = Status.MAX_EVENTS
            break
        fired = -1
        if exact_left > 0:
            # One step of the direct method (a linear search: these steps are the rare ones).
            exact_left -= 1
            t_next = t - math.log(1.0 - _uniform(state)) / a0
            while sample < n_times and sample_times[sample] < t_next:
                for c in range(n_columns):
                    record[sample, c] = counts[columns[c]] / volume
                sample += 1
            if t_next > t_end:
                status = Status.T_END
                break
            target = _uniform(state) * a0
            for r in range(n_reactions):
                if a[r] > 0.0:
                    fired = r
                    if target < a[r]:
                        break
                    target -= a[r]
            if fired < 0:  # the running sum a0 drifted above an exact zero
                status = Status.EXHAUSTED
                break
            t = t_next
            events += 1
            if _fire(fired, 1, counts, plan):
                status = Status.OVERFLOW
                break
            # Only the reactions whose reactants changed need new propensities; the sum is
            # recomputed from scratch before the next leap, so its rounding does not build up.
            for j in range(plan.dep_ptr[fired], plan.dep_ptr[fired + 1]):
                q = plan.dep_idx[j]
                value = _propensity(q, counts, rate, react_ptr, react_idx, react_pow)
                a0 += value - a[q]
                a[q] = value
            if exact_left == 0 or not a0 > 0.0:
                # Exact-sum check before leaping again or declaring the row exhausted.
                exact_left = 0
            if out_ptr[fired] < out_ptr[fired + 1]:
                for j in range(out_ptr[fired], out_ptr[fired + 1]):
                    outputs[out_idx[j]] += out_val[j]
                now = _leader(outputs)
                if now != leader:
                    leader = now
                    t_leader = t
            continue

        while sample < n_times and sample_times[sample] <= t:
            for c in range(n_columns):
                record[sample, c] = counts[columns[c]] / volume
            sample += 1
        boundary = t_end
        if sample < n_times and sample_times[sample] < boundary:
            boundary = sample_times[sample]

        a0_critical = 0.0
        for s in range(n_species):
            mu[s] = 0.0
            sigma2[s] = 0.0
        for r in range(n_reactions):
            limit = COUNT_LIMIT
            for j in range(react_ptr[r], react_ptr[r + 1]):
                if react_use[j] > 0:
                    firings = counts[react_idx[j]] // react_use[j]
                    if firings < limit:
                        limit = firings
            critical[r] = a[r] > 0.0 and limit < n_critical
            if critical[r]:
                a0_critical += a[r]
            elif a[r] > 0.0:
                for j in range(delta_ptr[r], delta_ptr[r + 1]):
                    change = float(delta_val[j])
                    mu[delta_idx[j]] += change * a[r]
                    sigma2[delta_idx[j]] += change * change * a[r]
        tau1 = math.inf
        for s in range(n_species):
            if highest_order[s] > 0:
                x = float(counts[s])
                bound = max(epsilon * x / _g(highest_order[s], highest_power[s], x), 1.0)
                if mu[s] != 0.0:
                    tau1 = min(tau1, bound / abs(mu[s]))
                if sigma2[s] > 0.0:
                    tau1 = min(tau1, bound * bound / sigma2[s])
        if tau1 < tau_plan.exact_factor / a0 or (math.isinf(tau1) and a0_critical == 0.0):
            exact_left = tau_plan.exact_steps
            continue

        overflow = False
        while True:
            tau2 = math.inf
            if a0_critical > 0.0:
                tau2 = -math.log(1.0 - _uniform(state)) / a0_critical
            tau = min(tau1, tau2)
            fire_critical = tau2 <= tau1
            if t + tau >= boundary:
                # The next critical firing lies beyond the boundary: by memorylessness,
                # none happens before it.
                tau = boundary - t
                fire_critical = False
            for s in range(n_species):
                saved[s] = counts[s]
            critical_choice = -1
            if fire_critical:
                while critical_choice < 0:
                    target = _uniform(state) * a0_critical
                    for r in range(n_reactions):
                        if critical[r]:
                            if target < a[r]:
                                critical_choice = r
                                break
                            target -= a[r]
            negative = False
            for r in range(n_reactions):
                fires[r] = 0
                if not critical[r] and a[r] > 0.0:
                    fires[r] = _poisson(state, a[r] * tau)
                elif r == critical_choice:
                    fires[r] = 1
                if fires[r] > 0 and _fire(r, fires[r], counts, plan):
                    overflow = True
            for s in range(n_species):
                if counts[s] < 0:
                    negative = True
            if not negative or overflow:
                break
            for s in range(n_species):
                counts[s] = saved[s]
            tau1 = tau / 2.0
        t = boundary if tau == boundary - t else t + tau
        for r in range(n_reactions):
            if fires[r] > 0:
                events += fires[r]
                for j in range(out_ptr[r], out_ptr[r + 1]):
                    outputs[out_idx[j]] += out_val[j] * fires[r]
        if overflow:
            status = Status.OVERFLOW
            break
        now = _leader(outputs)
        if now != leader:
            leader = now
            t_leader = t
        if t >= t_end:
            status = Status.T_END
            break
    while sample < n_times:
        for c in range(n_columns):
            record[sample, c] = counts[columns[c]] / volume
        sample += 1
    return status.value, events, t, t_leader


@_jit(parallel=True)
def run_batch(start, plan, tau_plan, settings, output):
    """Tau-leap every batch row in parallel; the arguments are :func:`._ssa_kernel.run_batch`'s plus `tau_plan`."""
    base, fraction, input_rows, rng_states = start.base, start.fraction, start.input_rows, start.rng_states
    # Local names for the outputs: see _ssa_kernel.run_batch (numba's parfors and tuple attributes).
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
        code, fired, last, lead = _tau_row(counts, rng, records[b], outputs, plan, tau_plan, settings)
        for s in range(n_species):
            final_counts[b, s] = counts[s]
        row_status[b] = code
        row_events[b] = fired
        row_t_last[b] = last
        row_t_leader[b] = lead
