"""Compiled Rosenbrock kernel (numba; RODAS5P or RODAS4, as data) for a chunk of rows sharing one step size.

Arrays are laid out ``(n_dyn, n_chunk)`` so that every inner loop runs over the
chunk's rows contiguously (SIMD). Linear solves with ``E = I / (h gamma) - J``
use the block lower-triangular structure from :mod:`._ode_plan`: forward
substitution over the blocks, with 1x1 and 2x2 blocks inverted in closed form and
larger blocks LU-factorized with partial pivoting (per row).

The method's coefficients (:class:`._ode_rodas.KernelTableau`), the CRN's index
arrays (:class:`._ode_plan.KernelPlan`) and the tolerances
(:class:`._ode_control.StepControl`) arrive as NamedTuples; the step-size
controller is the one in :mod:`._ode_control`, shared with the numpy backend.

This module imports numba at import time; :mod:`.ode` imports it lazily.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import _ode_control
from ._ode_control import EPS, SINGULAR_FACTOR, ChunkStats
from .base import Status

# The controller, written once in plain Python, compiled here and inlined into the kernel.
initial_step = njit(cache=True, inline="always")(_ode_control.initial_step)
step_collapsed = njit(cache=True, inline="always")(_ode_control.step_collapsed)
reaches_end = njit(cache=True, inline="always")(_ode_control.reaches_end)
next_step = njit(cache=True, inline="always")(_ode_control.next_step)


@njit(cache=True, error_model="numpy")
def _rhs(t, u, f, coef, terms, forcing, gexp, v, accumulate):
    """``f = du/dt`` at (t, u), or ``f += du/dt`` when `accumulate`.

    `terms` is a :class:`._ode_plan.RateTerms`, `forcing` a :class:`._ode_plan.Forcing`;
    `gexp` (n_groups,) and `v` (n_chunk,) are scratch.
    """
    rate, react_ptr, react_idx, react_pow = terms.rate, terms.react_ptr, terms.react_idx, terms.react_pow
    stoich_ptr, stoich_idx, stoich_val = terms.stoich_ptr, terms.stoich_idx, terms.stoich_val
    rate_law, kappa = terms.rate_law, terms.saturation
    group_rate, force_group, force_target = forcing.group_rate, forcing.group, forcing.target
    n_dyn, n_chunk = f.shape  # u may have more rows: driven species after the integrated ones
    if not accumulate:
        for j in range(n_dyn):
            for c in range(n_chunk):
                f[j, c] = 0.0
    for g in range(group_rate.shape[0]):
        gexp[g] = math.exp(-group_rate[g] * t)
    for e in range(force_target.shape[0]):
        j = force_target[e]
        w = gexp[force_group[e]]
        for c in range(n_chunk):
            f[j, c] += coef[e, c] * w
    for r in range(rate.shape[0]):
        k = rate[r]
        for c in range(n_chunk):
            v[c] = k
        for q in range(react_ptr[r], react_ptr[r + 1]):
            i = react_idx[q]
            n = react_pow[q]
            if rate_law == 0:
                if n == 1:
                    for c in range(n_chunk):
                        v[c] *= u[i, c]
                else:
                    for c in range(n_chunk):
                        v[c] *= u[i, c] ** n
            else:
                for c in range(n_chunk):
                    x = u[i, c]
                    v[c] *= (x / (kappa + abs(x))) ** n
        for e in range(stoich_ptr[r], stoich_ptr[r + 1]):
            j = stoich_idx[e]
            s = stoich_val[e]
            for c in range(n_chunk):
                f[j, c] += s * v[c]


@njit(cache=True, error_model="numpy")
def _time_derivative(t, ft, coef, forcing, gexp):
    """``ft = df/dt`` of the exponential inflow at `t` (the right-hand side's only explicit time)."""
    group_rate, force_group, force_target = forcing.group_rate, forcing.group, forcing.target
    n_dyn, n_chunk = ft.shape
    for j in range(n_dyn):
        for c in range(n_chunk):
            ft[j, c] = 0.0
    for g in range(group_rate.shape[0]):
        gexp[g] = -group_rate[g] * math.exp(-group_rate[g] * t)
    for e in range(force_target.shape[0]):
        j = force_target[e]
        w = gexp[force_group[e]]
        for c in range(n_chunk):
            ft[j, c] += coef[e, c] * w


@njit(cache=True, error_model="numpy")
def _jacobian(y, jac, terms, jacobian, dv):
    """State-dependent Jacobian entries (the constant ones live in the plan); `dv` is scratch."""
    rate, react_ptr, react_idx, react_pow = terms.rate, terms.react_ptr, terms.react_idx, terms.react_pow
    rate_law, kappa = terms.rate_law, terms.saturation
    var_slot, var_slot_reaction, var_ptr = jacobian.var_slot, jacobian.var_slot_reaction, jacobian.var_ptr
    var_pos, var_val = jacobian.var_pos, jacobian.var_val
    n_chunk = y.shape[1]
    for p in range(jac.shape[0]):
        for c in range(n_chunk):
            jac[p, c] = 0.0
    for s in range(var_slot.shape[0]):
        q = var_slot[s]
        r = var_slot_reaction[s]
        for c in range(n_chunk):
            dv[c] = rate[r]
        for q2 in range(react_ptr[r], react_ptr[r + 1]):
            i = react_idx[q2]
            n = react_pow[q2]
            if rate_law == 0:
                if q2 == q:
                    if n != 1:
                        for c in range(n_chunk):
                            dv[c] *= n * y[i, c] ** (n - 1)
                elif n == 1:
                    for c in range(n_chunk):
                        dv[c] *= y[i, c]
                else:
                    for c in range(n_chunk):
                        dv[c] *= y[i, c] ** n
            else:
                for c in range(n_chunk):
                    x = y[i, c]
                    d = kappa + abs(x)
                    phi = x / d
                    if q2 == q:
                        dv[c] *= n * phi ** (n - 1) * kappa / (d * d)
                    else:
                        dv[c] *= phi**n
        for e in range(var_ptr[s], var_ptr[s + 1]):
            pos = var_pos[e]
            w = var_val[e]
            for c in range(n_chunk):
                jac[pos, c] += w * dv[c]


@njit(cache=True, error_model="numpy")
def _factor(a, jac, lu, piv, blocks):
    """Fill and factor the diagonal blocks of ``a I - J``; False if one is singular."""
    block_start, lu_offset = blocks.block_start, blocks.lu_offset
    inblock_ptr, inblock_row, inblock_col = blocks.inblock_ptr, blocks.inblock_row, blocks.inblock_col
    inblock_var, inblock_const = blocks.inblock_var, blocks.inblock_const
    n_chunk = jac.shape[1]
    bad = 0
    for b in range(block_start.shape[0] - 1):
        s0 = block_start[b]
        size = block_start[b + 1] - s0
        off = lu_offset[b]
        if size == 1:  # the common case, without zero-filling
            w = a
            vi = -1
            for e in range(inblock_ptr[b], inblock_ptr[b + 1]):
                w -= inblock_const[e]
                vi = inblock_var[e]
            if vi >= 0:
                for c in range(n_chunk):
                    d = w - jac[vi, c]
                    bad += not (abs(d) > 0.0 and abs(d) < np.inf)
                    lu[off, c] = 1.0 / d
            else:
                if not (abs(w) > 0.0 and abs(w) < np.inf):
                    return False
                for c in range(n_chunk):
                    lu[off, c] = 1.0 / w
            continue
        for k in range(size * size):
            for c in range(n_chunk):
                lu[off + k, c] = 0.0
        for r in range(size):
            for c in range(n_chunk):
                lu[off + r * size + r, c] = a
        for e in range(inblock_ptr[b], inblock_ptr[b + 1]):
            p = off + inblock_row[e] * size + inblock_col[e]
            w = inblock_const[e]
            vi = inblock_var[e]
            if vi >= 0:
                for c in range(n_chunk):
                    lu[p, c] -= w + jac[vi, c]
            else:
                for c in range(n_chunk):
                    lu[p, c] -= w
        if size == 2:
            for c in range(n_chunk):
                a00 = lu[off, c]
                a01 = lu[off + 1, c]
                a10 = lu[off + 2, c]
                a11 = lu[off + 3, c]
                det = a00 * a11 - a01 * a10
                bad += not (abs(det) > 0.0 and abs(det) < np.inf)
                inv = 1.0 / det
                lu[off, c] = a11 * inv
                lu[off + 1, c] = -a01 * inv
                lu[off + 2, c] = -a10 * inv
                lu[off + 3, c] = a00 * inv
        else:
            for c in range(n_chunk):
                for k in range(size):
                    best = k
                    big = abs(lu[off + k * size + k, c])
                    for i in range(k + 1, size):
                        value = abs(lu[off + i * size + k, c])
                        if value > big:
                            best, big = i, value
                    if not (big > 0.0 and big < np.inf):
                        return False
                    piv[s0 + k, c] = best
                    if best != k:
                        for col in range(size):
                            tmp = lu[off + k * size + col, c]
                            lu[off + k * size + col, c] = lu[off + best * size + col, c]
                            lu[off + best * size + col, c] = tmp
                    pivot = lu[off + k * size + k, c]
                    for i in range(k + 1, size):
                        factor = lu[off + i * size + k, c] / pivot
                        lu[off + i * size + k, c] = factor
                        if factor != 0.0:
                            for col in range(k + 1, size):
                                lu[off + i * size + col, c] -= factor * lu[off + k * size + col, c]
    return bad == 0


@njit(cache=True, error_model="numpy")
def _solve(x, jac, lu, piv, blocks):
    """Overwrite `x` with ``(a I - J)^-1 x`` by forward substitution over the blocks."""
    block_start, lu_offset = blocks.block_start, blocks.lu_offset
    lowerc_ptr, lowerc_col, lowerc_val = blocks.lowerc_ptr, blocks.lowerc_col, blocks.lowerc_val
    lowerv_ptr, lowerv_col = blocks.lowerv_ptr, blocks.lowerv_col
    lowerv_idx, lowerv_const = blocks.lowerv_idx, blocks.lowerv_const
    n_chunk = x.shape[1]
    for b in range(block_start.shape[0] - 1):
        s0 = block_start[b]
        size = block_start[b + 1] - s0
        off = lu_offset[b]
        for j in range(s0, s0 + size):
            for e in range(lowerc_ptr[j], lowerc_ptr[j + 1]):
                i = lowerc_col[e]
                w = lowerc_val[e]
                for c in range(n_chunk):
                    x[j, c] += w * x[i, c]
            for e in range(lowerv_ptr[j], lowerv_ptr[j + 1]):
                i = lowerv_col[e]
                vi = lowerv_idx[e]
                w = lowerv_const[e]
                for c in range(n_chunk):
                    x[j, c] += (w + jac[vi, c]) * x[i, c]
        if size == 1:
            for c in range(n_chunk):
                x[s0, c] *= lu[off, c]
        elif size == 2:
            for c in range(n_chunk):
                b0 = x[s0, c]
                b1 = x[s0 + 1, c]
                x[s0, c] = lu[off, c] * b0 + lu[off + 1, c] * b1
                x[s0 + 1, c] = lu[off + 2, c] * b0 + lu[off + 3, c] * b1
        else:
            for c in range(n_chunk):
                for k in range(size):
                    p = piv[s0 + k, c]
                    if p != k:
                        tmp = x[s0 + k, c]
                        x[s0 + k, c] = x[s0 + p, c]
                        x[s0 + p, c] = tmp
                for i in range(size):
                    acc = x[s0 + i, c]
                    for k in range(i):
                        acc -= lu[off + i * size + k, c] * x[s0 + k, c]
                    x[s0 + i, c] = acc
                for i in range(size - 1, -1, -1):
                    acc = x[s0 + i, c]
                    for k in range(i + 1, size):
                        acc -= lu[off + i * size + k, c] * x[s0 + k, c]
                    x[s0 + i, c] = acc / lu[off + i * size + i, c]


@njit(cache=True, error_model="numpy")
def _drive(tau, u, n_int, drive, cursor):
    """Set the driven rows ``u[n_int:]`` to the earlier stages' dense output at time `tau`.

    `drive` is a :class:`._ode_stages.Drive`; `cursor` (n_tapes,) keeps each tape's current
    step between calls (the stage times move forward, with small steps back inside a step).
    """
    ext_tape, ext_slot = drive.ext_tape, drive.ext_slot
    tptr, ttimes, vptr, nexp, values = (
        drive.tape_ptr,
        drive.tape_times,
        drive.value_ptr,
        drive.n_export,
        drive.values,
    )
    n_rows = drive.n_dense_rows
    width = n_rows + 1
    n_chunk = u.shape[1]
    for p in range(tptr.shape[0] - 1):
        lo = tptr[p]
        n_steps = tptr[p + 1] - lo - 1
        k = cursor[p]
        while k < n_steps - 1 and tau > ttimes[lo + k + 1]:
            k += 1
        while k > 0 and tau < ttimes[lo + k]:
            k -= 1
        cursor[p] = k
    for e in range(ext_tape.shape[0]):
        p = ext_tape[e]
        lo = tptr[p]
        k = cursor[p]
        t0 = ttimes[lo + k]
        theta = (tau - t0) / (ttimes[lo + k + 1] - t0)
        theta = min(1.0, max(0.0, theta))
        one = 1.0 - theta
        n_exp = nexp[p]
        start = vptr[p] + ext_slot[e] * n_chunk
        now = start + k * width * n_exp * n_chunk
        after = now + width * n_exp * n_chunk
        for c in range(n_chunk):
            inner = 0.0
            for r in range(n_rows, 0, -1):
                inner = values[now + r * n_exp * n_chunk + c] + theta * inner
            value = one * values[now + c] + theta * (values[after + c] + one * inner)
            u[n_int + e, c] = value if value > 0.0 else 0.0


@njit(cache=True, error_model="numpy")
def _write_samples(out, k_out, times, t, h, y, ynew, ks, dense, store_idx, t_stop):
    """Dense output for every sample time in ``(t, t_stop]``; returns the next sample index."""
    n_chunk = y.shape[1]
    n_times = times.shape[0]
    n_rows, n_stages = dense.shape
    while k_out < n_times and times[k_out] <= t_stop:
        theta = (times[k_out] - t) / h
        if theta > 1.0:
            theta = 1.0
        one = 1.0 - theta
        for q in range(store_idx.shape[0]):
            j = store_idx[q]
            for c in range(n_chunk):
                inner = 0.0
                for r in range(n_rows - 1, -1, -1):
                    row = 0.0
                    for i in range(n_stages):
                        row += dense[r, i] * ks[i, j, c]
                    inner = row + theta * inner
                value = one * y[j, c] + theta * (ynew[j, c] + one * inner)
                out[c, k_out, q] = value if value > 0.0 else 0.0
        k_out += 1
    return k_out


@njit(cache=True, error_model="numpy", nogil=True)
def integrate_chunk(y, coef, times, store_idx, out, plan, tableau, control, drive, export_idx):
    """Integrate ``y`` (n_int + n_driven, n_chunk), overwritten with the final state, from 0 to ``times[-1]``.

    Parameters
    ----------
    y : float64 ndarray of shape (n_int + n_driven, n_chunk)
        Rows ``0 .. n_int - 1``: the integrated species (n_int from the block structure);
        the others are driven species, set from `drive` (scratch on input).
    coef : float64 ndarray of shape (n_force, n_chunk)
        Inflow coefficients of each row (see :class:`._ode_plan.Forcing`).
    times : float64 ndarray of shape (n_times,)
    store_idx : int64 ndarray of shape (n_store,)
        Integrated species sampled into `out`.
    out : float64 ndarray of shape (n_chunk, n_times, n_store)
        Filled with the samples (dense output, clipped at 0).
    plan : :class:`._ode_plan.KernelPlan`
    tableau : :class:`._ode_rodas.KernelTableau`
        The Rosenbrock method (RODAS5P or RODAS4).
    control : :class:`._ode_control.StepControl`
    drive : :class:`._ode_stages.Drive`
        Dense output of earlier stages for the driven rows (no tapes for a whole system).
    export_idx : int64 ndarray of shape (n_export,)
        Integrated species whose dense output is recorded for later stages.

    Returns
    -------
    stats : :class:`._ode_control.ChunkStats`
    tape_times : float64 ndarray of shape (n_steps + 1,)
        Accepted step boundaries, 0 .. t_end.
    tape_values : float64 ndarray of shape (n_steps + 1, n_dense_rows + 1, n_export, n_chunk)
        Per step: the state at its start, then the dense-output rows ``K_r``; the last entry
        holds the final state only.
    """
    terms, forcing, jacobian, blocks = plan.terms, plan.forcing, plan.jacobian, plan.blocks
    rtol, atol, max_steps = control.rtol, control.atol, control.max_steps
    a_mat, c_mat, c_time, d_time, dense = tableau.a, tableau.c_coupling, tableau.c, tableau.d, tableau.dense
    gamma = tableau.gamma
    n_dyn = blocks.block_start[blocks.block_start.shape[0] - 1]
    n_chunk = y.shape[1]
    driven = y.shape[0] > n_dyn
    n_stages = c_time.shape[0]
    n_dense = dense.shape[0]
    n_export = export_idx.shape[0]

    t_end = times[times.shape[0] - 1]
    ynew = np.empty((n_dyn, n_chunk))
    u = np.empty_like(y)
    f0 = np.empty((n_dyn, n_chunk))
    ft = np.zeros((n_dyn, n_chunk))
    ks = np.empty((n_stages, n_dyn, n_chunk))
    jac = np.empty((jacobian.n_variable, n_chunk))
    lu = np.empty((blocks.lu_offset[blocks.lu_offset.shape[0] - 1], n_chunk))
    piv = np.zeros((n_dyn, n_chunk), dtype=np.int64)
    v = np.empty(n_chunk)
    gexp = np.empty(forcing.group_rate.shape[0])
    err_row = np.zeros(n_chunk)
    coupling = np.zeros(n_stages)
    cursor = np.zeros(drive.tape_ptr.shape[0], dtype=np.int64)
    has_time = forcing.target.shape[0] > 0 or driven
    capacity = 64
    tape_times = np.empty(capacity)
    tape_values = np.empty((capacity, n_dense + 1, n_export, n_chunk))

    t = 0.0
    k_out = 0
    while k_out < times.shape[0] and times[k_out] <= 0.0:
        for q in range(store_idx.shape[0]):
            for c in range(n_chunk):
                out[c, k_out, q] = y[store_idx[q], c]
        k_out += 1

    if driven:
        _drive(t, y, n_dyn, drive, cursor)
    _rhs(t, y, f0, coef, terms, forcing, gexp, v, False)
    n_rhs = 1
    d0 = 0.0
    d1 = 0.0
    for c in range(n_chunk):
        s0 = 0.0
        s1 = 0.0
        for j in range(n_dyn):
            scale = atol + rtol * abs(y[j, c])
            s0 += (y[j, c] / scale) ** 2
            s1 += (f0[j, c] / scale) ** 2
        d0 = max(d0, math.sqrt(s0 / max(n_dyn, 1)))
        d1 = max(d1, math.sqrt(s1 / max(n_dyn, 1)))
    h = initial_step(d0, d1, t_end)

    n_accepted = 0
    n_rejected = 0
    status = Status.T_END
    worst = 0
    rejected_before = False
    fresh = True  # f0 belongs to the current (t, y)
    ft_current = False  # ft (driven stages) belongs to the current (t, y)
    max_clip = 0.0
    last_stage = n_stages - 1
    while t < t_end:
        if n_accepted + n_rejected >= max_steps:
            status = Status.MAX_STEPS
            break
        if step_collapsed(h, t, t_end):
            status = Status.STEP_COLLAPSE
            break
        last = False
        if reaches_end(t, h, t_end):
            h = t_end - t
            last = True
        if not fresh:
            if driven:
                _drive(t, y, n_dyn, drive, cursor)
            _rhs(t, y, f0, coef, terms, forcing, gexp, v, False)
            n_rhs += 1
        if driven and not ft_current:
            # f_t by a forward difference (as rodas.f does for non-autonomous problems without
            # an analytic time derivative): the driven species are only known as dense output.
            delta = math.sqrt(EPS * max(1e-5, abs(t)))
            for j in range(n_dyn):
                for c in range(n_chunk):
                    u[j, c] = y[j, c]
            _drive(t + delta, u, n_dyn, drive, cursor)
            _rhs(t + delta, u, ft, coef, terms, forcing, gexp, v, False)
            n_rhs += 1
            for j in range(n_dyn):
                for c in range(n_chunk):
                    ft[j, c] = (ft[j, c] - f0[j, c]) / delta
            ft_current = True
        _jacobian(y, jac, terms, jacobian, v)
        if has_time and not driven:
            _time_derivative(t, ft, coef, forcing, gexp)
        fresh = True
        if not _factor(1.0 / (h * gamma), jac, lu, piv, blocks):
            n_rejected += 1
            h *= SINGULAR_FACTOR
            rejected_before = True
            continue
        for i in range(n_stages):
            hd = h * d_time[i]
            if i == 0:
                for j in range(n_dyn):
                    for c in range(n_chunk):
                        ks[0, j, c] = f0[j, c] + hd * ft[j, c]
            else:
                # One pass over the earlier increments builds both the stage point u and
                # the coupling terms; the right-hand side is then added into ks[i].
                for p in range(i):
                    coupling[p] = c_mat[i, p] / h
                for j in range(n_dyn):
                    for c in range(n_chunk):
                        u[j, c] = y[j, c]
                        ks[i, j, c] = hd * ft[j, c]
                    for p in range(i):
                        a_ip = a_mat[i, p]
                        c_ip = coupling[p]
                        for c in range(n_chunk):
                            kp = ks[p, j, c]
                            u[j, c] += a_ip * kp
                            ks[i, j, c] += c_ip * kp
                if driven:
                    _drive(t + c_time[i] * h, u, n_dyn, drive, cursor)
                _rhs(t + c_time[i] * h, u, ks[i], coef, terms, forcing, gexp, v, True)
                n_rhs += 1
            _solve(ks[i], jac, lu, piv, blocks)
        # error estimate: weighted RMS of the last increment per row; the worst row decides
        k = ks[last_stage]
        for c in range(n_chunk):
            err_row[c] = 0.0
        for j in range(n_dyn):
            for c in range(n_chunk):
                new = u[j, c] + k[j, c]
                ynew[j, c] = new
                scale = atol + rtol * max(abs(y[j, c]), abs(new))
                err_row[c] += (k[j, c] / scale) ** 2
        err = 0.0
        finite = True
        for c in range(n_chunk):
            e = math.sqrt(err_row[c] / max(n_dyn, 1))
            if not (e < np.inf):
                finite = False
                worst = c
            elif finite and e > err:
                err = e
                worst = c
        if not finite:
            err = np.inf
        accepted = err <= 1.0
        if accepted:
            t_next = t_end if last else t + h
            k_out = _write_samples(out, k_out, times, t, h, y, ynew, ks, dense, store_idx, t_next)
            if n_accepted + 2 > capacity:  # the tape grows by doubling
                capacity *= 2
                grown_times = np.empty(capacity)
                grown_times[: n_accepted + 1] = tape_times[: n_accepted + 1]
                tape_times = grown_times
                grown = np.empty((capacity, n_dense + 1, n_export, n_chunk))
                grown[: n_accepted + 1] = tape_values[: n_accepted + 1]
                tape_values = grown
            tape_times[n_accepted] = t
            for e in range(n_export):
                j = export_idx[e]
                for c in range(n_chunk):
                    tape_values[n_accepted, 0, e, c] = y[j, c]
                for r in range(n_dense):
                    for c in range(n_chunk):
                        row = 0.0
                        for i in range(n_stages):
                            row += dense[r, i] * ks[i, j, c]
                        tape_values[n_accepted, r + 1, e, c] = row
            for j in range(n_dyn):
                for c in range(n_chunk):
                    value = ynew[j, c]
                    if value < 0.0:
                        if -value > max_clip:
                            max_clip = -value
                        value = 0.0
                    y[j, c] = value
            t = t_next
            n_accepted += 1
            fresh = False
            ft_current = False
        else:
            n_rejected += 1
        h = next_step(h, err, rejected_before, control)
        rejected_before = not accepted
    tape_times[n_accepted] = t
    for e in range(n_export):
        for c in range(n_chunk):
            tape_values[n_accepted, 0, e, c] = y[export_idx[e], c]
    stats = ChunkStats(status, t, worst, n_accepted, n_rejected, n_rhs, max_clip)
    return stats, tape_times[: n_accepted + 1].copy(), tape_values[: n_accepted + 1].copy()
