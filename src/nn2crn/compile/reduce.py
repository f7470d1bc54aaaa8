"""Algorithm 2 of Vasić et al.: eliminate unimolecular reactions by substitution.

For each unimolecular reaction ``A -> P``: remove it, move A's initial amount
onto the species of P (times their multiplicity), and replace A by P wherever A
is produced. This is valid for feed-forward non-competitive CRNs, where A is
consumed by that reaction only.

Substitution composes: a species' *expansion* is the multiset of surviving
species it eventually turns into, with coefficients that count paths. We
compute all expansions at once with sparse matrix products, level by level
from the sinks, so deep networks stay fast and products stay aggregated as
(species, count).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._errors import CoefficientOverflowError, CRNStructureError
from ..crn import CRN, Signal
from ..crn.checks import check_crn, longest_path_levels
from ..crn.crn import ReactionArrays, TermsCSR

# Coefficients are sums of products of positive integers, so float64 holds them exactly
# while they stay at or below 2**53; beyond, reduction would round them silently.
EXACT_COEFFICIENT_LIMIT = 2**53


def _largest_inexact(matrix: sp.csr_array | np.ndarray) -> tuple[int, int, float] | None:
    """(row, column, value) of the largest coefficient if it passes 2**53, else None."""
    if isinstance(matrix, sp.csr_array):
        values = matrix.data
        if len(values) == 0 or values.max() <= EXACT_COEFFICIENT_LIMIT:
            return None
        where = int(np.argmax(values))
        row = int(np.searchsorted(matrix.indptr, where, side="right")) - 1
        return row, int(matrix.indices[where]), float(values[where])
    dense = np.atleast_2d(np.asarray(matrix))
    if dense.size == 0 or dense.max() <= EXACT_COEFFICIENT_LIMIT:
        return None
    position = np.unravel_index(int(np.argmax(dense)), dense.shape)
    return int(position[0]), int(position[1]), float(dense[position])


def _overflow(what: str, value: float, species: str, keep_inputs: bool) -> CoefficientOverflowError:
    fixes = (
        "reduce a network with fewer or narrower layers or smaller weights, or use the compiled CRN unreduced"
    )
    if not keep_inputs:
        fixes = "reduce with keep_inputs=True (the input layer's reactions stay), or " + fixes
    return CoefficientOverflowError(
        f"reduce: {what} would need a stoichiometric coefficient of {value:.4g} for species {species}, "
        f"above 2**53 = {EXACT_COEFFICIENT_LIMIT:.4g}, beyond which the coefficients are no longer "
        f"exact; {fixes}"
    )


def _expansions(
    eliminated: np.ndarray,
    transfer: sp.csr_array,
    n_species: int,
    species: tuple[str, ...] = (),
    keep_inputs: bool = True,
) -> sp.csr_array:
    """Expansion of each eliminated species onto surviving species.

    Parameters
    ----------
    eliminated : bool array of shape (n_species,)
    transfer : sparse (n_species, n_species)
        Row A holds the products of A's unimolecular reaction (rows of surviving
        species are empty).

    Returns
    -------
    sparse (n_species, n_species)
        Row A is A's expansion for eliminated A, and the unit vector for the others.
    """
    survivors = sp.diags_array((~eliminated).astype(np.float64)).tocsr()
    into_eliminated = transfer @ sp.diags_array(eliminated.astype(np.float64))
    # depth(A) = 1 + max depth of eliminated products; 0 if none.
    coo = into_eliminated.tocoo()
    # Linear in the edges however deep (a species' depth is its longest path to the sinks).
    levels = longest_path_levels(n_species, coo.col.astype(np.int64), coo.row.astype(np.int64))
    if levels is None:  # pragma: no cover - check_crn already refused cycles
        raise CRNStructureError("cycle among unimolecular reactions")
    depth = levels
    direct = (transfer @ survivors).tocsr()
    expansion = survivors
    # One stable sort groups the eliminated species by depth (rows increasing in each).
    candidates = np.flatnonzero(eliminated)
    candidates = candidates[np.argsort(depth[candidates], kind="stable")]
    boundaries = np.flatnonzero(np.diff(depth[candidates])) + 1
    for rows in np.split(candidates, boundaries) if len(candidates) else []:
        level = int(depth[rows[0]])
        block = (into_eliminated[rows] @ expansion + direct[rows]).tocsr()
        found = _largest_inexact(block) if species else None
        if found is not None:
            row, column, value = found
            what = f"substituting {species[rows[row]]} (eliminated, at substitution depth {level + 1})"
            raise _overflow(what, value, species[column], keep_inputs)
        scatter = sp.csr_array(
            (np.ones(len(rows)), (rows, np.arange(len(rows)))), shape=(n_species, len(rows))
        )
        expansion = (expansion + scatter @ block).tocsr()
    return expansion.tocsr()


def reduce_crn(crn: CRN, *, keep_inputs: bool = True) -> CRN:
    """Eliminate unimolecular reactions by substitution (Algorithm 2).

    Parameters
    ----------
    crn : CRN
        Feed-forward and non-competitive (e.g. from :func:`compile_network`).
    keep_inputs : bool, default True
        Keep the reactions that consume declared input species, so that the
        reduced CRN stays a function of its inputs through ``input`` lines that
        name single species. With False they are eliminated too and each
        ``input`` line lists the species its value loads onto.

    Returns
    -------
    CRN
        For a compiled network: one bimolecular reaction ``m + z_n -> ...`` per
        ReLU node, plus the kept input reactions. The stable outputs are unchanged.

    Raises
    ------
    CRNStructureError
        If `crn` is not feed-forward and non-competitive.
    """
    report = check_crn(crn)
    if not (report.feed_forward and report.non_competitive):
        raise CRNStructureError(
            "reduce needs a feed-forward, non-competitive CRN: " + "; ".join(report.problems(crn)[:3])
        )
    index = crn.species_index
    input_species = {name for signal in crn.inputs for name, _ in (*signal.positive, *signal.negative)}
    output_species = {name for signal in crn.outputs for name, _ in (*signal.positive, *signal.negative)}
    eliminated = np.zeros(crn.n_species, dtype=bool)
    removed_reaction = np.zeros(crn.n_reactions, dtype=bool)
    transfer_rows: list[int] = []
    for number, reaction in enumerate(crn.reactions):
        if len(reaction.reactants) != 1 or reaction.reactants[0][1] != 1:
            continue
        name = reaction.reactants[0][0]
        if name in output_species or (keep_inputs and name in input_species):
            continue
        eliminated[index[name]] = True
        removed_reaction[number] = True
        transfer_rows.append(number)
    # Row A of `transfer` holds the products of A's (unique, by NC) unimolecular reaction.
    transfer_source = crn.product_matrix[np.array(transfer_rows, dtype=np.int64)].tocoo()
    reactant_of = np.array([index[crn.reactions[r].reactants[0][0]] for r in transfer_rows], dtype=np.int64)
    transfer = sp.csr_array(
        (transfer_source.data, (reactant_of[transfer_source.row], transfer_source.col)),
        shape=(crn.n_species, crn.n_species),
    )
    expansion = _expansions(eliminated, transfer, crn.n_species, crn.species, keep_inputs)

    kept = np.flatnonzero(~removed_reaction)
    new_products = (crn.product_matrix[kept] @ expansion).tocsr()
    new_products.sum_duplicates()
    found = _largest_inexact(new_products)
    if found is not None:
        row, column, value = found
        what = f"reaction #{kept[row] + 1} ({crn.reactions[kept[row]]})"
        raise _overflow(what, value, crn.species[column], keep_inputs)
    new_initial = crn.initial_vector @ expansion
    found = _largest_inexact(new_initial)
    if found is not None:
        raise _overflow("the initial amounts", found[2], crn.species[found[1]], keep_inputs)
    new_products.sort_indices()
    product_counts = new_products.data.astype(np.int64)  # exact: all at most 2**53, checked above
    if (product_counts != new_products.data).any():
        raise CRNStructureError("stoichiometric coefficients overflowed during reduction")  # pragma: no cover

    species = crn.species
    names_of = np.array(species, dtype=object)

    inputs = crn.inputs
    if not keep_inputs and crn.inputs:
        # Sparse (n_inputs, n_species) loading sides: linear in the input terms.
        sides = [(loading.T @ expansion).tocsr() for loading in crn._input_loading]
        for matrix in sides:
            matrix.sum_duplicates()
            found = _largest_inexact(matrix)
            if found is not None:
                what = f"input {crn.inputs[found[0]].name}"
                raise _overflow(what, found[2], species[found[1]], keep_inputs)

        def side(matrix: sp.csr_array, row: int) -> tuple[tuple[str, int], ...]:
            start, stop = matrix.indptr[row], matrix.indptr[row + 1]
            names = names_of[matrix.indices[start:stop]].tolist()
            return tuple(zip(names, np.rint(matrix.data[start:stop]).astype(np.int64).tolist(), strict=True))

        inputs = tuple(
            Signal._trusted(s.name, side(sides[0], i), side(sides[1], i)) for i, s in enumerate(crn.inputs)
        )
    initial = {species[c]: float(new_initial[c]) for c in np.flatnonzero(new_initial)}
    used = np.zeros(crn.n_species, dtype=bool)
    used[new_products.indices] = True
    used[crn.reactant_matrix[kept].indices] = True
    used[new_initial != 0] = True
    signal_species = {
        name for signal in (*inputs, *crn.outputs) for name, _ in (*signal.positive, *signal.negative)
    }
    keep_column = used | np.array([name in signal_species for name in species])
    columns = np.flatnonzero(keep_column)
    reactant_matrix = crn.reactant_matrix[kept][:, columns].tocsr()
    new_species = tuple(species[c] for c in columns)
    new_column = np.full(crn.n_species, -1, dtype=np.int64)
    new_column[columns] = np.arange(len(columns))
    # Every product's column is kept, so selecting the columns only renumbers them (in order).
    product_indptr = new_products.indptr.astype(np.int64)
    product_columns = new_column[new_products.indices]
    product_matrix = sp.csr_array(
        (new_products.data, product_columns, product_indptr), shape=(len(kept), len(columns))
    )
    product_matrix.has_canonical_format = True  # sorted and summed above
    # The reactions stay arrays (no Python tuple per product term) until someone asks for
    # them; the products in column order, the reactants in the original reactions' order.
    reactant_sides = [crn.reactions[number].reactants for number in kept.tolist()]
    reactant_indptr = np.zeros(len(kept) + 1, dtype=np.int64)
    np.cumsum([len(side) for side in reactant_sides], out=reactant_indptr[1:])
    reactant_names = [name for side in reactant_sides for name, _ in side]
    reactions = ReactionArrays(
        new_species,
        reactant_indptr,
        new_column[np.fromiter(map(index.__getitem__, reactant_names), np.int64, len(reactant_names))],
        np.fromiter((count for side in reactant_sides for _, count in side), np.int64, len(reactant_names)),
        product_indptr,
        product_columns,
        product_counts,
        crn.rates[kept],
    )
    reduced = CRN._trusted(
        reactions,
        initial,
        inputs,
        crn.outputs,
        new_species,
        reactant_matrix,
        product_matrix,
        crn.raw_inputs if len(inputs) == crn.n_inputs else None,
    )
    reduced.__dict__["product_terms"] = TermsCSR(
        product_indptr, product_columns, product_matrix.data, (len(kept), len(columns))
    )
    return reduced
