"""Structure analysis behind :func:`nn2crn.simulate.ode.simulate_ode` (the "model building" step).

A CRN is split into three kinds of species:

- **constant**: in no reaction; the amount never changes.
- **source** (mass action only): never produced, and consumed only by unimolecular
  reactions ``S -> ...``. Then ``s(t) = s(0) exp(-K t)`` with ``K`` the sum of those
  reactions' rate constants, and each such reaction feeds its products a known
  exponential inflow. Compiled networks' input species are sources, so their
  fan-out reactions (most of the stoichiometry) leave the integrated system.
- **dynamic**: everything else, integrated numerically.

The dynamic species are ordered by the strongly connected components (SCCs) of the
Jacobian's dependency graph, in topological order, so the Jacobian is block lower
triangular. For a feed-forward CRN every block has size 1, except the pairs of
co-reactants such as ``M + Z- -> Y-`` (size 2); a linear solve with
``I / (h gamma) - J`` is then a forward substitution. General CRNs (reversible
pairs, cycles) simply have larger blocks.

The inflows from sources are grouped by decay rate: inflow of dynamic species ``j``
is ``sum_g exp(-K_g t) coef[g, j]`` where ``coef`` depends on the batch row's
initial amounts. With all rates equal there is a single group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..crn import CRN

RATE_LAWS = ("mass-action", "saturating")
SATURATION_CONSTANT = 1.0
"""K in the saturating rate law ``k * prod_i (x_i / (K + x_i)) ** n_i``."""


class RateTerms(NamedTuple):
    """Reactions among the dynamic species (CSR over reactions), for the right-hand side."""

    rate: np.ndarray  # (n_reactions,)
    react_ptr: np.ndarray  # (n_reactions + 1,)
    react_idx: np.ndarray  # reactant positions
    react_pow: np.ndarray  # their stoichiometric counts
    stoich_ptr: np.ndarray  # (n_reactions + 1,)
    stoich_idx: np.ndarray  # changed positions
    stoich_val: np.ndarray  # net changes (float64)
    rate_law: int  # index into RATE_LAWS
    saturation: float  # K of the saturating rate law


class Forcing(NamedTuple):
    """Exponential inflow from the closed-form sources: entry e feeds ``target[e]`` at rate group ``group[e]``."""

    group_rate: np.ndarray  # (n_groups,)
    group: np.ndarray  # (n_force,)
    target: np.ndarray  # (n_force,)


class JacobianTerms(NamedTuple):
    """State-dependent Jacobian entries: which reactant slots feed which variable entry."""

    n_variable: int
    var_slot: np.ndarray
    var_slot_reaction: np.ndarray
    var_ptr: np.ndarray
    var_pos: np.ndarray
    var_val: np.ndarray


class BlockSolve(NamedTuple):
    """Block lower-triangular ``I / (h gamma) - J``: diagonal blocks and the entries left of them."""

    block_start: np.ndarray
    lowerc_ptr: np.ndarray
    lowerc_col: np.ndarray
    lowerc_val: np.ndarray
    lowerv_ptr: np.ndarray
    lowerv_col: np.ndarray
    lowerv_idx: np.ndarray
    lowerv_const: np.ndarray
    inblock_ptr: np.ndarray
    inblock_row: np.ndarray
    inblock_col: np.ndarray
    inblock_var: np.ndarray
    inblock_const: np.ndarray
    lu_offset: np.ndarray


class KernelPlan(NamedTuple):
    """Everything the numba kernel needs about the CRN, as one argument."""

    terms: RateTerms
    forcing: Forcing
    jacobian: JacobianTerms
    blocks: BlockSolve


@dataclass(frozen=True, eq=False)
class OdePlan:
    """Index arrays describing the integrated system of one CRN (see the module docstring).

    All ``*_idx`` / ``*_col`` arrays refer to positions in the solver order of the
    dynamic species (``dynamic`` maps positions to CRN species columns).
    """

    n_species: int
    rate_law: int  # 0 mass action, 1 saturating
    dynamic: np.ndarray  # (n_dyn,) species columns in solver order
    sources: np.ndarray  # (n_src,) species columns with closed-form decay
    source_decay: np.ndarray  # (n_src,) total first-order rate constant K of each source
    constant: np.ndarray  # species columns in no reaction
    # reactions among dynamic species (CSR over reactions)
    rate: np.ndarray
    react_ptr: np.ndarray
    react_idx: np.ndarray
    react_pow: np.ndarray
    stoich_ptr: np.ndarray
    stoich_idx: np.ndarray
    stoich_val: np.ndarray
    # forcing from sources: entry e feeds dynamic position force_target[e] with group force_group[e]
    group_rate: np.ndarray  # (n_groups,)
    force_group: np.ndarray  # (n_force,)
    force_target: np.ndarray  # (n_force,)
    force_matrix: sp.csr_array  # (n_species, n_force): coef = initial_state @ force_matrix
    # Jacobian pattern (CSR over dynamic rows, solver order; used by the numpy kernel)
    jac_ptr: np.ndarray
    jac_col: np.ndarray
    recipe_pos: np.ndarray  # Jacobian data position for each (reaction, reactant slot, stoich entry)
    # block lower-triangular structure
    block_start: np.ndarray  # (n_blocks + 1,)
    inblock_ptr: np.ndarray  # (n_blocks + 1,) per block: entries inside the diagonal block
    inblock_row: np.ndarray  # local row within the block
    inblock_col: np.ndarray  # local column within the block
    lu_offset: np.ndarray  # (n_blocks + 1,) offsets of the blocks' dense storage (size**2 each)
    # The same Jacobian split into state-independent entries (first-order mass-action reactions)
    # and variable entries recomputed each step, for the compiled kernel.
    n_jac_var: int
    var_slot: np.ndarray  # reactant slots (index into react_idx) with a state-dependent derivative
    var_slot_reaction: np.ndarray  # their reaction
    var_ptr: np.ndarray  # (n_var_slots + 1,) CSR over those slots:
    var_pos: np.ndarray  # variable-entry index receiving the contribution
    var_val: np.ndarray  # stoichiometric coefficient
    lowerc_ptr: np.ndarray  # per row: constant entries left of the block
    lowerc_col: np.ndarray
    lowerc_val: np.ndarray
    lowerv_ptr: np.ndarray  # per row: variable entries left of the block
    lowerv_col: np.ndarray
    lowerv_idx: np.ndarray
    lowerv_const: np.ndarray  # constant part of those entries
    inblock_var: np.ndarray  # per in-block entry: variable index or -1
    inblock_const: np.ndarray  # per in-block entry: constant part

    @property
    def n_dynamic(self) -> int:
        return int(self.dynamic.shape[0])

    @property
    def n_blocks(self) -> int:
        return int(self.block_start.shape[0] - 1)

    @property
    def max_block(self) -> int:
        return int(np.diff(self.block_start).max(initial=0))

    @property
    def jac_nnz(self) -> int:
        return int(self.jac_col.shape[0])

    def kernel(self) -> KernelPlan:
        """The arrays grouped as the numba kernel takes them (always the same numba types)."""
        return KernelPlan(
            RateTerms(
                self.rate,
                self.react_ptr,
                self.react_idx,
                self.react_pow,
                self.stoich_ptr,
                self.stoich_idx,
                self.stoich_val,
                int(self.rate_law),
                float(SATURATION_CONSTANT),
            ),
            Forcing(self.group_rate, self.force_group, self.force_target),
            JacobianTerms(
                int(self.n_jac_var),
                self.var_slot,
                self.var_slot_reaction,
                self.var_ptr,
                self.var_pos,
                self.var_val,
            ),
            BlockSolve(
                self.block_start,
                self.lowerc_ptr,
                self.lowerc_col,
                self.lowerc_val,
                self.lowerv_ptr,
                self.lowerv_col,
                self.lowerv_idx,
                self.lowerv_const,
                self.inblock_ptr,
                self.inblock_row,
                self.inblock_col,
                self.inblock_var,
                self.inblock_const,
                self.lu_offset,
            ),
        )


def _int(values: object) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.int64)


def _topological_components(
    n_nodes: int, sources: np.ndarray, targets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Order the nodes by strongly connected component, components in topological order.

    Edges run ``sources[e] -> targets[e]`` (the target's derivative depends on the
    source). Returns the node order (by component rank, then node index) and the
    component rank of each node in that order.
    """
    graph = sp.csr_array((np.ones(len(sources), dtype=np.int8), (sources, targets)), shape=(n_nodes, n_nodes))
    n_components, labels = connected_components(graph, directed=True, connection="strong")
    edge_from, edge_to = labels[sources], labels[targets]
    keep = edge_from != edge_to
    condensed = sp.csr_array(
        (np.ones(int(keep.sum()), dtype=np.int8), (edge_from[keep], edge_to[keep])),
        shape=(n_components, n_components),
    )
    condensed.sum_duplicates()
    indegree = np.bincount(condensed.indices, minlength=n_components)
    rank = np.empty(n_components, dtype=np.int64)
    frontier = list(np.flatnonzero(indegree == 0)[::-1])
    counter = 0
    indptr, indices = condensed.indptr, condensed.indices
    while frontier:
        node = frontier.pop()
        rank[node] = counter
        counter += 1
        for child in indices[indptr[node] : indptr[node + 1]]:
            indegree[child] -= 1
            if indegree[child] == 0:
                frontier.append(child)
    if counter != n_components:  # pragma: no cover - the condensation of SCCs is always acyclic
        raise RuntimeError("internal error: cycle in the SCC condensation")
    order = np.lexsort((np.arange(n_nodes), rank[labels]))
    return order, rank[labels][order]


def build_plan(crn: CRN, rate_law: str = "mass-action") -> OdePlan:
    """Analyse `crn` once; the plan is reused for every batch row and chunk.

    Parameters
    ----------
    crn : CRN
    rate_law : {"mass-action", "saturating"}

    Returns
    -------
    OdePlan
    """
    law = RATE_LAWS.index(rate_law)
    n_species = crn.n_species
    reactant = sp.csr_array(crn.reactant_matrix)
    product = sp.csr_array(crn.product_matrix)
    stoich = sp.csr_array(crn.stoichiometry)
    stoich.eliminate_zeros()
    rates = np.asarray(crn.rates, dtype=np.float64)
    n_reactions = crn.n_reactions

    in_reaction = np.zeros(n_species, dtype=bool)
    in_reaction[reactant.indices] = True
    in_reaction[product.indices] = True
    is_product = np.zeros(n_species, dtype=bool)
    is_product[product.indices] = True

    # Sources: never a product, consumed only by unimolecular reactions (mass action only).
    order = np.asarray(reactant.sum(axis=1)).ravel()
    n_reactant_species = np.diff(reactant.indptr)
    unimolecular = (order == 1) & (n_reactant_species == 1)
    source_reaction = np.zeros(n_reactions, dtype=bool)
    is_source = np.zeros(n_species, dtype=bool)
    first = np.full(n_reactions, -1, dtype=np.int64)  # the reactant of each unimolecular reaction
    first[unimolecular] = reactant.indices[reactant.indptr[:-1][unimolecular]]
    if law == 0:
        consumed_other = np.zeros(n_species, dtype=bool)
        consumed_other[reactant[~unimolecular].indices] = True
        candidate = in_reaction & ~is_product & ~consumed_other
        source_reaction = unimolecular & candidate[np.maximum(first, 0)]
        is_source[first[source_reaction]] = True

    sources = np.flatnonzero(is_source)
    decay = np.zeros(n_species)
    np.add.at(decay, first[source_reaction], rates[source_reaction])
    source_decay = decay[sources]
    constant = np.flatnonzero(~in_reaction)
    dynamic_mask = in_reaction & ~is_source
    dynamic_species = np.flatnonzero(dynamic_mask)
    n_dyn = len(dynamic_species)

    # Dynamic reactions and their Jacobian pattern, in species numbering first.
    dyn_reactions = np.flatnonzero(~source_reaction)
    dep_from, dep_to = [], []
    for r in dyn_reactions:
        cols = reactant.indices[reactant.indptr[r] : reactant.indptr[r + 1]]
        targets = stoich.indices[stoich.indptr[r] : stoich.indptr[r + 1]]
        if len(cols) and len(targets):
            dep_from.append(np.repeat(cols, len(targets)))
            dep_to.append(np.tile(targets, len(cols)))
    species_to_local = np.full(n_species, -1, dtype=np.int64)
    species_to_local[dynamic_species] = np.arange(n_dyn)
    edge_from = species_to_local[np.concatenate(dep_from)] if dep_from else np.zeros(0, np.int64)
    edge_to = species_to_local[np.concatenate(dep_to)] if dep_to else np.zeros(0, np.int64)
    local_order, component_rank = _topological_components(n_dyn, edge_from, edge_to)
    dynamic = dynamic_species[local_order]
    position = np.full(n_species, -1, dtype=np.int64)
    position[dynamic] = np.arange(n_dyn)

    # Blocks: runs of equal component rank (contiguous by construction).
    if n_dyn:
        boundaries = np.flatnonzero(np.diff(component_rank)) + 1
        block_start = np.concatenate(([0], boundaries, [n_dyn]))
    else:
        block_start = np.zeros(1, dtype=np.int64)
    block_of = np.repeat(np.arange(len(block_start) - 1), np.diff(block_start))

    # Reaction CSR arrays in solver positions (built as lists, then frozen into arrays).
    react_ptr: list[int] | np.ndarray
    react_idx: list[int] | np.ndarray
    react_pow: list[int] | np.ndarray
    stoich_ptr: list[int] | np.ndarray
    stoich_idx: list[int] | np.ndarray
    stoich_val: list[float] | np.ndarray
    react_ptr, react_idx, react_pow = [0], [], []
    stoich_ptr, stoich_idx, stoich_val = [0], [], []
    for r in dyn_reactions:
        lo, hi = reactant.indptr[r], reactant.indptr[r + 1]
        react_idx.extend(position[reactant.indices[lo:hi]])
        react_pow.extend(reactant.data[lo:hi].astype(np.int64))
        react_ptr.append(len(react_idx))
        lo, hi = stoich.indptr[r], stoich.indptr[r + 1]
        stoich_idx.extend(position[stoich.indices[lo:hi]])
        stoich_val.extend(stoich.data[lo:hi])
        stoich_ptr.append(len(stoich_idx))
    react_ptr, react_idx, react_pow = _int(react_ptr), _int(react_idx), _int(react_pow)
    stoich_ptr, stoich_idx = _int(stoich_ptr), _int(stoich_idx)
    stoich_val = np.ascontiguousarray(stoich_val, dtype=np.float64)

    # Jacobian CSR pattern: J[j, i] for i a reactant and j a changed species of one reaction.
    rows: list[int]
    rows, cols = [], []
    for index in range(len(dyn_reactions)):
        slots = react_idx[react_ptr[index] : react_ptr[index + 1]]
        targets = stoich_idx[stoich_ptr[index] : stoich_ptr[index + 1]]
        for i in slots:
            rows.extend(targets)
            cols.extend([i] * len(targets))
    key = np.unique(_int(rows) * max(n_dyn, 1) + _int(cols))
    jac_row, jac_col = key // max(n_dyn, 1), key % max(n_dyn, 1)
    jac_ptr = _int(np.searchsorted(jac_row, np.arange(n_dyn + 1)))
    recipe_pos = _int(np.searchsorted(key, _int(rows) * max(n_dyn, 1) + _int(cols)))

    # Constant entries: contributions of first-order mass-action reactions (dv/dx = k) do not
    # depend on the state; only the others are recomputed per step and stored per row.
    n_slots_of = np.diff(react_ptr)
    slot_constant = np.zeros(len(react_idx), dtype=bool)
    if law == 0:
        single = np.flatnonzero(n_slots_of == 1)
        single = single[react_pow[react_ptr[single]] == 1]
        slot_constant[react_ptr[single]] = True
    contribution_constant: list[bool] | np.ndarray
    contribution_constant, contribution_value, contribution_slot, contribution_stoich = [], [], [], []
    for index in range(len(dyn_reactions)):
        for q in range(react_ptr[index], react_ptr[index + 1]):
            for e in range(stoich_ptr[index], stoich_ptr[index + 1]):
                contribution_constant.append(slot_constant[q])
                contribution_value.append(rates[dyn_reactions[index]] * stoich_val[e])
                contribution_slot.append(q)
                contribution_stoich.append(stoich_val[e])
    contribution_constant = np.asarray(contribution_constant, dtype=bool)
    variable_entry = np.zeros(len(key), dtype=bool)
    variable_entry[recipe_pos[~contribution_constant]] = True
    jac_const = np.zeros(len(key))
    np.add.at(
        jac_const, recipe_pos[contribution_constant], np.asarray(contribution_value)[contribution_constant]
    )
    var_index = np.full(len(key), -1, dtype=np.int64)
    var_index[variable_entry] = np.arange(int(variable_entry.sum()))
    variable_contributions = np.flatnonzero(~contribution_constant)
    var_slot_of = _int(contribution_slot)[variable_contributions]
    var_slot, var_start = np.unique(var_slot_of, return_index=True)  # contributions are slot-major
    var_ptr = _int(np.concatenate((var_start, [len(variable_contributions)])))
    slot_reaction = np.repeat(np.arange(len(dyn_reactions)), n_slots_of)

    # Split Jacobian entries into left-of-block (forward substitution) and in-block.
    entry_row_block = block_of[jac_row] if n_dyn else np.zeros(0, np.int64)
    entry_col_block = block_of[jac_col] if n_dyn else np.zeros(0, np.int64)
    if (entry_col_block > entry_row_block).any():  # pragma: no cover - guaranteed by the ordering
        raise RuntimeError("internal error: Jacobian is not block lower triangular")
    lower = entry_col_block < entry_row_block
    lower_c = np.flatnonzero(lower & ~variable_entry)
    lower_v = np.flatnonzero(lower & variable_entry)
    inside = np.flatnonzero(~lower)
    inside_block = entry_row_block[inside]
    sort = np.argsort(inside_block, kind="stable")
    inside, inside_block = inside[sort], inside_block[sort]
    n_blocks = len(block_start) - 1
    inblock_ptr = _int(np.searchsorted(inside_block, np.arange(n_blocks + 1)))
    sizes = np.diff(block_start)
    lu_offset = _int(np.concatenate(([0], np.cumsum(sizes**2))))

    # Forcing: source reactions feed their products, grouped by the source's decay rate.
    group_rate, group_of_source = np.unique(source_decay, return_inverse=True)
    source_group = np.full(n_species, -1, dtype=np.int64)
    source_group[sources] = group_of_source
    f_rows, f_group, f_target, f_value = [], [], [], []
    for r in np.flatnonzero(source_reaction):
        s = first[r]
        lo, hi = product.indptr[r], product.indptr[r + 1]
        for j, count in zip(product.indices[lo:hi], product.data[lo:hi], strict=True):
            f_rows.append(s)
            f_group.append(source_group[s])
            f_target.append(position[j])
            f_value.append(count * rates[r])
    pair = _int(f_group) * max(n_dyn, 1) + _int(f_target)
    unique_pair, entry = np.unique(pair, return_inverse=True)
    force_matrix = sp.csr_array(
        (np.asarray(f_value, dtype=np.float64), (_int(f_rows), _int(entry))),
        shape=(n_species, len(unique_pair)),
    )
    force_matrix.sum_duplicates()

    return OdePlan(
        n_species=n_species,
        rate_law=law,
        dynamic=_int(dynamic),
        sources=_int(sources),
        source_decay=np.ascontiguousarray(source_decay, dtype=np.float64),
        constant=_int(constant),
        rate=np.ascontiguousarray(rates[dyn_reactions], dtype=np.float64),
        react_ptr=react_ptr,
        react_idx=react_idx,
        react_pow=react_pow,
        stoich_ptr=stoich_ptr,
        stoich_idx=stoich_idx,
        stoich_val=stoich_val,
        group_rate=np.ascontiguousarray(group_rate, dtype=np.float64),
        force_group=_int(unique_pair // max(n_dyn, 1)),
        force_target=_int(unique_pair % max(n_dyn, 1)),
        force_matrix=force_matrix,
        jac_ptr=jac_ptr,
        jac_col=_int(jac_col),
        recipe_pos=recipe_pos,
        block_start=_int(block_start),
        inblock_ptr=inblock_ptr,
        inblock_row=_int(jac_row[inside] - block_start[inside_block]),
        inblock_col=_int(jac_col[inside] - block_start[inside_block]),
        n_jac_var=int(variable_entry.sum()),
        var_slot=_int(var_slot),
        var_slot_reaction=_int(slot_reaction[var_slot]) if len(var_slot) else _int([]),
        var_ptr=var_ptr,
        var_pos=_int(var_index[recipe_pos[variable_contributions]]),
        var_val=np.ascontiguousarray(
            np.asarray(contribution_stoich, dtype=np.float64)[variable_contributions]
        ),
        lowerc_ptr=_int(np.searchsorted(jac_row[lower_c], np.arange(n_dyn + 1))),
        lowerc_col=_int(jac_col[lower_c]),
        lowerc_val=np.ascontiguousarray(jac_const[lower_c]),
        lowerv_ptr=_int(np.searchsorted(jac_row[lower_v], np.arange(n_dyn + 1))),
        lowerv_col=_int(jac_col[lower_v]),
        lowerv_idx=_int(var_index[lower_v]),
        lowerv_const=np.ascontiguousarray(jac_const[lower_v]),
        inblock_var=_int(var_index[inside]),
        inblock_const=np.ascontiguousarray(jac_const[inside]),
        lu_offset=lu_offset,
    )
