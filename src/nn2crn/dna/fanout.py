"""Bound the fan-out of a CRN: X → P1 + … + Pn becomes a tree of fan-outs of at most K products.

Why: a module's peppercorn enumeration grows with its number of products (a 60-product
translator is a 61-strand complex), and every distinct product count is a new module shape
to enumerate. A compiled MNIST network has about 50 distinct fan-out sizes up to 60. With
every reaction at most K products, only a handful of shapes remain, and labs prefer small
gates anyway.

The rewrite is exact for the rate-independent semantics: X → I1 + … + Ik, Ij → (its group),
with fresh intermediates Ij consumed only by their own fan-out, so every product is made
exactly once per firing, the CRN stays non-competitive and feed-forward, and its stable
outputs are those of the original (tested with the exact evaluator).
"""

from __future__ import annotations

from .._errors import DNADesignError
from ..crn import CRN, Reaction, make_terms

MIN_FANOUT = 2


def _groups(items: list[str], count: int) -> list[list[str]]:
    """`items` split into `count` consecutive groups whose sizes differ by at most one."""
    size, extra = divmod(len(items), count)
    groups, start = [], 0
    for index in range(count):
        stop = start + size + (1 if index < extra else 0)
        groups.append(items[start:stop])
        start = stop
    return groups


def bound_fanout(crn: CRN, max_fanout: int) -> CRN:
    """`crn` with every reaction of more than `max_fanout` product molecules split into a tree.

    Parameters
    ----------
    crn : CRN
    max_fanout : int
        At least 2. Intermediates are named ``<first reactant>_f<reaction>_<k>``
        (``src_f<reaction>_<k>`` for a reaction without reactants), after the CRN's
        species in the species order.

    Returns
    -------
    CRN
        Same initial amounts, inputs and outputs; a reaction with at most `max_fanout`
        products is kept as it is, in place.

    Raises
    ------
    DNADesignError
        `max_fanout` below 2, or an intermediate name already taken by a species.
    """
    if isinstance(max_fanout, bool) or not isinstance(max_fanout, int) or max_fanout < MIN_FANOUT:
        raise DNADesignError(f"max_fanout must be an integer >= {MIN_FANOUT} products, got {max_fanout!r}")
    taken = set(crn.species)
    fresh: list[str] = []
    reactions: list[Reaction] = []
    for index, reaction in enumerate(crn.reactions):
        products = [name for name, count in reaction.products for _ in range(count)]
        if len(products) <= max_fanout:
            reactions.append(reaction)
            continue
        stem = f"{reaction.reactants[0][0] if reaction.reactants else 'src'}_f{index + 1}"
        _tree(reaction.reactants, products, reaction.rate, max_fanout, _Names(stem, taken, fresh), reactions)
    return CRN(tuple(reactions), crn.initial, crn.inputs, crn.outputs, (*crn.species, *fresh))


class _Names:
    """Fresh intermediate names ``<stem>_1``, ``<stem>_2``, … checked against the taken ones."""

    def __init__(self, stem: str, taken: set[str], fresh: list[str]) -> None:
        self.stem, self.taken, self.fresh, self.count = stem, taken, fresh, 0

    def new(self) -> str:
        self.count += 1
        name = f"{self.stem}_{self.count}"
        if name in self.taken:
            raise DNADesignError(
                f"fan-out intermediate name {name!r} collides with a species of the CRN; "
                f"rename that species or drop max_fanout"
            )
        self.taken.add(name)
        self.fresh.append(name)
        return name


def _tree(
    reactants: tuple[tuple[str, int], ...],
    items: list[str],
    rate: float,
    max_fanout: int,
    names: _Names,
    reactions: list[Reaction],
) -> None:
    """Append the root reaction (reactants -> at most K outputs), then each subtree, depth first."""
    outputs: list[str] = []
    pending: list[tuple[str, list[str]]] = []
    for group in _groups(items, min(max_fanout, len(items))):
        if len(group) == 1:
            outputs.append(group[0])
        else:
            outputs.append(names.new())
            pending.append((outputs[-1], group))
    reactions.append(Reaction(reactants, make_terms(outputs), rate))
    for name, group in pending:
        _tree(((name, 1),), group, 1.0, max_fanout, names, reactions)


def max_products(crn: CRN) -> int:
    """The largest number of product molecules of any reaction (0 for no reactions)."""
    return max((sum(c for _, c in r.products) for r in crn.reactions), default=0)


__all__ = ["bound_fanout", "max_products"]
