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

from .._errors import CRNStructureError
from ..crn import CRN, Reaction, Signal
from ..crn.checks import check_crn


def _expansions(eliminated: np.ndarray, transfer: sp.csr_array, n_species: int) -> sp.csr_array:
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
    depth = np.zeros(n_species, dtype=np.int64)
    for _ in range(n_species + 1):
        updated = depth.copy()
        np.maximum.at(updated, coo.row, depth[coo.col] + 1)
        if np.array_equal(updated, depth):
            break
        depth = updated
    else:  # pragma: no cover - check_crn already refused cycles
        raise CRNStructureError("cycle among unimolecular reactions")
    direct = (transfer @ survivors).tocsr()
    expansion = survivors
    for level in range(int(depth[eliminated].max(initial=-1)) + 1):
        rows = np.flatnonzero(eliminated & (depth == level))
        if len(rows) == 0:
            continue
        block = (into_eliminated[rows] @ expansion + direct[rows]).tocsr()
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
    expansion = _expansions(eliminated, transfer, crn.n_species)

    kept = np.flatnonzero(~removed_reaction)
    new_products = (crn.product_matrix[kept] @ expansion).tocsr()
    new_products.sum_duplicates()
    new_initial = crn.initial_vector @ expansion
    if new_products.nnz and np.abs(new_products.data - np.round(new_products.data)).max() > 0:
        raise CRNStructureError("stoichiometric coefficients overflowed during reduction")  # pragma: no cover

    species = crn.species
    names_of = np.array(species, dtype=object)
    new_products.sort_indices()
    counts_all = new_products.data.astype(np.int64)
    reactions = []
    for row, number in enumerate(kept.tolist()):
        start, stop = new_products.indptr[row], new_products.indptr[row + 1]
        names = names_of[new_products.indices[start:stop]].tolist()
        products = tuple(zip(names, counts_all[start:stop].tolist(), strict=True))
        original = crn.reactions[number]
        reactions.append(Reaction._trusted(original.reactants, products, original.rate))

    inputs = crn.inputs
    if not keep_inputs and crn.inputs:
        positive = crn._signal_matrix(crn.inputs, "positive") @ expansion
        negative = crn._signal_matrix(crn.inputs, "negative") @ expansion

        def side(vector: np.ndarray) -> tuple[tuple[str, int], ...]:
            return tuple((species[c], int(round(vector[c]))) for c in np.flatnonzero(vector))

        inputs = tuple(Signal(s.name, side(positive[i]), side(negative[i])) for i, s in enumerate(crn.inputs))
    initial = {species[c]: float(new_initial[c]) for c in np.flatnonzero(new_initial)}
    used = np.zeros(crn.n_species, dtype=bool)
    used[np.unique(new_products.indices)] = True
    used[np.unique(crn.reactant_matrix[kept].indices)] = True
    used[new_initial != 0] = True
    signal_species = {
        name for signal in (*inputs, *crn.outputs) for name, _ in (*signal.positive, *signal.negative)
    }
    keep_column = used | np.array([name in signal_species for name in species])
    columns = np.flatnonzero(keep_column)
    reactant_matrix = crn.reactant_matrix[kept][:, columns].tocsr()
    product_matrix = new_products[:, columns].tocsr()
    product_matrix.sort_indices()  # column selection keeps the order; this only sets the flag
    return CRN._trusted(
        tuple(reactions),
        initial,
        inputs,
        crn.outputs,
        tuple(species[c] for c in columns),
        reactant_matrix,
        product_matrix,
        crn.raw_inputs if len(inputs) == crn.n_inputs else None,
    )
