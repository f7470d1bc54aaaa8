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
    pairwise: bool  # every reaction is A + B -> ..., distinct A and B, counts 1
    product_columns: np.ndarray  # (n_touched,)
    products_t: np.ndarray | sp.csr_array  # (n_touched, n_level_reactions)


@dataclass(frozen=True, eq=False)
class ExactPlan:
    """Precomputed firing schedule of a feed-forward NC CRN; reuse it across batches."""

    crn: CRN
    levels: tuple[_Level, ...]

    def fire(self, states: np.ndarray, *, integer: bool = False) -> np.ndarray:
        """Fire every reaction to completion from `states` (n_batch, n_species).

        With ``integer=True`` the extents are whole firings (``floor(count / power)``),
        as for molecule counts. Returns the final states, shape (n_batch, n_species).
        """
        # Species-major layout: gathering a species is a contiguous row of the batch.
        amounts = np.array(np.asarray(states, dtype=np.float64).T, order="C")
        return self.fire_species_major(amounts, integer=integer).T

    def fire_species_major(self, amounts: np.ndarray, *, integer: bool = False) -> np.ndarray:
        """As :meth:`fire`, in place on C-ordered `amounts` of shape (n_species, n_batch)."""
        for level in self.levels:
            columns, powers = level.reactant_columns, level.reactant_powers
            if level.single_reactant:
                extents = amounts[columns[:, 0]]
                amounts[columns[:, 0]] = 0.0
            elif level.pairwise:
                # A + B -> ...: the extent is the smaller amount; both drop by it.
                first, second = amounts[columns[:, 0]], amounts[columns[:, 1]]
                extents = np.minimum(first, second)
                amounts[columns[:, 0]] = first - extents
                amounts[columns[:, 1]] = second - extents
            else:
                valid = columns >= 0
                safe = np.where(valid, columns, 0)
                ratios = amounts[safe] / np.where(valid, powers, 1.0)[:, :, None]
                ratios[~valid] = np.inf
                extents = ratios.min(axis=1)
                if integer:
                    extents = np.floor(extents)
                for slot in range(columns.shape[1]):
                    rows = valid[:, slot]
                    target = columns[rows, slot]
                    consumed = amounts[target] - extents[rows] * powers[rows, slot][:, None]
                    amounts[target] = np.maximum(consumed, 0.0)
            amounts[level.product_columns] += level.products_t @ extents
        return amounts


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
        pairwise = bool(
            not single and columns.shape[1] >= 2 and (columns[:, 2:] < 0).all()
            and (columns[:, :2] >= 0).all() and (powers[:, :2] == 1).all()
        )
        if pairwise:
            columns = columns[:, :2]
            powers = powers[:, :2]
        block = products_all[rows]
        touched = np.unique(block.indices)
        block = block[:, touched].tocsr()
        density = block.nnz / max(1, block.shape[0] * block.shape[1])
        transposed = block.T.tocsr()
        products_t = transposed.toarray() if density > _DENSE_THRESHOLD else transposed
        levels.append(_Level(columns, powers, single, pairwise, touched, products_t))
    return ExactPlan(crn, tuple(levels))


# Batches are processed in chunks: the working set stays in cache and freed
# buffers are reused instead of page-faulting fresh memory for every level.
_CHUNK = 512


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
    initial = crn.initial_state(input_values)
    final = np.empty_like(initial, order="C")
    for start in range(0, initial.shape[0], _CHUNK):
        final[start : start + _CHUNK] = plan.fire(initial[start : start + _CHUNK])
    return final


def stable_outputs(crn: CRN, input_values: object = None, *, plan: ExactPlan | None = None) -> np.ndarray:
    """Stable values of the declared outputs, shape (n_batch, n_outputs).

    Cheaper than :func:`evaluate_exact` for large batches: only the outputs of
    each chunk are kept.
    """
    plan = plan or plan_exact(crn)
    if input_values is None:
        return crn.read_outputs(plan.fire(crn.initial_state(None)))
    values = crn.validate_inputs(input_values)
    outputs = np.empty((values.shape[0], crn.n_outputs))
    buffer = np.empty((crn.n_species, min(_CHUNK, values.shape[0])))
    for start in range(0, values.shape[0], _CHUNK):
        amounts = crn._load_species_major(values[start : start + _CHUNK], out=buffer)
        amounts = plan.fire_species_major(amounts)
        outputs[start : start + _CHUNK] = (crn.output_matrix @ amounts).T
    return outputs
