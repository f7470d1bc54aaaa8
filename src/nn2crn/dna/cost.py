"""DNA cost of a DSD system: distinct strands, complexes and nucleotides, per reaction kind and layer."""

from __future__ import annotations

from dataclasses import dataclass

from .._errors import CRNStructureError
from ..crn import CRN
from .system import DSDSystem

KINDS = {0: "source (0 reactants)", 1: "unimolecular", 2: "bimolecular"}


@dataclass(frozen=True)
class CostRow:
    """Fuel cost of a group of modules (strands counted once per group even if shared).

    Attributes
    ----------
    group : str
        ``"kind: unimolecular"``, ``"layer 2"``, ``"signals"`` or ``"total"``.
    n_reactions, complexes, strands, nucleotides, longest_nt : int
    """

    group: str
    n_reactions: int
    complexes: int
    strands: int
    nucleotides: int
    longest_nt: int


@dataclass(frozen=True)
class DNACost:
    """Cost rows: by reaction kind, by layer (feed-forward CRNs), signals, and the total."""

    scheme: str
    rows: tuple[CostRow, ...]

    @property
    def total(self) -> CostRow:
        return self.rows[-1]

    def format(self) -> str:
        """A plain-text table."""
        header = f"{'group':<26}{'reactions':>10}{'complexes':>10}{'strands':>9}{'nt':>10}{'longest':>9}"
        lines = [f"scheme {self.scheme}", header]
        for r in self.rows:
            lines.append(
                f"{r.group:<26}{r.n_reactions:>10}{r.complexes:>10}{r.strands:>9}{r.nucleotides:>10}{r.longest_nt:>9}"
            )
        return "\n".join(lines)


def dna_cost(system: DSDSystem) -> DNACost:
    """Count strands, complexes and nucleotides of `system`.

    Returns
    -------
    DNACost
        Rows by reaction kind, then by layer (when the CRN is feed-forward), then the
        signal strands (every history variant), then the total (fuels + signals,
        each distinct strand once).
    """
    lengths = system.domain_length
    # Every complex is parsed and every distinct strand measured once: the rows below revisit
    # them (kinds, layers, total), and a reduced MNIST CRN has ~80k complexes.
    parsed: dict[str, tuple[tuple[str, ...], ...]] = {}
    measured: dict[tuple[str, ...], int] = {}

    def strands_of(name: str) -> tuple[tuple[str, ...], ...]:
        if name not in parsed:
            parsed[name] = system.complex(name).strands
        return parsed[name]

    def strand_length(strand: tuple[str, ...]) -> int:
        if strand not in measured:
            measured[strand] = sum(lengths[d.rstrip("*")] for d in strand)
        return measured[strand]

    def row(group: str, modules: list[int], with_signals: bool = False) -> CostRow:
        fuel_names = {name for i in modules for name in system.modules[i].fuels}
        strands = {s for name in fuel_names for s in strands_of(name)}
        complexes = len(fuel_names)
        if with_signals:
            strands |= {strands_of(c.name)[0] for c in system.signals}
            complexes += len(system.signals)
        return CostRow(
            group,
            len(modules),
            complexes,
            len(strands),
            sum(map(strand_length, strands)),
            max(map(strand_length, strands), default=0),
        )

    rows = []
    by_kind: dict[int, list[int]] = {}
    for m in system.modules:
        by_kind.setdefault(min(m.reaction.order, 2), []).append(m.index)
    rows += [row(f"kind: {KINDS[k]}", by_kind[k]) for k in sorted(by_kind)]
    levels = _levels(system.crn)
    if levels is not None:
        by_level: dict[int, list[int]] = {}
        for m in system.modules:
            by_level.setdefault(int(levels[m.index]), []).append(m.index)
        rows += [row(f"layer {level}", by_level[level]) for level in sorted(by_level)]
    signal_strands = {strands_of(c.name)[0] for c in system.signals}
    rows.append(
        CostRow(
            "signals",
            0,
            len(system.signals),
            len(signal_strands),
            sum(map(strand_length, signal_strands)),
            max(map(strand_length, signal_strands), default=0),
        )
    )
    rows.append(row("total", [m.index for m in system.modules], with_signals=True))
    return DNACost(system.scheme, tuple(rows))


def _levels(crn: CRN):
    from ..crn import reaction_levels

    try:
        return reaction_levels(crn)
    except CRNStructureError:
        return None  # not feed-forward: no layers
