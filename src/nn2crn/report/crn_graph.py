"""A picture of a CRN: a layered graph with species as nodes and reactions as arrows.

Each species is a circle, each reaction a small square; arrows run from the
reactants into the reaction and from the reaction to its products (with the
coefficient when it is above 1). Nodes are placed in columns by their longest
path from the sources of the species–reaction graph, so a compiled network reads
left to right layer by layer; within a column, nodes are ordered by the mean
height of their predecessors to keep arrows short. Drawn with matplotlib; CRNs
above `max_species` are refused (the picture would be unreadable).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._errors import InputDataError
from ..crn import CRN
from .plots import check_plot_path

MAX_SPECIES = 120
"""Default size limit: larger CRNs are not drawn."""


def graph_layers(crn: CRN) -> tuple[np.ndarray, np.ndarray]:
    """Column of every species and reaction in the layered drawing.

    Species without producers are in column 0; a reaction sits one column right
    of its rightmost reactant and a species one column right of its rightmost
    producer. Cycles (not in compiled networks) are cut after ``n_species +
    n_reactions`` relaxation rounds.

    Returns
    -------
    species_columns : int ndarray of shape (n_species,)
        Even numbers.
    reaction_columns : int ndarray of shape (n_reactions,)
        Odd numbers.
    """
    reactants = crn.reactant_matrix.tocoo()
    products = crn.product_matrix.tocoo()
    species_column = np.zeros(crn.n_species, dtype=np.int64)
    reaction_column = np.ones(crn.n_reactions, dtype=np.int64)
    limit = 2 * (crn.n_species + crn.n_reactions) + 2
    for _ in range(crn.n_species + crn.n_reactions + 1):
        new_reaction = np.ones(crn.n_reactions, dtype=np.int64)
        np.maximum.at(new_reaction, reactants.row, species_column[reactants.col] + 1)
        new_species = np.zeros(crn.n_species, dtype=np.int64)
        np.maximum.at(new_species, products.col, new_reaction[products.row] + 1)
        new_reaction, new_species = np.minimum(new_reaction, limit - 1), np.minimum(new_species, limit)
        if np.array_equal(new_reaction, reaction_column) and np.array_equal(new_species, species_column):
            break
        reaction_column, species_column = new_reaction, new_species
    # A species nobody produces that is not an input (e.g. a bias-loaded M of a
    # reduced CRN) is drawn just left of its first consumer, not at the far left.
    produced = np.zeros(crn.n_species, dtype=bool)
    produced[products.col] = True
    inputs = {name for signal in crn.inputs for name, _ in (*signal.positive, *signal.negative)}
    first_consumer = np.full(crn.n_species, np.iinfo(np.int64).max)
    np.minimum.at(first_consumer, reactants.col, reaction_column[reactants.row])
    for index, name in enumerate(crn.species):
        if not produced[index] and name not in inputs and first_consumer[index] < np.iinfo(np.int64).max:
            species_column[index] = first_consumer[index] - 1
    return species_column, reaction_column


def _positions(
    crn: CRN, species_column: np.ndarray, reaction_column: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of species and reactions: columns left to right, barycentric order within a column."""
    reactants = crn.reactant_matrix.tocoo()
    products = crn.product_matrix.tocoo()
    n_species = crn.n_species
    columns = np.concatenate([species_column, reaction_column])
    # predecessor lists in the joint numbering (species first, then reactions)
    predecessors: list[list[int]] = [[] for _ in range(columns.shape[0])]
    for r, s in zip(reactants.row.tolist(), reactants.col.tolist(), strict=True):
        predecessors[n_species + r].append(s)
    for r, s in zip(products.row.tolist(), products.col.tolist(), strict=True):
        predecessors[s].append(n_species + r)
    y = np.zeros(columns.shape[0])
    for column in np.unique(columns):
        members = np.flatnonzero(columns == column)
        keys = []
        for index, node in enumerate(members.tolist()):
            placed = [y[p] for p in predecessors[node] if columns[p] < column]
            keys.append((np.mean(placed) if placed else float(index), index))
        order = [members[i] for _, i in sorted(keys)]
        count = len(order)
        y[order] = (count - 1) / 2.0 - np.arange(count)
    return columns.astype(float), y


def plot_crn_graph(
    crn: CRN,
    path: str | os.PathLike[str],
    *,
    max_species: int = MAX_SPECIES,
    title: str | None = None,
) -> Path:
    """Draw `crn` as a layered species–reaction graph.

    Parameters
    ----------
    crn : CRN
    path : path-like
        Figure file; ``.png``, ``.svg`` or ``.pdf``.
    max_species : int
        Refuse larger CRNs.
    title : str, optional

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InputDataError
        The CRN has more than `max_species` species, or a bad path.
    """
    path = check_plot_path(path)
    if crn.n_species > max_species:
        raise InputDataError(
            f"CRN graph: {crn.n_species} species is above the drawing limit of {max_species}; "
            f"draw a smaller (e.g. reduced) CRN or raise max_species"
        )
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    species_column, reaction_column = graph_layers(crn)
    x, y = _positions(crn, species_column, reaction_column)
    n_species = crn.n_species
    n_columns = int(x.max()) + 1 if x.size else 1
    tallest = max(int(np.bincount(x.astype(int)).max(initial=1)), 1)
    width = min(max(6.0, 1.15 * n_columns + 1.5), 30.0)
    height = min(max(3.5, 0.42 * tallest + 1.2), 40.0)
    figure = Figure(figsize=(width, height), layout="constrained")
    axis = figure.subplots()
    axis.set_axis_off()

    inputs = {name for signal in crn.inputs for name, _ in (*signal.positive, *signal.negative)}
    outputs = {name for signal in crn.outputs for name, _ in (*signal.positive, *signal.negative)}
    species_colors = []
    for name in crn.species:
        if name in inputs:
            species_colors.append("#2da44e")
        elif name in outputs:
            species_colors.append("#d1782b")
        else:
            species_colors.append("#6e7781")
    has_initial = np.array([crn.initial.get(name, 0.0) != 0 for name in crn.species])

    def arrow(start: int, end: int, color: str, label: str | None = None) -> None:
        patch = FancyArrowPatch(
            (x[start], y[start]),
            (x[end], y[end]),
            arrowstyle="-|>",
            mutation_scale=9,
            lw=0.7,
            color=color,
            alpha=0.65,
            shrinkA=7,
            shrinkB=7,
            connectionstyle="arc3,rad=0.04",
        )
        axis.add_patch(patch)
        if label:
            axis.text(
                0.35 * x[start] + 0.65 * x[end],
                0.35 * y[start] + 0.65 * y[end],
                label,
                fontsize=6,
                color=color,
                ha="center",
                va="center",
            )

    reactants = crn.reactant_matrix.tocoo()
    products = crn.product_matrix.tocoo()
    orders = np.array([reaction.order for reaction in crn.reactions], dtype=np.int64)
    reaction_colors = np.where(orders >= 2, "#cf222e", "#0969da")
    for r, s, n in zip(reactants.row.tolist(), reactants.col.tolist(), reactants.data.tolist(), strict=True):
        arrow(s, n_species + r, reaction_colors[r], f"{n:g}" if n > 1 else None)
    for r, s, n in zip(products.row.tolist(), products.col.tolist(), products.data.tolist(), strict=True):
        arrow(n_species + r, s, reaction_colors[r], f"{n:g}" if n > 1 else None)

    axis.scatter(
        x[:n_species],
        y[:n_species],
        s=150,
        c=species_colors,
        zorder=3,
        edgecolors=np.where(has_initial, "black", "white").tolist(),
        linewidths=np.where(has_initial, 1.6, 0.8).tolist(),
    )
    if crn.n_reactions:
        axis.scatter(x[n_species:], y[n_species:], s=36, marker="s", c=reaction_colors, zorder=3)
    for index, name in enumerate(crn.species):
        axis.text(x[index], y[index] + 0.32, name, fontsize=6.5, ha="center", va="bottom", zorder=4)
    axis.set_xlim(-0.7, n_columns - 0.3)
    axis.set_ylim(y.min(initial=0.0) - 0.8, y.max(initial=0.0) + 0.9)

    legend = [
        Line2D([], [], marker="o", ls="", color="#2da44e", label="input species"),
        Line2D([], [], marker="o", ls="", color="#6e7781", label="internal species"),
        Line2D([], [], marker="o", ls="", color="#d1782b", label="output species"),
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            color="white",
            markeredgecolor="black",
            label="non-zero initial amount (bias)",
        ),
        Line2D([], [], marker="s", ls="-", color="#0969da", label="unimolecular reaction"),
        Line2D([], [], marker="s", ls="-", color="#cf222e", label="bimolecular reaction"),
    ]
    figure.legend(handles=legend, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    figure.suptitle(title or f"CRN: {crn.n_species} species, {crn.n_reactions} reactions", fontsize=11)
    from .._writing import open_output

    with open_output(path, binary=True) as handle:
        figure.savefig(handle, format=Path(path).suffix.lower().lstrip("."), dpi=110)
    return path
