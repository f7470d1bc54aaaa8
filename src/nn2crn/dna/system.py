"""The DSD system value: domains, strands, complexes, modules and the signal mapping.

A :class:`DSDSystem` is what a translator (:mod:`nn2crn.dna.ssw2010`,
:mod:`nn2crn.dna.qsw2011`) makes of a formal CRN. Everything is frozen; complexes
are kept in kernel notation (5'→3', ``a*`` the complement of ``a``, ``a( … )``
pairs ``a`` with the ``a*`` the matching ``)`` stands for, ``+`` a strand break),
the notation peppercorn's ``.pil`` reader accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType

from .._errors import DNADesignError
from ..crn import CRN, Reaction

SCHEMES = ("ssw2010", "qsw2011")
"""Translation schemes; the first is the default."""

DEFAULT_TOEHOLD = 6
DEFAULT_LONG = 15
DEFAULT_RELEASE_CUTOFF = 7
"""peppercorn's release cutoff used for enumeration (library default 9): toehold ≤ cutoff < long."""


@dataclass(frozen=True)
class DomainLengths:
    """Domain lengths in nucleotides.

    Attributes
    ----------
    toehold : int
        Toeholds (SSW: the 3' toehold of a signal; QSW: the universal toehold).
    long : int
        Recognition, history and lock domains.
    gate_toehold : int
        The toehold a gate exposes to its first reactant (SSW: the 5' toehold ``s1``
        of every signal; QSW: the universal toehold, so it must equal `toehold`).
        Shorter gate toeholds slow every reaction (about 10× per nucleotide below 6).
    release_cutoff : int
        Helices of at most this many nucleotides fall apart in peppercorn's model.
    """

    toehold: int = DEFAULT_TOEHOLD
    long: int = DEFAULT_LONG
    gate_toehold: int = DEFAULT_TOEHOLD
    release_cutoff: int = DEFAULT_RELEASE_CUTOFF

    def __post_init__(self) -> None:
        for name in ("toehold", "long", "gate_toehold", "release_cutoff"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DNADesignError(f"domain length {name} must be an integer >= 1 nt, got {value!r}")
        for name in ("toehold", "gate_toehold"):
            if getattr(self, name) > self.release_cutoff:
                raise DNADesignError(
                    f"{name} = {getattr(self, name)} nt breaks the release rule toehold <= release "
                    f"cutoff ({self.release_cutoff} nt) < long: a toehold that long never lets go; "
                    f"use a toehold of at most {self.release_cutoff} nt"
                )
        if self.long <= self.release_cutoff:
            raise DNADesignError(
                f"long = {self.long} nt breaks the release rule toehold <= release cutoff "
                f"({self.release_cutoff} nt) < long: such a domain falls off on its own; "
                f"use long domains of at least {self.release_cutoff + 1} nt"
            )


@dataclass(frozen=True)
class Domain:
    """A named domain of `length` nucleotides; `kind` is toehold, long, history or lock."""

    name: str
    length: int
    kind: str


@dataclass(frozen=True)
class DSDComplex:
    """One complex in kernel notation.

    Attributes
    ----------
    name : str
        The ``.pil`` name.
    kernel : str
        Kernel notation (5'→3').
    role : str
        ``"signal"`` or ``"fuel"``.
    kind : str
        Signal: ``"input"`` (a history that no reaction makes) or ``"product"``.
        Fuel: ``gate``, ``translator``, ``backward``, ``reverse``, ``lock``,
        ``release`` or ``source``.
    species : str
        Signals: the formal species. Fuels: ``""``.
    reaction : int
        Index of the reaction whose module holds it (-1 for input signals).
    """

    name: str
    kernel: str
    role: str
    kind: str
    species: str = ""
    reaction: int = -1

    @property
    def strands(self) -> tuple[tuple[str, ...], ...]:
        """Domain names of each strand, 5'→3' (complements end in ``*``)."""
        return parse_kernel(self.kernel)


@dataclass(frozen=True)
class Module:
    """The fuels that implement one formal reaction.

    Attributes
    ----------
    index : int
        Position of the reaction in the CRN.
    reaction : Reaction
        The formal reaction, reactants in binding order (pitfall 7 of the DNA fact sheet).
    fuels : tuple of str
        Names of the fuel complexes.
    products : tuple of str
        Names of the product signal complexes (history variants), one per product copy.
    """

    index: int
    reaction: Reaction
    fuels: tuple[str, ...]
    products: tuple[str, ...]

    @property
    def binding_order(self) -> tuple[str, ...]:
        return tuple(name for name, count in self.reaction.reactants for _ in range(count))

    @property
    def product_species(self) -> tuple[str, ...]:
        return tuple(name for name, count in self.reaction.products for _ in range(count))


@dataclass(frozen=True, eq=False)
class DSDSystem:
    """A domain-level strand-displacement implementation of a formal CRN.

    Attributes
    ----------
    scheme : str
        One of :data:`SCHEMES`.
    lengths : DomainLengths
    crn : CRN
        The formal CRN (its inputs, outputs and initial amounts are kept).
    domains : tuple of Domain
    complexes : tuple of DSDComplex
        Signals first (input variants, then product variants), then fuels by module.
    modules : tuple of Module
        One per formal reaction, in CRN order.
    """

    scheme: str
    lengths: DomainLengths
    crn: CRN
    domains: tuple[Domain, ...]
    complexes: tuple[DSDComplex, ...]
    modules: tuple[Module, ...]

    @property
    def signals(self) -> tuple[DSDComplex, ...]:
        return tuple(c for c in self.complexes if c.role == "signal")

    @property
    def fuels(self) -> tuple[DSDComplex, ...]:
        return tuple(c for c in self.complexes if c.role == "fuel")

    @cached_property
    def domain_length(self) -> Mapping[str, int]:
        # cached: verification extracts tens of thousands of module shapes from one system.
        return MappingProxyType({d.name: d.length for d in self.domains})

    @property
    def species_signals(self) -> Mapping[str, tuple[str, ...]]:
        """Formal species → names of its signal complexes (all history variants)."""
        mapping: dict[str, list[str]] = {name: [] for name in self.crn.species}
        for c in self.signals:
            mapping[c.species].append(c.name)
        return MappingProxyType({name: tuple(names) for name, names in mapping.items()})

    @cached_property
    def _by_name(self) -> Mapping[str, DSDComplex]:
        return MappingProxyType({c.name: c for c in self.complexes})

    @cached_property
    def _inputs(self) -> Mapping[str, str]:
        return MappingProxyType({c.species: c.name for c in self.signals if c.kind == "input"})

    def complex(self, name: str) -> DSDComplex:
        """The complex called `name` (KeyError if none)."""
        return self._by_name[name]

    def input_signal(self, species: str) -> str:
        """Name of the input (base-history) signal of `species`."""
        try:
            return self._inputs[species]
        except KeyError:
            raise DNADesignError(
                f"species {species!r} has no input signal strand in this DSD system"
            ) from None


def parse_kernel(kernel: str) -> tuple[tuple[str, ...], ...]:
    """Split kernel notation into strands of domain names (complements end in ``*``).

    Only used on kernel strings nn2crn writes itself (the translators), so a
    malformed string is a bug, reported as ValueError.
    """
    strands: list[list[str]] = [[]]
    stack: list[str] = []
    for token in kernel.split():
        if token == "+":
            strands.append([])
        elif token == ")":
            if not stack:
                raise ValueError(f"unbalanced ')' in {kernel!r}")
            strands[-1].append(complement(stack.pop()))
        elif token.endswith("("):
            stack.append(token[:-1])
            strands[-1].append(token[:-1])
        else:
            strands[-1].append(token)
    if stack:
        raise ValueError(f"unclosed '(' in {kernel!r}")
    return tuple(tuple(strand) for strand in strands)


def complement(domain: str) -> str:
    return domain[:-1] if domain.endswith("*") else domain + "*"
