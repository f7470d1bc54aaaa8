"""Pure numpy/scipy Rosenbrock solver (RODAS5P or RODAS4) for a chunk of rows sharing one step size.

The same method, dense output and step-size controller (:mod:`._ode_control`)
as the numba kernel (:mod:`._ode_numba`), vectorized over the chunk. Linear solves factor the
block-diagonal (over rows) matrix ``I / (h gamma) - J`` with SuperLU, so any CRN
structure works; it is the fallback when numba is not installed, and the path
for CRNs whose Jacobian has large strongly connected blocks.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from . import _ode_rodas as R
from ._ode_control import (
    SINGULAR_FACTOR,
    ChunkStats,
    StepControl,
    initial_step,
    next_step,
    reaches_end,
    step_collapsed,
)
from ._ode_plan import SATURATION_CONSTANT, OdePlan
from .base import Status


class NumpyKernel:
    """Right-hand side, Jacobian and linear solves of one plan, vectorized over rows."""

    def __init__(self, plan: OdePlan) -> None:
        self.plan = plan
        n_dyn = plan.n_dynamic
        n_rx = plan.rate.shape[0]
        counts = np.diff(plan.react_ptr)
        width = int(counts.max(initial=0))
        self.width = width
        self.slot_idx = np.zeros((n_rx, width), dtype=np.int64)
        self.slot_pow = np.zeros((n_rx, width), dtype=np.int64)
        self.slot_valid = np.zeros((n_rx, width), dtype=bool)
        for r in range(n_rx):
            lo, hi = plan.react_ptr[r], plan.react_ptr[r + 1]
            self.slot_idx[r, : hi - lo] = plan.react_idx[lo:hi]
            self.slot_pow[r, : hi - lo] = plan.react_pow[lo:hi]
            self.slot_valid[r, : hi - lo] = True
        rows = np.repeat(np.arange(n_rx), np.diff(plan.stoich_ptr))
        # f += v @ stoich (n_rx, n_dyn)
        self.stoich = sp.csr_array((plan.stoich_val, (rows, plan.stoich_idx)), shape=(n_rx, n_dyn))
        self.forcing = sp.csr_array(
            (np.ones(plan.force_target.shape[0]), (np.arange(plan.force_target.shape[0]), plan.force_target)),
            shape=(plan.force_target.shape[0], n_dyn),
        )
        # Jacobian data = dv[(r, q)] @ recipe, for (r, q) enumerated r-major over valid slots.
        slot_of_entry, pos_of_entry, value_of_entry = [], [], []
        slot = 0
        counter = 0
        for r in range(n_rx):
            targets = range(plan.stoich_ptr[r], plan.stoich_ptr[r + 1])
            for _ in range(plan.react_ptr[r], plan.react_ptr[r + 1]):
                for e in targets:
                    slot_of_entry.append(slot)
                    pos_of_entry.append(plan.recipe_pos[counter])
                    value_of_entry.append(plan.stoich_val[e])
                    counter += 1
                slot += 1
        self.recipe = sp.csr_array(
            (np.asarray(value_of_entry, dtype=np.float64), (slot_of_entry, pos_of_entry)),
            shape=(slot, plan.jac_nnz),
        )
        # Pattern of E = a I - J for one row: the Jacobian pattern plus the diagonal.
        jac_rows = np.repeat(np.arange(n_dyn), np.diff(plan.jac_ptr))
        key = np.unique(np.concatenate((jac_rows * n_dyn + plan.jac_col, np.arange(n_dyn) * (n_dyn + 1))))
        self.e_rows, self.e_cols = key // max(n_dyn, 1), key % max(n_dyn, 1)
        self.e_jac = np.searchsorted(key, jac_rows * n_dyn + plan.jac_col)
        self.e_diag = np.searchsorted(key, np.arange(n_dyn) * (n_dyn + 1))
        self._pattern_rows = -1
        self._pattern: tuple[np.ndarray, np.ndarray] | None = None

    # -- model ---------------------------------------------------------------------
    def _phi(self, x: np.ndarray) -> np.ndarray:
        if self.plan.rate_law == 0:
            return x
        return x / (SATURATION_CONSTANT + np.abs(x))

    def rhs(self, t: float, u: np.ndarray, coef: np.ndarray) -> np.ndarray:
        """du/dt for u of shape (n_rows, n_dyn); coef has shape (n_rows, n_force)."""
        plan = self.plan
        if self.width:
            phi = self._phi(u[:, self.slot_idx])  # (n_rows, n_rx, width)
            v = plan.rate * np.prod(np.where(self.slot_valid, phi**self.slot_pow, 1.0), axis=2)
            f = (self.stoich.T @ v.T).T
        else:
            f = np.tile(self.stoich.T @ plan.rate, (u.shape[0], 1))
        if plan.force_target.shape[0]:
            weights = np.exp(-plan.group_rate * t)[plan.force_group]
            f = f + (self.forcing.T @ (coef * weights).T).T
        return np.asarray(f)

    def time_derivative(self, t: float, coef: np.ndarray, n_rows: int) -> np.ndarray | None:
        plan = self.plan
        if not plan.force_target.shape[0]:
            return None
        weights = (-plan.group_rate * np.exp(-plan.group_rate * t))[plan.force_group]
        return np.asarray((self.forcing.T @ (coef * weights).T).T)

    def jacobian(self, y: np.ndarray) -> np.ndarray:
        """Jacobian data of shape (n_rows, jac_nnz) in the plan's CSR pattern."""
        if not self.width:
            return np.zeros((y.shape[0], self.plan.jac_nnz))
        x = y[:, self.slot_idx]  # (n_rows, n_rx, width)
        n = self.slot_pow
        if self.plan.rate_law == 0:
            factor = np.where(self.slot_valid, x**n, 1.0)
            derivative = n * x ** np.maximum(n - 1, 0)
        else:
            d = SATURATION_CONSTANT + np.abs(x)
            phi = x / d
            factor = np.where(self.slot_valid, phi**n, 1.0)
            derivative = n * phi ** np.maximum(n - 1, 0) * SATURATION_CONSTANT / (d * d)
        dv = np.empty_like(x)
        for q in range(self.width):
            others = np.prod(np.delete(factor, q, axis=2), axis=2) if self.width > 1 else 1.0
            dv[:, :, q] = self.plan.rate * derivative[:, :, q] * others
        dv = dv[:, self.slot_valid]  # (n_rows, n_slots), r-major
        return np.asarray((self.recipe.T @ dv.T).T)

    def factor(self, a: float, jac: np.ndarray):
        """SuperLU factors of the block-diagonal matrix ``a I - J`` over the rows."""
        n_rows = jac.shape[0]
        n_dyn = self.plan.n_dynamic
        if self._pattern_rows != n_rows:
            offsets = (np.arange(n_rows) * n_dyn)[:, None]
            self._pattern = ((self.e_rows + offsets).ravel(), (self.e_cols + offsets).ravel())
            self._pattern_rows = n_rows
        data = np.zeros((n_rows, self.e_rows.shape[0]))
        data[:, self.e_jac] = -jac
        data[:, self.e_diag] += a
        if not np.isfinite(data).all():
            return None
        size = n_rows * n_dyn
        matrix = sp.csc_matrix((data.ravel(), self._pattern), shape=(size, size))
        try:
            return splu(matrix)
        except RuntimeError:  # exactly singular
            return None

    @staticmethod
    def solve(lu, b: np.ndarray) -> np.ndarray:
        return lu.solve(b.ravel()).reshape(b.shape)


def rosenbrock_stages(
    kernel: NumpyKernel,
    tableau: R.Tableau,
    t: float,
    y: np.ndarray,
    h: float,
    coef: np.ndarray,
    f0: np.ndarray,
    ft: np.ndarray | None,
    lu: object,
) -> tuple[list[np.ndarray], np.ndarray]:
    """The stage increments of one step from ``(t, y)`` and the new state ``y + ...``.

    `f0` is the right-hand side at ``(t, y)``, `ft` its time derivative (None when the
    inflows do not depend on time) and `lu` the factorized ``I / (h gamma) - J``; the
    stiffly accurate tableau makes the last stage's point plus its increment the new state.
    """
    ks: list[np.ndarray] = []
    u = y
    for i in range(tableau.stages):
        if i == 0:
            rhs = f0.copy()
        else:
            u = y + sum(tableau.a[i, p] * ks[p] for p in range(i))
            rhs = kernel.rhs(t + tableau.c[i] * h, u, coef)
            for p in range(i):
                rhs += (tableau.c_coupling[i, p] / h) * ks[p]
        if ft is not None and tableau.d[i] != 0.0:
            rhs += (h * tableau.d[i]) * ft
        ks.append(kernel.solve(lu, rhs))
    return ks, u + ks[-1]


def integrate_chunk_numpy(
    kernel: NumpyKernel,
    tableau: R.Tableau,
    y: np.ndarray,
    coef: np.ndarray,
    times: np.ndarray,
    store_idx: np.ndarray,
    out: np.ndarray,
    control: StepControl,
) -> ChunkStats:
    """Numpy twin of :func:`._ode_numba.integrate_chunk` with rows first.

    Parameters
    ----------
    kernel : NumpyKernel
    tableau : Tableau
    y : ndarray of shape (n_rows, n_dyn), overwritten with the final state
    coef : ndarray of shape (n_rows, n_force)
    times : ndarray of shape (n_times,)
    store_idx : int ndarray of shape (n_store,)
    out : ndarray of shape (n_rows, n_times, n_store), filled with samples
    control : StepControl

    Returns
    -------
    ChunkStats
    """
    n_rows, n_dyn = y.shape
    rtol, atol = control.rtol, control.atol
    t_end = float(times[-1])
    t = 0.0
    k_out = 0
    while k_out < len(times) and times[k_out] <= 0.0:
        out[:, k_out, :] = y[:, store_idx]
        k_out += 1
    f0 = kernel.rhs(t, y, coef)
    n_rhs = 1
    scale = atol + rtol * np.abs(y)
    d0 = float(np.sqrt(np.mean((y / scale) ** 2, axis=1)).max(initial=0.0)) if n_dyn else 0.0
    d1 = float(np.sqrt(np.mean((f0 / scale) ** 2, axis=1)).max(initial=0.0)) if n_dyn else 0.0
    h = initial_step(d0, d1, t_end)
    accepted = rejected = 0
    status, worst, max_clip = Status.T_END, 0, 0.0
    rejected_before = False
    fresh = True
    while t < t_end:
        if accepted + rejected >= control.max_steps:
            status = Status.MAX_STEPS
            break
        if step_collapsed(h, t, t_end):
            status = Status.STEP_COLLAPSE
            break
        last = False
        if reaches_end(t, h, t_end):
            h, last = t_end - t, True
        if not fresh:
            f0 = kernel.rhs(t, y, coef)
            n_rhs += 1
        jac = kernel.jacobian(y)
        ft = kernel.time_derivative(t, coef, n_rows)
        fresh = True
        lu = kernel.factor(1.0 / (h * tableau.gamma), jac)
        if lu is None:
            rejected += 1
            h *= SINGULAR_FACTOR
            rejected_before = True
            continue
        ks, ynew = rosenbrock_stages(kernel, tableau, t, y, h, coef, f0, ft, lu)
        n_rhs += tableau.stages - 1
        scale = atol + rtol * np.maximum(np.abs(y), np.abs(ynew))
        with np.errstate(over="ignore", invalid="ignore"):
            err_row = np.sqrt(np.mean((ks[-1] / scale) ** 2, axis=1)) if n_dyn else np.zeros(n_rows)
        finite = np.isfinite(err_row)
        worst = int(np.flatnonzero(~finite)[0]) if not finite.all() else int(np.argmax(err_row))
        err = float(err_row.max(initial=0.0)) if finite.all() else math.inf
        step_accepted = err <= 1.0
        if step_accepted:
            t_next = t_end if last else t + h
            if k_out < len(times) and times[k_out] <= t_next:
                rows = [
                    sum(w * k[:, store_idx] for w, k in zip(weights, ks, strict=True))
                    for weights in tableau.dense
                ]
            while k_out < len(times) and times[k_out] <= t_next:
                theta = min(1.0, (times[k_out] - t) / h)
                inner = np.zeros_like(rows[0])
                for row in reversed(rows):
                    inner = row + theta * inner
                value = (1.0 - theta) * y[:, store_idx] + theta * (ynew[:, store_idx] + (1.0 - theta) * inner)
                out[:, k_out, :] = np.maximum(value, 0.0)
                k_out += 1
            if n_dyn:
                max_clip = max(max_clip, float(-ynew.min()))
            y[:] = np.maximum(ynew, 0.0)
            t = t_next
            accepted += 1
            fresh = False
        else:
            rejected += 1
        h = next_step(h, err, rejected_before, control)
        rejected_before = not step_accepted
    return ChunkStats(int(status), t, worst, accepted, rejected, n_rhs, max_clip)
