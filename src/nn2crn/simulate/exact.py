"""Exact stable state of a feed-forward non-competitive CRN, without an ODE.

For such a CRN the stable state does not depend on rates or the rate law and
equals firing each reaction to completion in topological order. Reactions on
one topological level consume disjoint species and feed none of each other, so
a level fires at once for the whole batch: a gather for the extents and one
matrix product for the products.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..crn import CRN
from ..crn.checks import reaction_levels, require_nc_feed_forward

# Denser product blocks than this use a dense matrix product (BLAS); sparser ones stay sparse.
_DENSE_THRESHOLD = 0.05


@dataclass(frozen=True, eq=False)
class _Level:
    reactant_columns: np.ndarray  # (n_level_reactions, n_slots), -1 padded
    reactant_powers: np.ndarray  # (n_level_reactions, n_slots), float
    single_reactant: bool  # every reaction is X -> ..., count 1
    product_columns: np.ndarray  # (n_touched,)
    products: np.ndarray | sp.csr_array  # (n_level_reactions, n_touched)


@dataclass(frozen=True, eq=False)
class ExactPlan:
    """Precomputed firing schedule of a feed-forward NC CRN; reuse it across batches."""

    crn: CRN
    levels: tuple[_Level, ...]

    def fire(self, states: np.ndarray, *, integer: bool = False) -> np.ndarray:
        """Fire every reaction to completion, in place on `states` (n_batch, n_species).

        With ``integer=True`` the extents are whole firings (``floor(count / power)``),
        as for molecule counts.
        """
        for level in self.levels:
            columns, powers = level.reactant_columns, level.reactant_powers
            if level.single_reactant:
                extents = states[:, columns[:, 0]]
                states[:, columns[:, 0]] = 0.0
            else:
                valid = columns >= 0
                safe = np.where(valid, columns, 0)
                ratios = states[:, safe] / np.where(valid, powers, 1.0)
                ratios[:, ~valid] = np.inf
                extents = ratios.min(axis=2)
                if integer:
                    extents = np.floor(extents)
                for slot in range(columns.shape[1]):
                    rows = valid[:, slot]
                    target = columns[rows, slot]
                    consumed = states[:, target] - extents[:, rows] * powers[rows, slot]
                    states[:, target] = np.maximum(consumed, 0.0)
            if isinstance(level.products, np.ndarray):
                states[:, level.product_columns] += extents @ level.products
            else:
                states[:, level.product_columns] += (level.products.T @ extents.T).T
        return states


def plan_exact(crn: CRN) -> ExactPlan:
    """Check `crn` and build its firing schedule.

    Raises
    ------
    CRNStructureError
        If `crn` is not feed-forward and non-competitive (the reason is given).
    """
    require_nc_feed_forward(crn, "exact evaluation")
    levels_of = reaction_levels(crn)
    products_all = crn.product_matrix.tocsr()
    levels = []
    for level in range(int(levels_of.max(initial=-1)) + 1):
        rows = np.flatnonzero(levels_of == level)
        columns = crn.reactant_columns[rows]
        powers = crn.reactant_powers[rows].astype(np.float64)
        single = bool(columns.shape[1] >= 1 and (columns[:, 1:] < 0).all() and (powers[:, 0] == 1).all())
        if single:
            columns = columns[:, :1]
            powers = powers[:, :1]
        block = products_all[rows]
        touched = np.unique(block.indices)
        block = block[:, touched].tocsr()
        density = block.nnz / max(1, block.shape[0] * block.shape[1])
        products: np.ndarray | sp.csr_array = block.toarray() if density > _DENSE_THRESHOLD else block
        levels.append(_Level(columns, powers, single, touched, products))
    return ExactPlan(crn, tuple(levels))


def evaluate_exact(crn: CRN, input_values: object = None, *, plan: ExactPlan | None = None) -> np.ndarray:
    """Stable (final) state of a feed-forward NC CRN for a batch of inputs.

    Parameters
    ----------
    crn : CRN
    input_values : array-like of shape (n_batch, n_inputs), optional
        Values of the declared inputs (see :meth:`CRN.initial_state`).
    plan : ExactPlan, optional
        From :func:`plan_exact`, to skip the structural check on repeated calls.

    Returns
    -------
    ndarray of shape (n_batch, n_species)

    Raises
    ------
    CRNStructureError
        If the CRN is not feed-forward and non-competitive.
    InputDataError
        Wrong input shape, NaN, or a negative value for a single-rail input.
    """
    plan = plan or plan_exact(crn)
    return plan.fire(crn.initial_state(input_values))


def stable_outputs(crn: CRN, input_values: object = None, *, plan: ExactPlan | None = None) -> np.ndarray:
    """Stable values of the declared outputs, shape (n_batch, n_outputs)."""
    return crn.read_outputs(evaluate_exact(crn, input_values, plan=plan))
