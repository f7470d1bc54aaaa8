"""Exact stable state of a feed-forward non-competitive CRN, without an ODE.

For such a CRN the stable state does not depend on rates or the rate law and
equals firing each reaction to completion in topological order. Reactions on
one topological level consume disjoint species and feed none of each other, so
a level fires at once for the whole batch: a gather for the extents and one
matrix product for the products.
"""

from __future__ import annotations

import contextlib
import functools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from ..crn import CRN
from ..crn.checks import reaction_levels, require_nc_feed_forward

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

# Denser product blocks than this use a dense matrix product (BLAS); sparser ones stay sparse.
_DENSE_THRESHOLD = 0.05


@dataclass(frozen=True, eq=False)
class _Group:
    """Reactions of one level that fire the same way.

    kind is "single" (X -> ...), "mirror" (dual-rail pairs X+ -> P, X- -> mirror(P)),
    "pair" (A + B -> ..., counts 1) or "general".
    """

    kind: str
    reactant_columns: np.ndarray  # (n_group_reactions, n_slots), -1 padded
    reactant_powers: np.ndarray  # (n_group_reactions, n_slots), float
    product_columns: np.ndarray  # (n_touched,)
    products_t: np.ndarray | sp.csr_array | None  # (n_touched, n_group_reactions)
    # mirror only: species rows U and their partners, and (B1 + B2), (B1 - B2);
    # the reactant rows of the positive and the negative rails
    mirror_rows: tuple[np.ndarray | slice, np.ndarray | slice] | None = None
    mirror_matrices: tuple[np.ndarray, np.ndarray] | None = None
    mirror_reactants: tuple[np.ndarray | slice, np.ndarray | slice] | None = None


def _as_index(columns: np.ndarray) -> np.ndarray | slice:
    """A slice when `columns` is an increasing arithmetic progression: views avoid copies."""
    columns = np.asarray(columns)
    if len(columns) > 1:
        step = int(columns[1] - columns[0])
        if step > 0 and np.array_equal(columns, columns[0] + step * np.arange(len(columns))):
            return slice(int(columns[0]), int(columns[-1]) + 1, step)
    return columns


def _product_block(products: sp.csr_array) -> tuple[np.ndarray, np.ndarray | sp.csr_array]:
    touched = np.unique(products.indices)
    block = products[:, touched].tocsr()
    density = block.nnz / max(1, block.shape[0] * block.shape[1])
    transposed = block.T.tocsr()
    return touched, (transposed.toarray() if density > _DENSE_THRESHOLD else transposed)


def _rail_partners(crn: CRN) -> np.ndarray:
    """Partner of each species that is one rail of a dual-rail value, or -1; shape (n_species,).

    The pairs start from the declared signals (``x = xp - xn`` with one species on each
    side) and spread along the network, by the structure of its reactions and never by
    species names:

    - fan-out: when unimolecular reactions ``S -> P`` and ``S' -> P'`` consume the two
      rails of each of several pairs, a product touched by the ``S`` side exactly as
      another one is touched by the ``S'`` side (and vice versa) is that one's partner;
    - two-reaction modules such as the ReLU ``zp -> m + hp``, ``m + zn -> hn``: when the
      consumers of a pair each make one product that the other does not consume, those
      products are a pair.

    A wrong guess costs only speed: :func:`_mirror_group` verifies the mirror property
    exactly before using it.
    """
    partner = np.full(crn.n_species, -1, dtype=np.int64)
    index = crn.species_index

    def pair(first: int, second: int) -> bool:
        if first == second or partner[first] >= 0 or partner[second] >= 0:
            return False
        partner[first], partner[second] = second, first
        return True

    for signal in (*crn.inputs, *crn.outputs):
        if len(signal.positive) == len(signal.negative) == 1:
            (positive, count), (negative, other) = signal.positive[0], signal.negative[0]
            if count == other:
                pair(index[positive], index[negative])
    consumer = np.full(crn.n_species, -1, dtype=np.int64)  # the one consumer of an NC CRN's species
    for r, reaction in enumerate(crn.reactions):
        for name, _ in reaction.reactants:
            consumer[index[name]] = r
    reactants = [{index[name]: count for name, count in r.reactants} for r in crn.reactions]
    products = [{index[name]: count for name, count in r.products} for r in crn.reactions]
    changed = True
    while changed:
        changed = False
        pairs = [(s, int(partner[s])) for s in range(crn.n_species) if s < partner[s]]
        # fan-out: signature of a product = its counts from the first and the second rails
        first_side: dict[int, list[tuple[int, int]]] = {}
        second_side: dict[int, list[tuple[int, int]]] = {}
        for number, (s, t) in enumerate(pairs):
            r, q = consumer[s], consumer[t]
            if r < 0 or q < 0 or len(reactants[r]) != 1 or len(reactants[q]) != 1:
                continue
            for side, reaction in ((first_side, r), (second_side, q)):
                for c, count in products[reaction].items():
                    side.setdefault(c, []).append((number, count))
        by_signature: dict[tuple, list[int]] = {}
        for c in sorted(set(first_side) | set(second_side)):
            if partner[c] < 0:
                key = (tuple(first_side.get(c, ())), tuple(second_side.get(c, ())))
                by_signature.setdefault(key, []).append(c)
        for (first, second), species in by_signature.items():
            mirrored = by_signature.get((second, first), [])
            if first < second and len(mirrored) == len(species):
                for c, d in zip(species, mirrored, strict=True):
                    changed |= pair(c, d)
        # two-reaction modules
        for s, t in pairs:
            r, q = consumer[s], consumer[t]
            if r < 0 or q < 0 or r == q:
                continue
            only_r = [c for c in products[r] if c not in reactants[q]]
            only_q = [c for c in products[q] if c not in reactants[r]]
            if len(only_r) == len(only_q) == 1 and products[r][only_r[0]] == products[q][only_q[0]]:
                changed |= pair(only_r[0], only_q[0])
    return partner


def _mirror_group(
    rows: np.ndarray, products: sp.csr_array, reactant_columns: np.ndarray, partner: np.ndarray
) -> _Group | None:
    """Pair dual-rail fan-outs ``S+ -> P`` and ``S- -> mirror(P)`` if the level is made of them.

    Candidates come from :func:`_rail_partners`; the mirror property itself is
    verified exactly on the matrices, so any CRN is handled correctly.
    Then ``P e+ + mirror(P) e-`` costs two half-size products:
    ``(B1 + B2)(e+ + e-)`` and ``(B1 - B2)(e+ - e-)``.
    """
    reactant = [int(c) for c in reactant_columns]
    position = {c: k for k, c in enumerate(reactant)}
    positive = [k for k, c in enumerate(reactant) if c < partner[c]]
    negative = [position.get(int(partner[reactant[k]]), -1) for k in positive]
    if len(positive) * 2 != len(rows) or min(negative, default=0) < 0:
        return None
    touched = np.unique(products.indices)
    representatives = [int(c) for c in touched if c < partner[c]]
    partners = [int(partner[c]) for c in representatives]
    if not set(touched) <= set(representatives) | set(partners):
        return None
    dense = products.toarray()
    b1 = dense[positive][:, representatives].T  # (k, m): positive rails -> representatives
    b2 = dense[positive][:, partners].T
    if not (
        np.array_equal(dense[negative][:, representatives].T, b2)
        and np.array_equal(dense[negative][:, partners].T, b1)
    ):
        return None
    columns = np.array([[reactant[k]] for k in positive] + [[reactant[k]] for k in negative])
    half = len(positive)
    return _Group(
        "mirror",
        columns,
        np.ones_like(columns, dtype=np.float64),
        np.array(representatives),
        None,
        (_as_index(np.array(representatives)), _as_index(np.array(partners))),
        (b1 + b2, b1 - b2),
        (_as_index(columns[:half, 0]), _as_index(columns[half:, 0])),
    )


@dataclass(frozen=True, eq=False)
class ExactPlan:
    """Precomputed firing schedule of a feed-forward NC CRN; reuse it across batches."""

    crn: CRN
    groups: tuple[_Group, ...]
    # Species that may be nonzero after firing: all but those emptied by a
    # unimolecular group. Zeroing just these makes a buffer reusable.
    residual_rows: np.ndarray
    # Outputs read only a few species: their rows and the matching columns of
    # the output matrix, shape (n_outputs, n_output_species).
    output_rows: np.ndarray | slice
    output_weights: np.ndarray

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
        for group in self.groups:
            columns, powers = group.reactant_columns, group.reactant_powers
            if group.kind == "mirror":
                # The planner sets all three for every mirror group (an internal invariant).
                assert group.mirror_reactants is not None and group.mirror_matrices is not None
                assert group.mirror_rows is not None
                positive_rows, negative_rows = group.mirror_reactants
                positive, negative = amounts[positive_rows], amounts[negative_rows]
                total = group.mirror_matrices[0] @ (positive + negative)
                difference = group.mirror_matrices[1] @ (positive - negative)
                amounts[positive_rows] = 0.0
                amounts[negative_rows] = 0.0
                rows, partners = group.mirror_rows
                total *= 0.5
                difference *= 0.5
                amounts[rows] += total + difference
                amounts[partners] += total - difference
                continue
            if group.kind == "single":
                extents = amounts[columns[:, 0]]
                amounts[columns[:, 0]] = 0.0
            elif group.kind == "pair":
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
            amounts[group.product_columns] += group.products_t @ extents
        return amounts


def plan_exact(crn: CRN) -> ExactPlan:
    """Check `crn` and build its firing schedule.

    Reactions are placed on the latest topological level that still precedes
    their consumers, then each level is split into groups that fire the same
    way (unimolecular, dual-rail mirrored pairs, bimolecular, general).

    Raises
    ------
    CRNStructureError
        If `crn` is not feed-forward and non-competitive (the reason is given).
    """
    require_nc_feed_forward(crn, "exact evaluation")
    levels_of = reaction_levels(crn, latest=True)
    products_all = crn.product_matrix.tocsr()
    all_columns = crn.reactant_columns
    all_powers = crn.reactant_powers.astype(np.float64)
    n_valid = (all_columns >= 0).sum(axis=1)
    # A CRN without reactions (e.g. a network that only flattens) has no reactant columns.
    single = (
        (n_valid == 1) & (all_powers[:, 0] == 1) if all_columns.shape[1] else np.zeros(crn.n_reactions, bool)
    )
    pair = (
        (n_valid == 2) & (all_powers[:, :2] == 1).all(axis=1)
        if all_columns.shape[1] >= 2
        else np.zeros(crn.n_reactions, bool)
    )
    partner = _rail_partners(crn)
    groups: list[_Group] = []
    for level in range(int(levels_of.max(initial=-1)) + 1):
        on_level = levels_of == level
        for kind, mask in (("single", single), ("pair", pair), ("general", ~(single | pair))):
            rows = np.flatnonzero(on_level & mask)
            if len(rows) == 0:
                continue
            block = products_all[rows]
            if kind == "single":
                mirrored = _mirror_group(rows, block, all_columns[rows, 0], partner)
                if mirrored is not None:
                    groups.append(mirrored)
                    continue
            width = {"single": 1, "pair": 2}.get(kind, all_columns.shape[1])
            touched, products_t = _product_block(block)
            groups.append(
                _Group(kind, all_columns[rows, :width], all_powers[rows, :width], touched, products_t)
            )
    emptied = np.zeros(crn.n_species, dtype=bool)
    for group in groups:
        if group.kind in ("single", "mirror"):
            emptied[group.reactant_columns[:, 0]] = True
    output_columns = np.flatnonzero(np.any(crn.output_matrix != 0, axis=0))
    return ExactPlan(
        crn,
        tuple(groups),
        np.flatnonzero(~emptied),
        _as_index(output_columns),
        np.ascontiguousarray(crn.output_matrix[:, output_columns]),
    )


# Batches are processed in chunks: the working set stays in cache and freed
# buffers are reused instead of page-faulting fresh memory for every level.
_CHUNK = 512
_MAX_WORKERS = 8


def _single_threaded_blas() -> contextlib.AbstractContextManager:
    """Per-chunk matrix products are small: BLAS threads only add synchronisation,
    and on a busy machine spinning threads slow them down many times over.
    threadpoolctl is optional (it comes with scikit-learn)."""
    controller = _blas_controller()
    return contextlib.nullcontext() if controller is None else controller.limit(limits=1, user_api="blas")


@functools.cache
def _blas_controller() -> ThreadpoolController | None:
    # Inspecting the loaded libraries takes about a millisecond: do it once.
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


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
    with _single_threaded_blas():
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
    starts = list(range(0, values.shape[0], _CHUNK))

    def work(worker: int) -> None:
        # numpy releases the GIL in the products and element-wise kernels, so
        # chunks on separate threads run on separate cores.
        buffer = np.zeros((crn.n_species, min(_CHUNK, values.shape[0])))
        for start in starts[worker::n_workers]:
            amounts = crn._load_species_major(values[start : start + _CHUNK], out=buffer, zeroed=True)
            amounts = plan.fire_species_major(amounts)
            outputs[start : start + _CHUNK] = (plan.output_weights @ amounts[plan.output_rows]).T
            amounts[plan.residual_rows] = 0.0

    n_workers = max(1, min(len(starts), os.cpu_count() or 1, _MAX_WORKERS))
    with _single_threaded_blas():
        if n_workers == 1:
            work(0)
        else:
            with ThreadPoolExecutor(n_workers) as pool:
                list(pool.map(work, range(n_workers)))
    return outputs
