"""Translate a formal CRN into a DSD system under the SSW 2010 or QSW 2011 scheme.

Both schemes follow the DNA fact sheet shipped with the project (its §1 and §2),
itself taken from Soloveichik, Seelig & Winfree, PNAS 107:5393 (2010) and Qian,
Soloveichik & Winfree, DNA 16, LNCS 6518 (2011):

``ssw2010``
    Signal ``h s1 s2 s3`` (history, gate toehold, long, toehold). A unimolecular
    reaction gets a gate ``G`` and a translator ``T``; a bimolecular one a gate ``L``
    whose backward strand ``B`` covers the second reactant's toehold, ``B`` in
    excess, and ``T``. The translator holds each product strand by ``h p1`` only.
``qsw2011``
    Signal ``h t s`` with one universal toehold ``t``. One gate per reaction with a
    cover (= reverse fuel) per reactant, a lock strand ``t f g`` that commits the
    reaction before any product leaves, a release fuel ``t h`` per product and a
    second lock that makes each release irreversible (the corrected gate: the
    literature gate without the first lock lets products run it backwards).

Reactions with no reactant use a constant signal-like ``source`` fuel as their
reactant. Each product copy gets its own history domain, so a formal species
exists as several signal complexes (history variants) that differ only in the
unpaired history domain.
"""

from __future__ import annotations

from .._errors import DNADesignError
from ..crn import CRN, Reaction
from .system import SCHEMES, Domain, DomainLengths, DSDComplex, DSDSystem, Module

MAX_REACTANTS = 2


def order_reactants(crn: CRN) -> tuple[Reaction, ...]:
    """Reactions with bimolecular reactants in a binding order free of remote-toehold crosstalk.

    Pitfall 7 of the fact sheet: with ``X -> … P …`` and ``X + P -> …`` (X binding
    first) the output strand ``x2 x3 hP p1`` of the first gate imitates the backward
    strand ``x2 x3 p1`` of the second. A bimolecular reaction with first reactant F
    and second S is in conflict when another reaction's output strand starts with F's
    recognition region (F is its last reactant) and carries S's toehold (S is one of
    its products). Conflicting reactions are flipped, up to a fixed point.
    """
    reactions = list(crn.reactions)
    for _ in range(len(reactions) + 1):
        last_and_products = {
            (
                _binding(r)[-1],
                name,
            ): index
            for index, r in enumerate(reactions)
            if r.reactants
            for name, _ in r.products
        }
        changed = False
        for index, reaction in enumerate(reactions):
            order = _binding(reaction)
            if len(order) != 2 or order[0] == order[1]:
                continue
            if _conflicts(order, index, last_and_products) and not _conflicts(
                order[::-1], index, last_and_products
            ):
                reactions[index] = Reaction._trusted(
                    tuple(reversed(reaction.reactants)), reaction.products, reaction.rate
                )
                changed = True
        if not changed:
            break
    return tuple(reactions)


def _binding(reaction: Reaction) -> tuple[str, ...]:
    return tuple(name for name, count in reaction.reactants for _ in range(count))


def _conflicts(order: tuple[str, ...], index: int, last_and_products: dict) -> bool:
    owner = last_and_products.get((order[0], order[1]))
    return owner is not None and owner != index


def translate(
    crn: CRN,
    scheme: str = "ssw2010",
    lengths: DomainLengths | None = None,
    *,
    reorder: bool = True,
) -> DSDSystem:
    """Translate `crn` into a domain-level DSD system.

    Parameters
    ----------
    crn : CRN
        Every reaction has at most two reactant molecules.
    scheme : {"ssw2010", "qsw2011"}
    lengths : DomainLengths, optional
        Defaults: toehold 6 nt, long 15 nt, gate toehold 6 nt, release cutoff 7 nt.
    reorder : bool, default True
        Order bimolecular reactants by :func:`order_reactants`. False keeps the CRN's
        order (the first reactant binds the gate first).

    Returns
    -------
    DSDSystem

    Raises
    ------
    DNADesignError
        No reactions, an unknown scheme, a reaction with three or more reactants, QSW with a gate
        toehold unlike its toehold, or generated names that collide with species.
    """
    if scheme not in SCHEMES:
        raise DNADesignError(f"unknown DNA scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    lengths = DomainLengths() if lengths is None else lengths
    if not crn.reactions:
        # A .pil with no complexes is no system, and peppercorn's reader refuses the empty text.
        raise DNADesignError(
            "the CRN has no reactions, so there is nothing to build from DNA; give a CRN with reactions"
        )
    if scheme == "qsw2011" and lengths.gate_toehold != lengths.toehold:
        raise DNADesignError(
            f"scheme qsw2011 has one universal toehold: gate toehold ({lengths.gate_toehold} nt) "
            f"must equal toehold ({lengths.toehold} nt); drop --gate-toehold or use ssw2010"
        )
    for index, reaction in enumerate(crn.reactions):
        if reaction.order > MAX_REACTANTS:
            raise DNADesignError(
                f"reaction {index + 1} ({reaction}) has {reaction.order} reactant molecules; the DNA "
                f"schemes implement at most {MAX_REACTANTS} (split it into bimolecular steps first)"
            )
    reactions = order_reactants(crn) if reorder else crn.reactions
    builder = _Builder(crn, scheme, lengths)
    for index, reaction in enumerate(reactions):
        builder.add_module(index, reaction)
    return builder.system()


class _Builder:
    """Accumulates domains and complexes; names are checked for collisions as they are made."""

    def __init__(self, crn: CRN, scheme: str, lengths: DomainLengths) -> None:
        self.crn, self.scheme, self.lengths = crn, scheme, lengths
        self.domains: dict[str, Domain] = {}
        self.inputs: list[DSDComplex] = []
        self.products: list[DSDComplex] = []
        self.fuels: list[DSDComplex] = []
        self.modules: list[Module] = []
        self.names: set[str] = set()
        self.module_fuels: list[str] = []
        self.fuel_by_kernel: dict[str, str] = {}
        self.species_names = set(crn.species)
        consumed = {name for r in crn.reactions for name, _ in r.reactants}
        loaded = {name for s in crn.inputs for name, _ in (*s.positive, *s.negative)}
        for name in crn.species:
            if name in consumed or name in loaded or name in crn.initial:
                self.inputs.append(self._signal(name, name, f"h_{name}", "input", -1))
        if scheme == "qsw2011":
            self._domain("t", lengths.toehold, "toehold")

    # -- naming ----------------------------------------------------------------------
    def _claim(self, name: str, is_species: bool = False) -> str:
        if name in self.names or (not is_species and name in self.species_names):
            raise DNADesignError(
                f"generated DNA name {name!r} collides with a species or another generated name; "
                f"rename that species in the CRN"
            )
        self.names.add(name)
        return name

    def _domain(self, name: str, length: int, kind: str) -> str:
        if name not in self.domains:
            self.domains[name] = Domain(name, length, kind)
        return name

    def _recognition(self, species: str) -> tuple[str, ...]:
        """The domains after the history on `species`'s signal strand."""
        if self.scheme == "ssw2010":
            return (
                self._domain(f"a_{species}", self.lengths.gate_toehold, "toehold"),
                self._domain(f"b_{species}", self.lengths.long, "long"),
                self._domain(f"c_{species}", self.lengths.toehold, "toehold"),
            )
        return ("t", self._domain(f"s_{species}", self.lengths.long, "long"))

    def _signal(self, name: str, species: str, history: str, kind: str, reaction: int) -> DSDComplex:
        self._claim(name, is_species=kind == "input")
        self._domain(history, self.lengths.long, "history")
        kernel = " ".join((history, *self._recognition(species)))
        return DSDComplex(name, kernel, "signal", kind, species, reaction)

    def _fuel(self, name: str, kernel: str, kind: str, reaction: int) -> str:
        # QSW's reverse fuel of a species (its cover strand) is one complex however many
        # gates consume the species: peppercorn (rightly) refuses two names for one complex.
        existing = self.fuel_by_kernel.get(kernel)
        if existing is not None:
            self.module_fuels.append(existing)
            return existing
        self.fuels.append(DSDComplex(self._claim(name), kernel, "fuel", kind, "", reaction))
        self.fuel_by_kernel[kernel] = name
        self.module_fuels.append(name)
        return name

    # -- modules ---------------------------------------------------------------------
    def add_module(self, index: int, reaction: Reaction) -> None:
        tag = f"r{index + 1}"
        order = list(_binding(reaction))
        self.module_fuels = []
        if not order:
            source = f"src_{tag}"
            self._domain(f"h_{source}", self.lengths.long, "history")
            kernel = " ".join((f"h_{source}", *self._recognition(source)))
            self._fuel(source, kernel, "source", index)
            order = [source]
        products: list[tuple[str, str, str]] = []  # (species, signal name, history domain)
        for copy, species in enumerate(
            (name for name, count in reaction.products for _ in range(count)), start=1
        ):
            name = f"{species}_{tag}_{copy}"
            signal = self._signal(name, species, f"h_{species}_{tag}_{copy}", "product", index)
            self.products.append(signal)
            products.append((species, name, signal.kernel.split()[0]))
        if self.scheme == "ssw2010":
            self._ssw_module(tag, index, order, products)
        else:
            self._qsw_module(tag, index, order, products)
        self.modules.append(
            Module(index, reaction, tuple(self.module_fuels), tuple(name for _, name, _ in products))
        )

    def _ssw_module(
        self, tag: str, index: int, order: list[str], products: list[tuple[str, str, str]]
    ) -> None:
        rec = {species: self._recognition(species) for species in {*order, *(p[0] for p in products)}}
        overhang = " ".join(f"{history} {rec[species][0]}" for species, _, history in products)
        last = rec[order[-1]]
        if len(order) == 1:
            x1, x2, x3 = rec[order[0]]
            self._fuel(f"G_{tag}", f"{x2}( {x3}( {overhang} + ) ) {x1}*", "gate", index)
        else:
            (x1, x2, x3), (y1, y2, y3) = rec[order[0]], last
            self._fuel(
                f"L_{tag}", f"{x2}( {x3}( {y1}( + {y2}( {y3}( {overhang} + ) ) ) ) ) {x1}*", "gate", index
            )
            self._fuel(f"B_{tag}", f"{x2} {x3} {y1}", "backward", index)
        if products:
            held = "".join(
                f"{history}( {rec[species][0]}( {rec[species][1]} {rec[species][2]} + "
                for species, _, history in products
            )
            self._fuel(f"T_{tag}", f"{held}{') ' * (2 * len(products))}{last[2]}*", "translator", index)

    def _qsw_module(
        self, tag: str, index: int, order: list[str], products: list[tuple[str, str, str]]
    ) -> None:
        lock_f = self._domain(f"f_{tag}", self.lengths.long, "lock")
        lock_g = self._domain(f"g_{tag}", self.lengths.long, "lock")
        recognition = {
            species: self._recognition(species)[1] for species in {*order, *(p[0] for p in products)}
        }
        covers = "".join(f"{recognition[species]}( t( + " for species in order)
        releases = "".join(f"{history}( t( {recognition[species]} + " for species, _, history in products)
        opened = 2 * len(order) + 3 + 2 * len(products)
        kernel = f"{covers}{lock_f}( + {lock_g}( t( + {releases}{lock_f}( + ) {') ' * opened}t*"
        self._fuel(f"G_{tag}", kernel, "gate", index)
        for position, species in enumerate(dict.fromkeys(order), start=1):
            self._fuel(f"R{position}_{tag}", f"{recognition[species]} t", "reverse", index)
        self._fuel(f"LK_{tag}", f"t {lock_f} {lock_g}", "lock", index)
        for position, (_, _, history) in enumerate(products, start=1):
            self._fuel(f"P{position}_{tag}", f"t {history}", "release", index)

    def system(self) -> DSDSystem:
        return DSDSystem(
            self.scheme,
            self.lengths,
            self.crn,
            tuple(self.domains.values()),
            (*self.inputs, *self.products, *self.fuels),
            tuple(self.modules),
        )
