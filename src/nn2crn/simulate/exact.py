"""Exact stable state of a feed-forward non-competitive CRN, without an ODE.

For such a CRN the stable state does not depend on rates or the rate law and
equals firing each reaction to completion in topological order. Reactions on
one topological level consume disjoint species and feed none of each other, so
a level fires at once for the whole batch: a gather for the extents and one
matrix product for the products.

The plan lays the species out in firing order (each group's reactants in
consecutive rows), so the gathers are views, and wide CRNs are evaluated in
chunks of fewer batch rows, so that a chunk stays in cache.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

import numpy as np

from .._arrays import unique
from .._errors import PrecisionLossError, SimulationError
from ..crn import CRN
from ..crn.checks import reaction_levels, require_nc_feed_forward
from ..crn.crn import ReactionArrays, TermsCSR

if TYPE_CHECKING:
    from collections.abc import Callable

    import scipy.sparse as sp
    from threadpoolctl import ThreadpoolController

# scipy.sparse is imported only for a sparse block with long rows (a reduced CNN's): the
# sparse blocks of compiled networks (ReLU and pairing steps, 1-2 entries per row) are
# multiplied with numpy alone, so `nn2crn eval` of them does not pay the import (0.2-0.3 s).

# Denser product blocks than this use a dense matrix product (BLAS); sparser ones stay sparse.
_DENSE_THRESHOLD = 0.05
# ... but never a dense block of more entries than this (32 MB of float64) unless it is
# nearly full: memory stays proportional to the product terms for any width.
_DENSE_MAX_ENTRIES = 1 << 22
# Blocks this small are dense whatever their density: BLAS beats sparse bookkeeping.
_DENSE_ALWAYS = 256
# Sparse blocks whose rows have at most this many entries are _RankedRows (numpy, one
# gather per entry rank); longer rows would need as many passes, and go to scipy.
_RANKED_MAX = 4


def _use_dense(nnz: int, n_rows: int, n_columns: int) -> bool:
    entries = n_rows * n_columns
    if entries <= _DENSE_ALWAYS:
        return True
    dense_enough = nnz > _DENSE_THRESHOLD * entries
    return dense_enough and (entries <= _DENSE_MAX_ENTRIES or nnz > max(0.5, _DENSE_THRESHOLD) * entries)


@dataclass(frozen=True, eq=False)
class _RankedRows:
    """A sparse (n_rows, n_columns) block with short rows, multiplied with numpy alone.

    Pass k holds the k-th entry of every row that has one, so a pass's rows are unique
    and ``out[rows] += x[columns] * values`` adds it with plain fancy indexing: the
    product costs one gather per entry rank (1-2 for a compiled network's ReLU and
    pairing blocks), about as fast as scipy's CSR product and without its import.
    """

    shape: tuple[int, int]
    rows: np.ndarray  # the entries' (row, column, value) triplets, canonical (unique)
    columns: np.ndarray
    values: np.ndarray
    # (rows, columns, values or None when all are 1) per entry rank
    passes: tuple[tuple[np.ndarray | slice, np.ndarray | slice, np.ndarray | None], ...]
    # the first rank covers every row: the product starts as its (fresh) term
    first_full: bool

    @classmethod
    def build(
        cls, rows: np.ndarray, columns: np.ndarray, values: np.ndarray, shape: tuple[int, int]
    ) -> _RankedRows:
        rows, columns = np.asarray(rows, dtype=np.int64), np.asarray(columns, dtype=np.int64)
        values = np.asarray(values, dtype=np.float64)
        order = np.lexsort((columns, rows))
        rows, columns, values = rows[order], columns[order], values[order]
        starts = np.searchsorted(rows, rows, side="left")
        rank = np.arange(len(rows)) - starts
        passes = []
        for k in range(int(rank.max()) + 1 if len(rank) else 0):
            chosen = rank == k
            weights = values[chosen]
            passes.append(
                (
                    _as_index(rows[chosen]),
                    _as_index(columns[chosen]),
                    None if (weights == 1).all() else weights,
                )
            )
        # rank 0 has one entry per nonempty row (unique rows)
        first_full = int((rank == 0).sum()) == shape[0] > 0
        return cls(shape, rows, columns, values, tuple(passes), first_full)

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        tail = (1,) * (x.ndim - 1)
        dtype = np.result_type(x.dtype, np.float64)
        passes = self.passes
        if self.first_full:
            _, columns, values = passes[0]
            # a copy: x may be a view of amounts that the caller empties next
            if values is None:
                out = np.array(x[columns], dtype=dtype)
            else:
                out = x[columns] * values.reshape(-1, *tail)
            passes = passes[1:]
        else:
            out = np.zeros((self.shape[0], *x.shape[1:]), dtype=dtype)
        for rows, columns, values in passes:
            out[rows] += x[columns] if values is None else x[columns] * values.reshape(-1, *tail)
        return out

    def __getitem__(self, ahead: np.ndarray) -> _RankedRows:
        """The block with its rows reordered: row i of the result is row ``ahead[i]``."""
        new_row = np.empty(self.shape[0], dtype=np.int64)
        new_row[np.asarray(ahead)] = np.arange(self.shape[0])
        return _RankedRows.build(new_row[self.rows], self.columns, self.values, self.shape)


if TYPE_CHECKING:
    from typing import TypeAlias

    _Block: TypeAlias = "np.ndarray | _RankedRows | sp.csr_array"


def _block_matrix(
    rows: np.ndarray, columns: np.ndarray, values: np.ndarray, shape: tuple[int, int]
) -> _Block:
    """The (rows, columns) -> values block, dense when that is both fast and small (entries are unique)."""
    if _use_dense(len(values), *shape):
        block = np.zeros(shape)
        block[rows, columns] = values
        return block
    if not len(rows) or np.bincount(rows, minlength=1).max() <= _RANKED_MAX:
        return _RankedRows.build(rows, columns, values, shape)
    import scipy.sparse as sp

    return sp.csr_array((values, (rows, columns)), shape=shape)


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
    products_t: _Block | None  # (n_touched, n_group_reactions)
    # mirror only: species rows U and their partners, and (B1 + B2), (B1 - B2);
    # the reactant rows of the positive and the negative rails
    mirror_rows: tuple[np.ndarray | slice, np.ndarray | slice] | None = None
    mirror_matrices: tuple[_Block, _Block] | None = None
    mirror_reactants: tuple[np.ndarray | slice, np.ndarray | slice] | None = None
    # single and pair: the reactant rows of each slot, slices once the plan has laid
    # the species out by consumer (views instead of gathers)
    slots: tuple[np.ndarray | slice, ...] = ()
    # products_t a _RankedRows: its passes with the target species rows in place of the
    # block rows, so the products add straight into the amounts (see _add_products)
    scatter: tuple[tuple[np.ndarray | slice, np.ndarray | slice, np.ndarray | None], ...] | None = None


def _add_products(amounts: np.ndarray, group: _Group, extents: np.ndarray) -> None:
    """``amounts[group.product_columns] += group.products_t @ extents``, in place."""
    if group.scatter is None:
        assert group.products_t is not None  # every non-mirror group has products (internal invariant)
        amounts[group.product_columns] += group.products_t @ extents
        return
    # a pass's targets are unique, so fancy-indexed += adds every term
    for targets, columns, values in group.scatter:
        amounts[targets] += extents[columns] if values is None else extents[columns] * values


def _with_scatter(group: _Group) -> _Group:
    block = group.products_t
    if not isinstance(block, _RankedRows):
        return group
    targets = np.asarray(group.product_columns)
    scatter = tuple(
        (_as_index(targets[rows]), columns, None if values is None else values[:, None])
        for rows, columns, values in block.passes
    )
    return dataclasses.replace(group, scatter=scatter)


def _as_index(columns: np.ndarray) -> np.ndarray | slice:
    """A slice when `columns` is an increasing arithmetic progression: views avoid copies."""
    columns = np.asarray(columns)
    if len(columns) == 1:
        return slice(int(columns[0]), int(columns[0]) + 1)
    if len(columns) > 1:
        step = int(columns[1] - columns[0])
        if step > 0 and np.array_equal(columns, columns[0] + step * np.arange(len(columns))):
            return slice(int(columns[0]), int(columns[-1]) + 1, step)
    return columns


def _product_block(
    local_rows: np.ndarray | None, columns: np.ndarray, values: np.ndarray, n_rows: int
) -> tuple[np.ndarray, _Block]:
    """Touched species and the transposed product block (n_touched, n_rows) of one group."""
    if n_rows == 1:  # a canonical CSR row is already unique and sorted
        return columns, values.reshape(-1, 1).copy()
    assert local_rows is not None  # only a single row may omit them (internal invariant)
    touched = unique(columns)
    return touched, _block_matrix(
        np.searchsorted(touched, columns), local_rows, values, (len(touched), n_rows)
    )


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
    # Python lists, not arrays: this walk is all scalar look-ups.
    partner = [-1] * crn.n_species
    index = crn.species_index

    formed: list[tuple[int, int]] = []  # pairs found since the last pass, smaller species first

    def pair(first: int, second: int) -> None:
        if first == second or partner[first] >= 0 or partner[second] >= 0:
            return
        partner[first], partner[second] = second, first
        formed.append((min(first, second), max(first, second)))

    for signal in (*crn.inputs, *crn.outputs):
        if len(signal.positive) == len(signal.negative) == 1:
            (positive, count), (negative, other) = signal.positive[0], signal.negative[0]
            if count == other:
                pair(index[positive], index[negative])

    def term_rows(matrix: TermsCSR) -> list[dict[int, int]]:
        columns, counts = matrix.indices.tolist(), matrix.data.astype(np.int64).tolist()
        bounds = matrix.indptr.tolist()
        return [
            dict(zip(columns[bounds[r] : bounds[r + 1]], counts[bounds[r] : bounds[r + 1]], strict=True))
            for r in range(crn.n_reactions)
        ]

    reactant_terms = crn.reactant_terms
    consumer_array = np.full(crn.n_species, -1, dtype=np.int64)  # the one consumer of an NC CRN's species
    consumer_array[reactant_terms.indices] = reactant_terms.rows
    consumer = consumer_array.tolist()
    reactants, products = term_rows(reactant_terms), term_rows(crn.product_terms)
    # Fan-out signature of a product: its counts from the first and the second rails of
    # each pair, keyed by the pair's smaller species. Built up as pairs appear, and each
    # pass looks only at the products of the pairs found in the pass before, so the work
    # is linear in the product terms however deep the network is.
    first_side: dict[int, list[tuple[int, int]]] = {}
    second_side: dict[int, list[tuple[int, int]]] = {}
    while formed:
        new_pairs = sorted(formed)
        formed.clear()
        candidates: set[int] = set()
        for s, t in new_pairs:
            r, q = consumer[s], consumer[t]
            if r < 0 or q < 0 or len(reactants[r]) != 1 or len(reactants[q]) != 1:
                continue
            for side, reaction in ((first_side, r), (second_side, q)):
                for c, count in products[reaction].items():
                    side.setdefault(c, []).append((s, count))
                    candidates.add(c)
        by_signature: dict[tuple, list[int]] = {}
        for c in sorted(candidates):
            if partner[c] < 0:
                key = (tuple(sorted(first_side.get(c, ()))), tuple(sorted(second_side.get(c, ()))))
                by_signature.setdefault(key, []).append(c)
        for (first, second), species in by_signature.items():
            mirrored = by_signature.get((second, first), [])
            if first < second and len(mirrored) == len(species):
                for c, d in zip(species, mirrored, strict=True):
                    pair(c, d)
        # two-reaction modules: depend on the pair alone, so each pair is tried once
        for s, t in new_pairs:
            r, q = consumer[s], consumer[t]
            if r < 0 or q < 0 or r == q:
                continue
            only_r = [c for c in products[r] if c not in reactants[q]]
            only_q = [c for c in products[q] if c not in reactants[r]]
            if len(only_r) == len(only_q) == 1 and products[r][only_r[0]] == products[q][only_q[0]]:
                pair(only_r[0], only_q[0])
    return np.array(partner, dtype=np.int64)


def _mirror_group(
    local_rows: np.ndarray,
    columns: np.ndarray,
    values: np.ndarray,
    reactant_columns: np.ndarray,
    partner: np.ndarray,
) -> _Group | None:
    """Pair dual-rail fan-outs ``S+ -> P`` and ``S- -> mirror(P)`` if the level is made of them.

    The level's products are given as triplets (`local_rows` into `reactant_columns`,
    species `columns`, counts `values`). Candidates come from :func:`_rail_partners`;
    the mirror property itself is verified exactly on the triplets, so any CRN is
    handled correctly. Then ``P e+ + mirror(P) e-`` costs two half-size products:
    ``(B1 + B2)(e+ + e-)`` and ``(B1 - B2)(e+ - e-)``. Work and memory are linear in
    the level's product terms.
    """
    n_rows = len(reactant_columns)
    if n_rows % 2:
        return None
    rail_partner = partner[reactant_columns]
    is_positive = reactant_columns < rail_partner
    positive = np.flatnonzero(is_positive)
    if len(positive) * 2 != n_rows:
        return None
    # Row of each reactant species, then the row consuming each positive rail's partner.
    row_of = {int(c): k for k, c in enumerate(reactant_columns.tolist())}
    negative = np.array([row_of.get(int(c), -1) for c in rail_partner[positive].tolist()], dtype=np.int64)
    if (negative < 0).any():
        return None
    touched = unique(columns)
    touched_partner = partner[touched]
    if (touched_partner < 0).any():
        return None
    representatives = touched[touched < touched_partner]
    is_representative = columns < partner[columns]
    representative_of = np.where(is_representative, columns, partner[columns])
    slot = np.searchsorted(representatives, representative_of)
    if not np.array_equal(representatives[np.minimum(slot, len(representatives) - 1)], representative_of):
        return None  # a touched species whose partner's pair is not on this level
    half = len(positive)
    position = np.empty(n_rows, dtype=np.int64)  # pair number of each row
    position[positive] = np.arange(half)
    position[negative] = np.arange(half)
    from_positive = is_positive[local_rows]
    # Mirror property: the negative rails' terms are the positive rails' with the
    # representative and its partner swapped. Compare the two sorted term lists.
    keys = []
    for side in (from_positive, ~from_positive):
        flag = is_representative[side] if side is from_positive else ~is_representative[side]
        key = np.stack((flag.astype(np.int64), slot[side], position[local_rows[side]]))
        order = np.lexsort(key[::-1])
        keys.append((key[:, order], values[side][order]))
    if keys[0][0].shape != keys[1][0].shape or not (
        np.array_equal(keys[0][0], keys[1][0]) and np.array_equal(keys[0][1], keys[1][1])
    ):
        return None
    (flags, slots, pairs), counts = keys[0]
    shape = (len(representatives), half)
    # B1 (representatives) counts +1 in both; B2 (partners) +1 in the sum, -1 in the difference.
    sign = np.where(flags == 1, 1.0, -1.0)
    # Add up repeated (slot, pair) entries in numpy; the difference drops the zeros it makes.
    entries, inverse = np.unique(slots * half + pairs, return_inverse=True)
    total_values = np.bincount(inverse, weights=counts, minlength=len(entries))
    difference_values = np.bincount(inverse, weights=counts * sign, minlength=len(entries))
    nonzero = difference_values != 0

    def packed(key: np.ndarray, values: np.ndarray) -> _Block:
        return _block_matrix(key // half, key % half, values, shape)

    reactant = np.concatenate((reactant_columns[positive], reactant_columns[negative]))
    return _Group(
        "mirror",
        reactant[:, None],
        np.ones((n_rows, 1)),
        representatives,
        None,
        (_as_index(representatives), _as_index(partner[representatives])),
        (packed(entries, total_values), packed(entries[nonzero], difference_values[nonzero])),
        (_as_index(reactant[:half]), _as_index(reactant[half:])),
    )


@dataclass(frozen=True, eq=False)
class ExactPlan:
    """Precomputed firing schedule of a feed-forward NC CRN; reuse it across batches."""

    crn: CRN
    groups: tuple[_Group, ...]
    # The plan works on `layout`, `crn` with its species reordered so that each
    # group's reactants are consecutive rows: species `order[k]` of `crn` is row k.
    layout: CRN
    order: np.ndarray
    # Species that may be nonzero after firing: all but those emptied by a
    # unimolecular group. Zeroing just these makes a buffer reusable.
    residual_rows: np.ndarray
    # Outputs read only a few species: their rows and the matching columns of
    # the output matrix, shape (n_outputs, n_output_species).
    output_rows: np.ndarray | slice
    output_weights: np.ndarray
    # Firing levels on the longest path, and |output_weights|: the rounding error bound
    # of the outputs (see :func:`stable_outputs`) is levels x eps x rails.
    n_levels: int = 1
    output_magnitudes: np.ndarray | None = None

    def fire(self, states: np.ndarray, *, integer: bool = False) -> np.ndarray:
        """Fire every reaction to completion from `states` (n_batch, n_species).

        With ``integer=True`` the extents are whole firings (``floor(count / power)``),
        as for molecule counts. Returns the final states, shape (n_batch, n_species).
        """
        # Species-major layout: gathering a species is a contiguous row of the batch.
        states = np.asarray(states, dtype=np.float64)
        amounts = np.array(states.T[self.order], order="C")
        fired = self.fire_species_major(amounts, integer=integer)
        final = np.empty_like(states)
        final[..., self.order] = fired.T
        return final

    def fire_species_major(self, amounts: np.ndarray, *, integer: bool = False) -> np.ndarray:
        """As :meth:`fire`, in place on C-ordered `amounts` of shape (n_species, n_batch),
        with the species in the plan's `layout` order (see :meth:`CRN._load_species_major`
        of ``plan.layout``)."""
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
                (rows,) = group.slots
                if isinstance(rows, slice):  # a view: products first, then empty it
                    # (a level's products are no reactants of that level: feed-forward)
                    _add_products(amounts, group, amounts[rows])
                    amounts[rows] = 0.0
                    continue
                extents = amounts[rows]
                amounts[rows] = 0.0
            elif group.kind == "pair":
                # A + B -> ...: the extent is the smaller amount; both drop by it.
                first_rows, second_rows = group.slots
                first, second = amounts[first_rows], amounts[second_rows]
                extents = np.minimum(first, second)
                if isinstance(first_rows, slice) and isinstance(second_rows, slice):
                    first -= extents  # views: in place
                    second -= extents
                else:
                    amounts[first_rows] = first - extents
                    amounts[second_rows] = second - extents
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
            _add_products(amounts, group, extents)
        return amounts


_LAYOUT_MIN_GROUP_SIZE = 4
"""Reactions per group, on average, below which the plan keeps the CRN's species order."""


def plan_exact(crn: CRN) -> ExactPlan:
    """Check `crn` and build its firing schedule.

    Reactions are placed on the latest topological level that still precedes
    their consumers, then each level is split into groups that fire the same
    way (unimolecular, dual-rail mirrored pairs, bimolecular, general). The
    plan works on ``plan.layout``, the CRN with its species in firing order;
    :meth:`ExactPlan.fire` takes and returns states in the CRN's own order.

    Raises
    ------
    CRNStructureError
        If `crn` is not feed-forward and non-competitive (the reason is given).
    """
    require_nc_feed_forward(crn, "exact evaluation")
    levels_of = reaction_levels(crn, latest=True)
    # Lay the species out in firing order (each group's reactants consecutive, slot by
    # slot) and renumber the groups into that layout: their gathers become views.
    groups = _plan_groups(crn, levels_of)
    # Renumbering costs a few numpy calls per group, and pays only where groups are wide
    # (their gathers become views): a chain of one-reaction levels gains nothing from it.
    if len(groups) * _LAYOUT_MIN_GROUP_SIZE > crn.n_reactions:
        order = np.arange(crn.n_species)
    else:
        order = _layout_order(crn.n_species, groups)
    if np.array_equal(order, np.arange(crn.n_species)):
        layout = crn
    else:
        layout = _reordered(crn, order)
        new_index = np.empty_like(order)
        new_index[order] = np.arange(len(order))
        groups = tuple(_renumbered(group, new_index) for group in groups)
    groups = tuple(_with_scatter(group) for group in groups)
    emptied = np.zeros(layout.n_species, dtype=bool)
    for group in groups:
        if group.kind in ("single", "mirror"):
            emptied[group.reactant_columns[:, 0]] = True
    output_columns = np.flatnonzero(np.any(layout.output_matrix != 0, axis=0))
    output_weights = np.ascontiguousarray(layout.output_matrix[:, output_columns])
    return ExactPlan(
        crn,
        groups,
        layout,
        order,
        np.flatnonzero(~emptied),
        _as_index(output_columns),
        output_weights,
        int(levels_of.max()) + 1 if len(levels_of) else 1,
        np.abs(output_weights),
    )


def _layout_order(n_species: int, groups: tuple[_Group, ...]) -> np.ndarray:
    """Species in firing order: each unimolecular, bimolecular or mirror group's reactants
    consecutive (slot by slot; a mirror group's positive rails, then the negative ones),
    then every other species in its old order. Each species has one consumer (NC)."""
    placed = np.zeros(n_species, dtype=bool)
    parts = []
    for group in groups:
        if group.kind == "general":
            continue
        for slot in range(group.reactant_columns.shape[1]):
            columns = group.reactant_columns[:, slot]
            parts.append(columns)
            placed[columns] = True
    parts.append(np.flatnonzero(~placed))
    return np.concatenate(parts).astype(np.int64)


def _renumbered(group: _Group, new_index: np.ndarray) -> _Group:
    """`group` with species k renamed `new_index[k]` (the products' blocks are unchanged)."""

    def renamed(rows: np.ndarray | slice) -> np.ndarray:
        if isinstance(rows, slice):
            rows = np.arange(rows.start, rows.stop, rows.step)
        return new_index[rows]

    reactants = np.where(group.reactant_columns >= 0, new_index[group.reactant_columns], -1)
    mirror_reactants = None
    if group.mirror_reactants is not None:
        positive, negative = group.mirror_reactants
        mirror_reactants = (_as_index(renamed(positive)), _as_index(renamed(negative)))
    # Touched species in increasing (layout) order, their product rows along: the
    # scatter-adds then walk memory forwards.
    products, products_t = new_index[group.product_columns], group.products_t
    mirror_rows, mirror_matrices = group.mirror_rows, group.mirror_matrices
    if mirror_rows is not None and mirror_matrices is not None:
        rows, partners = renamed(mirror_rows[0]), renamed(mirror_rows[1])
        ahead = np.argsort(rows, kind="stable")
        mirror_rows = (_as_index(rows[ahead]), _as_index(partners[ahead]))
        mirror_matrices = (mirror_matrices[0][ahead], mirror_matrices[1][ahead])
        products = products[ahead]
    elif products_t is not None:
        ahead = np.argsort(products, kind="stable")
        products, products_t = products[ahead], products_t[ahead]
    return _Group(
        group.kind,
        reactants,
        group.reactant_powers,
        products,
        products_t,
        mirror_rows,
        mirror_matrices,
        mirror_reactants,
        _slots(group.kind, reactants),
    )


def _reordered(crn: CRN, order: np.ndarray) -> CRN:
    """`crn` with species `order[k]` as species k (same reactions, signals and initial amounts).

    Built from the terms' arrays, renumbered, so that neither scipy nor the reactions'
    Python objects are needed (``nn2crn eval`` of a file read lazily builds neither).
    """
    new_index = np.empty_like(order)
    new_index[order] = np.arange(len(order))
    species = tuple(crn.species[k] for k in order.tolist())

    def renumbered(terms: TermsCSR) -> TermsCSR:
        return TermsCSR.canonical(terms.indptr, new_index[terms.indices], terms.data, terms.shape)

    reactant_terms, product_terms = renumbered(crn.reactant_terms), renumbered(crn.product_terms)
    reactions = ReactionArrays(
        species,
        reactant_terms.indptr,
        reactant_terms.indices,
        reactant_terms.data.astype(np.int64),
        product_terms.indptr,
        product_terms.indices,
        product_terms.data.astype(np.int64),
        crn.rates,
    )
    return CRN._with_terms(
        reactions,
        crn.initial,
        crn.inputs,
        crn.outputs,
        species,
        crn.raw_inputs,
        reactant_terms,
        product_terms,
    )


def _plan_groups(crn: CRN, levels_of: np.ndarray) -> tuple[_Group, ...]:
    """The firing groups of `crn`, level by level (see :func:`plan_exact`)."""
    products_all = crn.product_terms  # canonical: unique, sorted terms in each row
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
    indptr, indices, data = products_all.indptr, products_all.indices, products_all.data
    # One sort groups the reactions by (level, kind), each group's rows increasing, so
    # planning is linear in the reactions however many levels there are.
    kind_of = np.where(single, 0, np.where(pair, 1, 2))
    order = np.lexsort((kind_of, levels_of))
    key = levels_of[order] * 3 + kind_of[order]
    boundaries = np.flatnonzero(np.diff(key)) + 1
    groups: list[_Group] = []
    group_starts = np.concatenate(([0], boundaries)).tolist() if len(order) else []
    order_list, kind_list = order.tolist(), kind_of[order].tolist()
    indptr_list = indptr.tolist()
    widths = (1, 2, all_columns.shape[1])
    group_stops = [*group_starts[1:], len(order)] if group_starts else []
    for start, stop in zip(group_starts, group_stops, strict=True):
        kind_code = kind_list[start]
        kind, width = ("single", "pair", "general")[kind_code], widths[kind_code]
        if stop - start == 1:  # deep chains: slices and views, no fancy indexing
            row = order_list[start]
            first, last = indptr_list[row], indptr_list[row + 1]
            touched, products_t = _product_block(None, indices[first:last], data[first:last], 1)
            groups.append(
                _Group(
                    kind,
                    all_columns[row : row + 1, :width],
                    all_powers[row : row + 1, :width],
                    touched,
                    products_t,
                    slots=_slots(kind, all_columns[row : row + 1, :width]),
                )
            )
            continue
        rows = order[start:stop]
        starts, counts = indptr[rows], indptr[rows + 1] - indptr[rows]
        local_rows = np.repeat(np.arange(len(rows)), counts)
        terms = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        columns, values = indices[terms], data[terms]
        if kind == "single":
            mirrored = _mirror_group(local_rows, columns, values, all_columns[rows, 0], partner)
            if mirrored is not None:
                groups.append(mirrored)
                continue
        touched, products_t = _product_block(local_rows, columns, values, len(rows))
        reactants = all_columns[rows, :width]
        groups.append(
            _Group(
                kind,
                reactants,
                all_powers[rows, :width],
                touched,
                products_t,
                slots=_slots(kind, reactants),
            )
        )
    return tuple(groups)


def _slots(kind: str, reactants: np.ndarray) -> tuple[np.ndarray | slice, ...]:
    if kind == "general":
        return ()
    return tuple(_as_index(reactants[:, slot]) for slot in range(reactants.shape[1]))


# Batches are processed in chunks: the working set stays in cache and freed
# buffers are reused instead of page-faulting fresh memory for every level.
_CHUNK = 512
# ... and a chunk's buffer (species x rows) holds at most this many amounts (16 MB of
# float64), so that wide CRNs (a CNN's 30,000 species) still work in cache: for them
# a chunk of 512 rows streams every level through main memory and is about 2x slower.
_CHUNK_ENTRIES = 1 << 21
_MIN_CHUNK = 32
_MAX_WORKERS = 8


def _chunk_rows(n_species: int) -> int:
    """Batch rows per chunk for a CRN of `n_species` species."""
    return max(_MIN_CHUNK, min(_CHUNK, _CHUNK_ENTRIES // max(1, n_species)))


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
        Plain float64 amounts, not checked: outputs read from them
        (``crn.read_outputs``) lose digits when both rails are large;
        :func:`stable_outputs` bounds and guards its outputs.

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
    chunk = _chunk_rows(crn.n_species)
    with _single_threaded_blas():
        for start in range(0, initial.shape[0], chunk):
            final[start : start + chunk] = plan.fire(initial[start : start + chunk])
    return final


# Default tolerance of :func:`stable_outputs`: the rounding error bound of each row's
# outputs, relative to the row's largest |output| (or |input|, when that is larger).
DEFAULT_RTOL = 1e-9
# Rounding steps counted per firing level in the error bound (forming the rails and
# subtracting them); see :func:`stable_outputs`.
_ROUNDINGS_PER_LEVEL = 2
# Rows re-evaluated in extended precision per chunk (numpy's longdouble has no BLAS).
_EXTENDED_CHUNK = 64


def _run_on_workers(work: Callable[[int, int], None], n_tasks: int) -> None:
    """Call ``work(worker, n_workers)`` for up to one worker per core (at most `n_tasks`), on
    threads with single-threaded BLAS; each takes its share ``tasks[worker::n_workers]``."""
    n_workers = max(1, min(n_tasks, os.cpu_count() or 1, _MAX_WORKERS))
    with _single_threaded_blas():
        if n_workers == 1:
            work(0, 1)
            return
        # Plain threads, share 0 on this one: concurrent.futures would import logging
        # (5 ms of a small eval's start).
        import threading

        errors: list[BaseException | None] = [None] * n_workers

        def run(worker: int) -> None:
            try:
                work(worker, n_workers)
            except BaseException as error:  # re-raised below, on the caller's thread
                errors[worker] = error

        threads = [threading.Thread(target=run, args=(worker,)) for worker in range(1, n_workers)]
        for thread in threads:
            thread.start()
        try:
            run(0)
        finally:
            for thread in threads:
                thread.join()
        for error in errors:
            if error is not None:
                raise error


def stable_outputs(
    crn: CRN,
    input_values: object = None,
    *,
    plan: ExactPlan | None = None,
    rtol: float | None = DEFAULT_RTOL,
) -> np.ndarray:
    """Stable values of the declared outputs, shape (n_batch, n_outputs).

    Cheaper than :func:`evaluate_exact` for large batches: only the outputs of
    each chunk are kept.

    Accuracy. An output ``y = (y+ - y-) / scale`` of a dual-rail CRN is the difference
    of two rails that grow with depth while ``y`` does not, so float64 loses digits to
    cancellation (the rails themselves stay accurate to a few ulps). Alongside the
    evaluation each row gets an a-posteriori bound ``2 L eps R`` on its outputs' error,
    with ``R = max_j sum_s |w_js| a_s`` the output rails' size (``a`` the final amounts
    the output reads, ``w`` the output matrix), ``L`` the firing levels and ``eps`` the
    machine epsilon: every level rounds each rail it forms to ``eps`` relative (twice,
    forming and subtracting), and an error made on a level reaches the outputs scaled as
    the rails are, so at most by ``R``. (The worst case of an ``n``-term sum, ``n eps``,
    is replaced by its typical size; measured errors are 0.3-2.3 ``eps R`` on random
    ternary networks of width 16-256 and depth 2-8, compiled and reduced.) Rows whose
    bound exceeds ``rtol x max_j |y_j|`` are evaluated again in ``numpy.longdouble``
    (80-bit on x86-64, about 2,000x finer, 10-100x slower) and re-checked with its
    epsilon; if a row still fails, :class:`PrecisionLossError` is raised.

    Parameters
    ----------
    rtol : float or None
        Largest accepted error bound relative to each row's largest |output| (or its
        largest |input|, when that is larger: an output of exactly 0 has no relative error);
        None skips the check (plain float64, as fast, possibly inaccurate).

    Raises
    ------
    PrecisionLossError
        A row's error bound exceeds `rtol` even in extended precision; the message
        names the row, the bound and the fix.
    """
    plan = plan or plan_exact(crn)
    if rtol is not None and not rtol >= 0:  # also NaN
        raise SimulationError(f"exact evaluation: rtol must be >= 0 or None, got {rtol!r}")
    if input_values is None:
        values = None
        amounts = np.array(crn.initial_state(None).T[plan.order], order="C")
        amounts = plan.fire_species_major(amounts)
        rails = amounts[plan.output_rows]
        outputs = (plan.output_weights @ rails).T
        if rtol is None:
            return outputs
        return _checked_outputs(plan, values, outputs, _rail_sizes(plan, rails), rtol)
    values = crn.validate_inputs(input_values)
    outputs = np.empty((values.shape[0], crn.n_outputs))
    sizes = np.zeros(values.shape[0]) if rtol is not None else None
    chunk = _chunk_rows(crn.n_species)
    starts = list(range(0, values.shape[0], chunk))

    def work(worker: int, n_workers: int) -> None:
        # numpy releases the GIL in the products and element-wise kernels, so
        # chunks on separate threads run on separate cores.
        buffer = np.zeros((crn.n_species, min(chunk, values.shape[0])))
        for start in starts[worker::n_workers]:
            amounts = plan.layout._load_species_major(values[start : start + chunk], out=buffer, zeroed=True)
            amounts = plan.fire_species_major(amounts)
            rails = amounts[plan.output_rows]
            outputs[start : start + chunk] = (plan.output_weights @ rails).T
            if sizes is not None:
                sizes[start : start + chunk] = _rail_sizes(plan, rails)
            amounts[plan.residual_rows] = 0.0

    _run_on_workers(work, len(starts))
    if sizes is None:
        return outputs
    assert rtol is not None  # sizes exist only with a tolerance
    return _checked_outputs(plan, values, outputs, sizes, rtol)


def _rail_sizes(plan: ExactPlan, rails: np.ndarray) -> np.ndarray:
    """R of each batch column: the largest output's rail total ``sum_s |w_js| a_s``."""
    if plan.output_weights.shape[0] == 0:
        return np.zeros(rails.shape[1])
    magnitudes = np.abs(plan.output_weights) if plan.output_magnitudes is None else plan.output_magnitudes
    return np.asarray(magnitudes @ np.asarray(rails, dtype=np.float64)).max(axis=0)


def _error_bounds(plan: ExactPlan, sizes: np.ndarray, eps: float) -> np.ndarray:
    return _ROUNDINGS_PER_LEVEL * plan.n_levels * eps * sizes


def _row_scales(values: np.ndarray | None, outputs: np.ndarray) -> np.ndarray:
    """Each row's scale for the relative error: its largest |output|, or its largest |input|
    when that is larger. An output that is exactly 0 (a ReLU that cut everything off) has no
    relative error; the inputs' scale is then the natural unit of the answer."""
    scales = np.abs(outputs).max(axis=1) if outputs.shape[1] else np.zeros(len(outputs))
    if values is not None and values.ndim == 2 and values.shape[1]:
        scales = np.maximum(scales, np.abs(values).max(axis=1))
    return scales


def _checked_outputs(
    plan: ExactPlan, values: np.ndarray | None, outputs: np.ndarray, sizes: np.ndarray, rtol: float
) -> np.ndarray:
    """`outputs`, with the rows whose float64 error bound exceeds `rtol` re-evaluated in
    extended precision; raises PrecisionLossError if any still does."""
    limits = rtol * _row_scales(values, outputs)
    float_eps = float(np.finfo(np.float64).eps)
    bounds = _error_bounds(plan, sizes, float_eps)
    suspect = np.flatnonzero(bounds > limits)
    if not len(suspect):
        return outputs
    extended = np.longdouble
    extended_eps = float(np.finfo(extended).eps)
    name = np.dtype(extended).name
    if extended_eps >= float_eps:
        _refuse(plan, suspect, bounds, limits, sizes, rtol, f"float64 ({name} is no finer on this platform)")
    # The rails are accurate to a few ulps in float64, so the extended bound is known
    # before re-evaluating: rows it fails even if their true |output| were as large as
    # float64 allows are refused at once, without the slow extended pass.
    predicted = bounds[suspect] * (extended_eps / float_eps)
    hopeless = predicted > rtol * (limits[suspect] / rtol + bounds[suspect])
    if hopeless.any():
        bounds[suspect] = predicted
        _refuse(
            plan,
            suspect[hopeless],
            bounds,
            limits,
            sizes,
            rtol,
            f"float64, and in {name} (eps {extended_eps:.1e}) by the bound of the same rails",
        )
    pieces = [suspect[first : first + _EXTENDED_CHUNK] for first in range(0, len(suspect), _EXTENDED_CHUNK)]

    def work(worker: int, n_workers: int) -> None:
        # longdouble has no BLAS, but numpy's loops release the GIL: one thread per core.
        for rows in pieces[worker::n_workers]:
            if values is None:
                amounts = np.array(plan.crn.initial_state(None).T[plan.order], dtype=extended)
            else:
                # Load in extended precision too: a reduced CRN's inputs load species
                # with large coefficients, and those products would round in float64.
                amounts = np.zeros((plan.layout.n_species, len(rows)), dtype=extended)
                amounts = plan.layout._load_species_major(
                    values[rows].astype(extended), out=amounts, zeroed=True
                )
            amounts = plan.fire_species_major(amounts)
            rails = amounts[plan.output_rows]
            outputs[rows] = (plan.output_weights.astype(extended) @ rails).T.astype(np.float64)
            bounds[rows] = _error_bounds(plan, _rail_sizes(plan, rails), extended_eps)

    _run_on_workers(work, len(pieces))
    limits[suspect] = rtol * _row_scales(None if values is None else values[suspect], outputs[suspect])
    failing = suspect[bounds[suspect] > limits[suspect]]
    if len(failing):
        _refuse(plan, failing, bounds, limits, sizes, rtol, f"float64 and {name} (eps {extended_eps:.1e})")
    return outputs


def _refuse(
    plan: ExactPlan,
    failing: np.ndarray,
    bounds: np.ndarray,
    limits: np.ndarray,
    sizes: np.ndarray,
    rtol: float,
    precision: str,
) -> NoReturn:
    """Raise PrecisionLossError for the rows `failing` (the worst one named)."""
    relative = bounds[failing] / np.maximum(limits[failing] / rtol, np.finfo(np.float64).tiny)
    worst = int(failing[np.argmax(relative)])
    worst_relative = float(relative.max())
    accept = 10.0 ** np.ceil(np.log10(worst_relative))
    raise PrecisionLossError(
        f"exact evaluation: row {worst}: outputs may be off by up to {bounds[worst]:.2g}, "
        f"{worst_relative:.2g} relative to the row's largest |output| or |input| "
        f"{limits[worst] / rtol:.3g} (rails of size {sizes[worst]:.3g}, {plan.n_levels} firing level{'s' if plan.n_levels != 1 else ''}; "
        f"{len(failing)} of {len(bounds)} rows fail), above rtol={rtol:g} in {precision}; "
        f"the dual rails outgrow their difference in deep networks: use a shallower network, "
        f"or accept the error with rtol={accept:g} (CLI: --rtol {accept:g})"
    )
