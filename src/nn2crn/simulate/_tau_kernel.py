"""The tau-leaping kernel: adaptive, non-negative tau-leaping after Cao, Gillespie & Petzold (2006).

Reference: Y. Cao, D. T. Gillespie, L. R. Petzold, "Efficient step size selection for
the tau-leaping simulation method", J. Chem. Phys. 124, 044109 (2006); the
non-negativity scheme (critical reactions) is from their J. Chem. Phys. 123, 054104 (2005).

Like :mod:`._ssa_kernel` this private module holds only code numba can compile (and
that runs as plain Python without numba). It reuses that kernel's plan, batch
layout, row start, propensities and xoshiro256** generator, so a batch row
``(input row i, run j)`` draws from the same stream ``SeedSequence(seed, (i, j))``
and results do not depend on the number of threads.

Birth-death leaps (the structure of compiled networks)
------------------------------------------------------
In a compiled network every species is a reactant of one reaction only, and is born
one molecule at a time by others. Such a species s, consumed once per firing of its
one "death" reaction c, has a propensity linear in s: ``a_c = gamma s`` with ``gamma``
the rate times c's other reactants. With gamma and the birth rates frozen over a leap
(what epsilon controls, as in any tau leap), s is a linear birth-death process and its
leap is drawn exactly instead of by a Poisson count of c's firings:

- each of the ``s0`` molecules present survives the leap with probability
  ``exp(-gamma tau)`` (a binomial draw, BTPE for large counts);
- the births (the firings of s's producers in this leap, drawn first) are spread
  uniformly over the leap, so each lives to its end with probability
  ``(1 - exp(-gamma tau)) / (gamma tau)`` (another binomial);
- c fires once for every molecule that died, so s never goes negative.

That removes the two limits plain Cao et al. leaping meets on these CRNs: the ReLU
gadget's intermediate ``m`` (``z+ -> m + h+``, ``m + z- -> h-``) holds a few molecules
while carrying a large flux, so its death reaction was critical and each leap fired
it about once; and every species' own epsilon bound. Such a species needs no bound of
its own, except when its death gives birth to another birth-death species: then its
expected change stays within ``max(epsilon s, 1)`` so that those births are about
uniform over the leap. Species are picked per leap in topological order of their
death reactions (a death reaction fires before the species it feeds), of a
bimolecular death reaction the reactant with fewer molecules, and only while the
other reactants can fire it ``n_critical`` more times; that other reactant (the
*partner*, if no other reaction uses it) gets the whole epsilon budget (``g = 1``),
since the propensity's dependence on the birth-death species is followed exactly.
The rest of the algorithm is Cao et al.'s, over the remaining reactions and species.

Approximations: the frozen gamma and birth rates over a leap (first order in
epsilon, as for every tau leap), births spread uniformly, and births of two
birth-death species by one firing drawn independently (their shared birth time is
not kept). The statistical tests (tests/simulate/test_tau_kernel.py) compare means
and variances at t_end with the exact SSA over 1,000 runs.

Algorithm (per batch row)
-------------------------
1. Propensities ``a_j`` of all reactions, total ``a0``; pick the birth-death species.
2. Reaction ``j`` (other than a death reaction) is *critical* when it can fire fewer
   than ``n_critical`` more times before a species it consumes runs out
   (``L_j = min_i floor(x_i / c_ij)`` over the species it consumes net, ``c_ij``
   molecules per firing).
3. The leap ``tau1`` bounds the expected change and the standard deviation of every
   other reactant species ``i`` by ``max(epsilon x_i / g_i, 1)`` (the relative change of
   every propensity stays about ``epsilon``; ``g_i`` from the highest order reaction
   consuming ``i``), counting the non-critical reactions, the death reactions at their
   mean rate over the leap (which grows as births accumulate; a second pass adds that),
   and the birth-death species' bounds above.
4. If ``tau1 < exact_factor / a0`` a leap would fire about as few reactions as
   exact steps: take ``exact_steps`` steps of Gillespie's direct method instead.
5. Otherwise draw the time ``tau2 ~ Exp(a0c)`` to the next critical firing
   (``a0c`` the critical propensity). The step is ``min(tau1, tau2)``, cut at the next
   sample time or t_end (memorylessness makes cutting exact). Each non-critical
   reaction fires ``Poisson(a_j tau)`` times, one critical reaction (chosen with
   probability ``a_j / a0c``) once if ``tau2`` was the step (at the leap's end, so
   its birth lives on), then each death reaction as above.
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
    fast_rxn: (
        np.ndarray
    )  # int64: reactions that may be leaped as the death of a birth-death species, in priority order
    fast_ptr: np.ndarray  # int64 (len(fast_rxn) + 1,): CSR over fast_rxn into fast_species
    fast_species: np.ndarray  # int64: the reactants of each that may be that species
    prod_ptr: (
        np.ndarray
    )  # int64 (n_species + 1,): CSR of the reactions producing a candidate species (+1 each)
    prod_idx: np.ndarray  # int64
    reactant_uses: np.ndarray  # int64 (n_species,): how many reactions have the species as a reactant
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
def _binomial_inversion(state, n, p):
    """A Binomial(n, p) draw by inversion; O(n min(p, 1 - p)) uniforms' worth of work."""
    if n <= 0 or not p > 0.0:
        return 0
    if p >= 1.0:
        return n
    flip = p > 0.5
    q = 1.0 - p if flip else p
    odds = q / (1.0 - q)
    f = math.exp(n * math.log1p(-q))
    u = _uniform(state)
    k = 0
    while k < n and u >= f:
        u -= f
        f *= odds * (n - k) / (k + 1.0)
        k += 1
    return n - k if flip else k


@_jit()
def _stirling_tail(x):
    """log(x!) minus its Stirling approximation, for x >= 1 (to ~1e-12 beyond x = 20)."""
    x2 = x * x
    return (13860.0 - (462.0 - (132.0 - (99.0 - 140.0 / x2) / x2) / x2) / x2) / x / 166320.0


@_jit()
def _btpe(state, n, r):
    """A Binomial(n, r) draw for r <= 1/2 and n r > 30: Kachitvichyanukul & Schmeiser's BTPE, as numpy has it."""
    q = 1.0 - r
    fm = n * r + r
    m = math.floor(fm)
    p1 = math.floor(2.195 * math.sqrt(n * r * q) - 4.6 * q) + 0.5
    xm = m + 0.5
    xl = xm - p1
    xr = xm + p1
    c = 0.134 + 20.5 / (15.3 + m)
    a = (fm - xl) / (fm - xl * r)
    laml = a * (1.0 + a / 2.0)
    a = (xr - fm) / (xr * q)
    lamr = a * (1.0 + a / 2.0)
    p2 = p1 * (1.0 + 2.0 * c)
    p3 = p2 + c / laml
    p4 = p3 + c / lamr
    nrq = n * r * q
    while True:
        u = _uniform(state) * p4
        v = _uniform(state)
        if u <= p1:  # the triangular centre: accept at once
            return int(math.floor(xm - p1 * v + u))
        if u <= p2:  # the parallelograms
            x = xl + (u - p1) / c
            v = v * c + 1.0 - abs(m - x + 0.5) / p1
            if v > 1.0:
                continue
            y = math.floor(x)
        elif u <= p3:  # the left exponential tail
            y = math.floor(xl + math.log(v) / laml)
            if y < 0 or v == 0.0:
                continue
            v = v * (u - p2) * laml
        else:  # the right exponential tail
            y = math.floor(xr - math.log(v) / lamr)
            if y > n or v == 0.0:
                continue
            v = v * (u - p3) * lamr
        k = abs(y - m)
        if k <= 20 or k >= nrq / 2.0 - 1.0:
            # Explicit ratio f(y) / f(m) by the recursion of the binomial probabilities.
            s = r / q
            a = s * (n + 1)
            f = 1.0
            if m < y:
                i = m + 1
                while i <= y:
                    f *= a / i - s
                    i += 1
            elif m > y:
                i = y + 1
                while i <= m:
                    f /= a / i - s
                    i += 1
            if v <= f:
                return int(y)
            continue
        # Squeeze on log f(y) / f(m), then the Stirling-corrected bound.
        rho = (k / nrq) * ((k * (k / 3.0 + 0.625) + 0.16666666666666666) / nrq + 0.5)
        t = -k * k / (2.0 * nrq)
        big_a = math.log(v)
        if big_a < t - rho:
            return int(y)
        if big_a > t + rho:
            continue
        x1 = y + 1.0
        f1 = m + 1.0
        z = n + 1.0 - m
        w = n - y + 1.0
        bound = (
            xm * math.log(f1 / x1)
            + (n - m + 0.5) * math.log(z / w)
            + (y - m) * math.log(w * r / (x1 * q))
            + _stirling_tail(f1)
            + _stirling_tail(z)
            - _stirling_tail(x1)
            - _stirling_tail(w)
        )
        if big_a <= bound:
            return int(y)


@_jit()
def _binomial(state, n, p):
    """A Binomial(n, p) draw for any n: inversion when the smaller tail's mean is at most 30, else BTPE."""
    if n <= 0 or not p > 0.0:
        return 0
    if p >= 1.0:
        return n
    if p <= 0.5:
        return _binomial_inversion(state, n, p) if n * p <= 30.0 else _btpe(state, n, p)
    q = 1.0 - p
    return n - (_binomial_inversion(state, n, q) if n * q <= 30.0 else _btpe(state, n, q))


@_jit()
def _survivors(state, n, decay):
    """Binomial(n, exp(-decay)): how many of n molecules outlive an exponential clock of rate * time `decay`."""
    if n <= 0:
        return 0
    if not decay > 0.0:
        return n
    dying = -math.expm1(-decay)
    if dying < 0.5 and n * dying <= 30.0:
        # Inversion on the deaths; P(no death) = exp(-n decay) needs no log.
        odds = dying / (1.0 - dying)
        f = math.exp(-n * decay)
        u = _uniform(state)
        k = 0
        while k < n and u >= f:
            u -= f
            f *= odds * (n - k) / (k + 1.0)
            k += 1
        return n - k
    return _binomial(state, n, math.exp(-decay))


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
def _per_molecule_rate(c, s, counts, rate, react_ptr, react_idx, react_pow):
    """Propensity of reaction c per molecule of its reactant s (which it uses once): the death rate of s."""
    a = rate[c]
    for j in range(react_ptr[c], react_ptr[c + 1]):
        if react_idx[j] == s:
            continue
        x = counts[react_idx[j]]
        n = react_pow[j]
        if x < n:
            return 0.0
        for m in range(n):
            a *= x - m
    return a


@_jit()
def _choose_fast(
    counts, a, tau_plan, plan, slot_of, consumer_of, feeds, feeds_fast, partner, fast_s, fast_c, gamma
):
    """Pick this leap's birth-death species; returns how many (slots 0..n-1 of fast_s, fast_c, gamma).

    Candidates (consumed by one reaction c only, once per firing, and born one at a time)
    are visited in topological order of c. One is taken when c's other reactants can fire c
    at least ``n_critical`` more times and c does not feed a species taken before (births must come from earlier slots or ordinary
    reactions); of c's candidate reactants the smallest wins.
    """
    rate, react_ptr, react_idx, react_pow = plan.rate, plan.react_ptr, plan.react_idx, plan.react_pow
    fast_rxn, fast_ptr, fast_species = tau_plan.fast_rxn, tau_plan.fast_ptr, tau_plan.fast_species
    prod_ptr, prod_idx, react_use = tau_plan.prod_ptr, tau_plan.prod_idx, tau_plan.react_use
    n_critical = tau_plan.n_critical
    n_fast = 0
    for k in range(fast_rxn.shape[0]):
        c = fast_rxn[k]
        if feeds[c] > 0 or not a[c] >= 0.0:
            continue
        best = -1
        for i in range(fast_ptr[k], fast_ptr[k + 1]):
            s = fast_species[i]
            x = counts[s]
            if best >= 0 and x >= counts[best]:
                continue
            ok = True
            for j in range(react_ptr[c], react_ptr[c + 1]):
                if (
                    react_idx[j] != s
                    and react_use[j] > 0
                    and counts[react_idx[j]] // react_use[j] < n_critical
                ):
                    ok = False
            if ok:
                best = s
        if best < 0:
            continue
        fast_s[n_fast] = best
        fast_c[n_fast] = c
        for j in range(react_ptr[c], react_ptr[c + 1]):
            other = react_idx[j]
            if other != best and react_pow[j] == 1 and tau_plan.reactant_uses[other] == 1:
                partner[other] = True
        consumer_of[c] = n_fast
        slot_of[best] = n_fast
        feeds_fast[n_fast] = False
        gamma[n_fast] = _per_molecule_rate(c, best, counts, rate, react_ptr, react_idx, react_pow)
        for j in range(prod_ptr[best], prod_ptr[best + 1]):
            r = prod_idx[j]
            feeds[r] += 1
            if consumer_of[r] >= 0:
                feeds_fast[consumer_of[r]] = True
        n_fast += 1
    return n_fast


@_jit()
def _release_fast(n_fast, fast_s, fast_c, tau_plan, plan, slot_of, consumer_of, feeds, partner):
    """Undo :func:`_choose_fast`'s marks."""
    prod_ptr, prod_idx = tau_plan.prod_ptr, tau_plan.prod_idx
    for k in range(n_fast):
        s = fast_s[k]
        c = fast_c[k]
        for j in range(plan.react_ptr[c], plan.react_ptr[c + 1]):
            partner[plan.react_idx[j]] = False
        consumer_of[c] = -1
        slot_of[s] = -1
        for j in range(prod_ptr[s], prod_ptr[s + 1]):
            feeds[prod_idx[j]] = 0


@_jit()
def _leap_bound(
    counts, a, mu, sigma2, slot_of, fast_c, feeds_fast, partner, highest_order, highest_power, epsilon
):
    """Cao et al.'s tau1 over the ordinary reactant species, and the bound of the birth-death ones.

    An ordinary species' expected change and standard deviation stay within
    ``max(epsilon x / g, 1)`` (g = 1 for a partner, see below). A birth-death species whose deaths give birth to another
    one keeps its expected change within ``max(epsilon x, 1)``, so its death rate (their
    birth rate) stays about constant over the leap; the others need no bound.
    """
    tau1 = math.inf
    for s in range(counts.shape[0]):
        if highest_order[s] == 0:
            continue
        x = float(counts[s])
        k = slot_of[s]
        if k >= 0:
            if feeds_fast[k]:
                drift = abs(mu[s] - a[fast_c[k]])
                if drift > 0.0:
                    tau1 = min(tau1, max(epsilon * x, 1.0) / drift)
            continue
        # The partner of a birth-death species in its death reaction takes the whole budget:
        # the death rate is linear in it, and the other factor is followed exactly.
        g = 1.0 if partner[s] else _g(highest_order[s], highest_power[s], x)
        bound = max(epsilon * x / g, 1.0)
        if mu[s] != 0.0:
            tau1 = min(tau1, bound / abs(mu[s]))
        if sigma2[s] > 0.0:
            tau1 = min(tau1, bound * bound / sigma2[s])
    return tau1


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
    n_slots = tau_plan.fast_rxn.shape[0]
    prod_ptr, prod_idx = tau_plan.prod_ptr, tau_plan.prod_idx
    consumer_of = np.full(n_reactions, -1, dtype=np.int64)  # slot of the birth-death species r kills
    feeds = np.zeros(n_reactions, dtype=np.int64)  # how many birth-death species r gives birth to
    slot_of = np.full(n_species, -1, dtype=np.int64)
    partner = np.zeros(
        n_species, dtype=np.bool_
    )  # the other reactant, used by this reaction only, of a death
    fast_s = np.empty(n_slots, dtype=np.int64)
    fast_c = np.empty(n_slots, dtype=np.int64)
    feeds_fast = np.zeros(n_slots, dtype=np.bool_)
    gamma = np.empty(n_slots)
    inflow = np.empty(n_slots)
    n_fast = 0

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

        _release_fast(n_fast, fast_s, fast_c, tau_plan, plan, slot_of, consumer_of, feeds, partner)
        n_fast = _choose_fast(
            counts, a, tau_plan, plan, slot_of, consumer_of, feeds, feeds_fast, partner, fast_s, fast_c, gamma
        )
        a0_critical = 0.0
        for s in range(n_species):
            mu[s] = 0.0
            sigma2[s] = 0.0
        for r in range(n_reactions):
            k = consumer_of[r]
            if k >= 0:
                # The death reaction of a birth-death species: never critical. Its rate now
                # bounds the leap through its other reactants and products; the births during
                # the leap raise it, which the second pass below adds.
                critical[r] = False
                flux = a[r]
                for j in range(delta_ptr[r], delta_ptr[r + 1]):
                    if delta_idx[j] != fast_s[k]:
                        change = float(delta_val[j])
                        mu[delta_idx[j]] += change * flux
                        sigma2[delta_idx[j]] += change * change * flux
                continue
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
        for k in range(n_fast):
            inflow[k] = mu[fast_s[k]]  # the birth rate: every reaction changing s but its death makes one s
        tau1 = _leap_bound(
            counts, a, mu, sigma2, slot_of, fast_c, feeds_fast, partner, highest_order, highest_power, epsilon
        )
        growing = False
        for k in range(n_fast):
            if inflow[k] > a[fast_c[k]]:
                growing = True
        if growing and tau1 < math.inf:
            # Second pass: a death reaction fires on average D(tau) / tau per unit time in a leap
            # tau, which grows with tau as the births accumulate; add that growth at tau1 and
            # bound again. D(tau) / tau increases with tau, so the smaller leap stays bounded.
            for k in range(n_fast):
                c = fast_c[k]
                decay = gamma[k] * tau1
                share = 1.0 if not decay > 0.0 else -math.expm1(-decay) / decay
                extra = (inflow[k] - a[c]) * (1.0 - share)  # D(tau1) / tau1 - a_c
                if extra > 0.0:
                    for j in range(delta_ptr[c], delta_ptr[c + 1]):
                        if delta_idx[j] != fast_s[k]:
                            change = float(delta_val[j])
                            mu[delta_idx[j]] += change * extra
                            sigma2[delta_idx[j]] += change * change * extra
            tau1 = _leap_bound(
                counts,
                a,
                mu,
                sigma2,
                slot_of,
                fast_c,
                feeds_fast,
                partner,
                highest_order,
                highest_power,
                epsilon,
            )
        if tau1 < tau_plan.exact_factor / a0 or (
            math.isinf(tau1) and a0_critical == 0.0 and math.isinf(boundary)
        ):
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
                if consumer_of[r] >= 0:
                    continue
                if critical[r]:
                    if r == critical_choice:
                        fires[r] = 1
                elif a[r] > 0.0:
                    fires[r] = _poisson(state, a[r] * tau)
                if fires[r] > 0 and _fire(r, fires[r], counts, plan):
                    overflow = True
            for k in range(n_fast):
                # Slots are in topological order: every producer of s has fired by now.
                s = fast_s[k]
                births = 0
                for j in range(prod_ptr[s], prod_ptr[s + 1]):
                    r = prod_idx[j]
                    if not critical[r]:  # a critical firing ends the leap: its birth lives on
                        births += fires[r]
                decay = gamma[k] * tau
                # A birth at time u lives to the end of the leap with probability e^(-gamma (tau - u)):
                # with the births spread uniformly over the leap, (1 - e^(-gamma tau)) / (gamma tau).
                kept = 1.0 if not decay > 0.0 else -math.expm1(-decay) / decay
                start = saved[s]
                deaths = start - _survivors(state, start, decay)
                deaths += births - _binomial(state, births, kept)
                c = fast_c[k]
                fires[c] = deaths
                if deaths > 0 and _fire(c, deaths, counts, plan):
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
