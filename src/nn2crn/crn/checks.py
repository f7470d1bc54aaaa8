"""Structural checks: feed-forward, non-competitive, outputs only produced, sizes.

Non-competitive (NC) and feed-forward together make the stable state independent
of rate constants and rate laws, and equal to firing each reaction to completion
in topological order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._arrays import unique
from .._errors import CRNStructureError
from .crn import CRN


@dataclass(frozen=True)
class CheckReport:
    """What :func:`check_crn` found.

    Attributes
    ----------
    feed_forward : bool
        The species graph (reactant -> product edges) is acyclic.
    cycle : tuple of str
        Species on one cycle, if not feed-forward.
    non_competitive : bool
        No species is a reactant of two reactions.
    competing : dict of species -> tuple of reaction indices
        Species consumed by more than one reaction.
    outputs_only_produced : bool
    consumed_outputs : dict of species -> tuple of reaction indices
    n_species, n_reactions, n_unimolecular, n_bimolecular, n_other : int
        Sizes; `n_other` counts reactions of order 0 or >= 3.
    max_fan_out : int
        Largest number of distinct product species of one reaction.
    product_terms : int
        Total number of (species, count) product terms: the chemical cost of reduction.
    max_coefficient : int
        Largest product stoichiometric coefficient.
    """

    feed_forward: bool
    cycle: tuple[str, ...]
    non_competitive: bool
    competing: dict[str, tuple[int, ...]] = field(default_factory=dict)
    outputs_only_produced: bool = True
    consumed_outputs: dict[str, tuple[int, ...]] = field(default_factory=dict)
    n_species: int = 0
    n_reactions: int = 0
    n_unimolecular: int = 0
    n_bimolecular: int = 0
    n_other: int = 0
    max_fan_out: int = 0
    product_terms: int = 0
    max_coefficient: int = 0

    @property
    def ok(self) -> bool:
        """All three structural properties hold."""
        return self.feed_forward and self.non_competitive and self.outputs_only_produced

    def problems(self, crn: CRN) -> list[str]:
        """Human-readable descriptions of every failed check, naming species and reactions."""
        lines = []
        if not self.feed_forward:
            lines.append("not feed-forward: cycle " + " -> ".join((*self.cycle, self.cycle[0])))
        for name, reactions in list(self.competing.items())[:10]:
            listed = "; ".join(f"#{i + 1} {crn.reactions[i]}" for i in reactions[:4])
            lines.append(
                f"not non-competitive: {name} is a reactant of {len(reactions)} reactions ({listed})"
            )
        if len(self.competing) > 10:
            lines.append(f"... and {len(self.competing) - 10} more competing species")
        for name, reactions in self.consumed_outputs.items():
            listed = "; ".join(f"#{i + 1} {crn.reactions[i]}" for i in reactions[:4])
            lines.append(f"output species {name} is consumed by {listed}")
        return lines


def _reaction_species_edges(crn: CRN) -> tuple[np.ndarray, np.ndarray]:
    """(source, target) species column pairs for every reactant -> product edge."""
    products = crn.product_terms
    sources, targets = [], []
    for slot in range(crn.reactant_columns.shape[1]):
        reactant = crn.reactant_columns[:, slot][products.rows]
        valid = reactant >= 0
        sources.append(reactant[valid])
        targets.append(products.indices[valid])
    if not sources:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(sources), np.concatenate(targets)


def _find_cycle(crn: CRN, sources: np.ndarray, targets: np.ndarray) -> tuple[str, ...]:
    """One cycle of the species graph, or () if acyclic."""
    self_loops = sources == targets
    if self_loops.any():
        return (crn.species[int(sources[self_loops][0])],)
    if longest_path_levels(crn.n_species, sources, targets) is not None:
        return ()  # acyclic: a linear pass, and no csgraph import (about 0.15 s) for a valid CRN
    # Imported here, not at module level: csgraph (with scipy.sparse.linalg and scipy.linalg)
    # costs about 0.2 s to import, which commands that never check a CRN should not pay.
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    graph = sp.csr_array((np.ones(len(sources)), (sources, targets)), shape=(crn.n_species, crn.n_species))
    n_components, labels = connected_components(graph, directed=True, connection="strong")
    if n_components == crn.n_species:
        return ()
    sizes = np.bincount(labels)
    component = int(np.argmax(sizes > 1))
    members = set(np.flatnonzero(labels == component).tolist())
    # Walk inside the strongly connected component until a node repeats.
    start = min(members)
    path, seen = [start], {start: 0}
    node = start
    while True:
        neighbours = graph.indices[graph.indptr[node] : graph.indptr[node + 1]]
        node = int(next(n for n in neighbours if int(n) in members))
        if node in seen:
            return tuple(crn.species[i] for i in path[seen[node] :])
        seen[node] = len(path)
        path.append(node)


def check_crn(crn: CRN) -> CheckReport:
    """Check the structural properties rate independence relies on.

    Parameters
    ----------
    crn : CRN

    Returns
    -------
    CheckReport
    """
    sources, targets = _reaction_species_edges(crn)
    cycle = _find_cycle(crn, sources, targets)
    reactants = crn.reactant_terms
    # Column-major view of the reactant terms (the CSC arrays), by a stable sort: each
    # species' consuming reactions in increasing order.
    n_consumers = np.bincount(reactants.indices, minlength=crn.n_species)
    consumer_indptr = np.zeros(crn.n_species + 1, dtype=np.int64)
    np.cumsum(n_consumers, out=consumer_indptr[1:])
    consumer_rows = reactants.rows[np.argsort(reactants.indices, kind="stable")]
    output_species = {name for signal in crn.outputs for name, _ in (*signal.positive, *signal.negative)}
    index = crn.species_index
    output_columns = np.array(sorted(index[name] for name in output_species), dtype=np.int64)
    # Dictionaries only for the species a message names: linear in the CRN's size.
    named = unique(
        np.concatenate((np.flatnonzero(n_consumers > 1), output_columns[n_consumers[output_columns] > 0]))
    )
    consumers = {
        crn.species[column]: tuple(
            consumer_rows[consumer_indptr[column] : consumer_indptr[column + 1]].tolist()
        )
        for column in named.tolist()
    }
    competing = {name: reactions for name, reactions in consumers.items() if len(reactions) > 1}
    consumed_outputs = {
        crn.species[column]: consumers[crn.species[column]]
        for column in output_columns.tolist()
        if n_consumers[column] > 0
    }
    # A reaction's order is its total reactant count: the row sums of the reactant matrix.
    orders = reactants.row_sums().astype(np.int64)
    product_counts = crn.product_terms
    distinct_products = np.diff(product_counts.indptr)
    return CheckReport(
        feed_forward=not cycle,
        cycle=cycle,
        non_competitive=not competing,
        competing=competing,
        outputs_only_produced=not consumed_outputs,
        consumed_outputs=consumed_outputs,
        n_species=crn.n_species,
        n_reactions=crn.n_reactions,
        n_unimolecular=int((orders == 1).sum()),
        n_bimolecular=int((orders == 2).sum()),
        n_other=int(((orders == 0) | (orders > 2)).sum()),
        max_fan_out=int(distinct_products.max(initial=0)),
        product_terms=int(product_counts.nnz),
        max_coefficient=int(product_counts.data.max(initial=0)),
    )


def require_nc_feed_forward(crn: CRN, purpose: str) -> CheckReport:
    """Raise :class:`CRNStructureError` unless `crn` is feed-forward and non-competitive."""
    report = check_crn(crn)
    if not (report.feed_forward and report.non_competitive):
        problems = [p for p in report.problems(crn) if not p.startswith("output species")]
        raise CRNStructureError(
            f"{purpose} needs a feed-forward, non-competitive CRN, but this one is not: "
            + "; ".join(problems[:3])
            + ". Use the ODE or SSA simulator for general CRNs."
        )
    return report


def reaction_levels(crn: CRN, *, latest: bool = False) -> np.ndarray:
    """Topological level of each reaction of a feed-forward NC CRN, shape (n_reactions,).

    By default a reaction's level is one more than the highest level of any
    reaction that produces one of its reactants (0 if none): as early as
    possible. With ``latest=True`` each reaction is placed as late as possible,
    just before the earliest reaction consuming its products; this puts both
    rails of a dual-rail fan-out on one level. Either way, reactions on one
    level consume disjoint species and feed none of each other, so they can
    fire together.
    """
    consumer = np.full(crn.n_species, -1, dtype=np.int64)
    reactant = crn.reactant_terms
    consumer[reactant.indices] = reactant.rows
    product = crn.product_terms
    has_consumer = consumer[product.indices] >= 0
    edge_from = product.rows[has_consumer]
    edge_to = consumer[product.indices[has_consumer]]
    if latest:
        edge_from, edge_to = edge_to, edge_from
    levels = longest_path_levels(crn.n_reactions, edge_from, edge_to)
    if levels is None:
        raise CRNStructureError("reaction graph has a cycle; the CRN is not feed-forward")
    return levels.max(initial=0) - levels if latest else levels


# Frontiers up to this size are walked node by node in Python: a deep chain then costs
# about a microsecond per node instead of a dozen numpy calls per level.
_SMALL_FRONTIER = 16


def longest_path_levels(n_nodes: int, edge_from: np.ndarray, edge_to: np.ndarray) -> np.ndarray | None:
    """Level of every node of a directed graph: 0 for sources, else 1 + the largest level
    of a predecessor; shape (n_nodes,). None if the graph has a cycle.

    Kahn's algorithm, one frontier (level) at a time, so the cost is linear in nodes
    plus edges whatever the depth (repeated relaxation costs depth x edges).
    """
    edge_from = np.asarray(edge_from, dtype=np.int64)
    edge_to = np.asarray(edge_to, dtype=np.int64)
    order = np.argsort(edge_from, kind="stable")
    targets = edge_to[order]
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(edge_from, minlength=n_nodes), out=indptr[1:])
    indegree = np.bincount(edge_to, minlength=n_nodes)
    levels = np.zeros(n_nodes, dtype=np.int64)
    frontier = np.flatnonzero(indegree == 0)
    reached, level = 0, 0
    while len(frontier):
        reached += len(frontier)
        levels[frontier] = level
        level += 1
        if len(frontier) <= _SMALL_FRONTIER:
            following = []
            for node in frontier.tolist():
                for target in targets[indptr[node] : indptr[node + 1]].tolist():
                    indegree[target] -= 1
                    if indegree[target] == 0:
                        following.append(target)
            frontier = np.array(following, dtype=np.int64)
            continue
        starts, stops = indptr[frontier], indptr[frontier + 1]
        counts = stops - starts
        # Out-edges of the whole frontier: concatenated ranges of `targets`.
        offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
        hit = targets[offsets + np.arange(int(counts.sum()))]
        np.subtract.at(indegree, hit, 1)
        hit = unique(hit)
        frontier = hit[indegree[hit] == 0]
    return levels if reached == n_nodes else None
