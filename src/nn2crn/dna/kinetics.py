"""DNA-level kinetics: the condensed implementation CRN as an ordinary nn2crn CRN.

Each module's shape is enumerated once by peppercorn (the cache of
:mod:`nn2crn.dna.verify`); its condensed reactions, with peppercorn's rate
constants, are renamed back to the module's fuels and species. Units: amounts in
nM, time in seconds, bimolecular rate constants in /nM/s (peppercorn's /M/s
× 1e-9). Fuels, intermediates and wastes are ordinary species, so fuels are
finite and deplete.

History variants of a species are lumped into one species named after the formal
species. This is exact for mass action: the variants differ only in a domain
that no gate pairs, so every reaction treats them alike, and the lumped amount is
the sum over variants that the signal mapping reads.

Leak (fact sheet §6): one slow fuel–fuel reaction per module, gate + translator
(SSW) or gate + lock (QSW) → the module's products + waste, at `leak` /M/s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._errors import DNADesignError
from ..crn import CRN, Reaction, make_terms
from .concentrations import Concentrations, load_concentrations
from .system import DSDSystem
from .verify import ShapeCache, module_condensed

NANO = 1e-9


@dataclass(frozen=True, eq=False)
class DNAKinetics:
    """A DSD system's condensed CRN at chosen concentrations.

    Attributes
    ----------
    crn : CRN
        Species: formal species (lumped history variants), fuels, intermediates and
        wastes; amounts in nM, time in s. Its inputs and outputs are the formal
        ones: feed input values × `unit_nM`, divide outputs by `unit_nM`.
    unit_nM : float
    fuel_nM : float
    leak : float
        Leak rate constant, /M/s.
    n_fuels : int
    """

    crn: CRN
    unit_nM: float
    fuel_nM: float
    leak: float
    n_fuels: int


def build_kinetics(
    system: DSDSystem,
    input_values: object = None,
    concentrations: Concentrations | None = None,
    *,
    leak: float = 0.0,
    cache: ShapeCache | None = None,
) -> DNAKinetics:
    """The condensed implementation CRN of `system`.

    Parameters
    ----------
    system : DSDSystem
    input_values : array-like of shape (n_batch, n_inputs), optional
        Only used to set the fuel level (`fuel_excess` × the largest signal over rows).
    concentrations : Concentrations, optional
    leak : float, default 0
        Fuel–fuel leak rate constant in /M/s (1–10 is typical).
    cache : ShapeCache, optional

    Returns
    -------
    DNAKinetics
    """
    if (
        isinstance(leak, bool)
        or not isinstance(leak, (int, float))
        or not (math.isfinite(leak) and leak >= 0)
    ):
        raise DNADesignError(f"leak must be a finite rate constant >= 0 /M/s, got {leak!r}")
    concentrations = Concentrations() if concentrations is None else concentrations
    loaded = load_concentrations(system, input_values, concentrations)
    reactions: list[Reaction] = []
    for index, result, names, fuel_names in module_condensed(system, cache):
        module = system.modules[index]
        roles = {r.name: r for r in result.enumeration.resting}
        real = {
            name: fuel_names[name]
            if role.role == "fuel"
            else names[role.species]
            if role.role == "signal"
            else f"x{index + 1}_{name}"
            for name, role in roles.items()
        }

        for condensed in result.enumeration.reactions:
            rate = condensed.rate * NANO ** (len(condensed.reactants) - 1)
            reactions.append(
                Reaction(
                    make_terms([real[n] for n in condensed.reactants]),
                    make_terms([real[n] for n in condensed.products]),
                    rate,
                )
            )
        if leak > 0 and len(module.fuels) >= 2 and module.product_species:
            gate = next(name for name in module.fuels if system.complex(name).kind == "gate")
            partner_kind = "translator" if system.scheme == "ssw2010" else "lock"
            partner = next(name for name in module.fuels if system.complex(name).kind == partner_kind)
            reactions.append(
                Reaction(
                    make_terms([gate, partner]),
                    make_terms([*module.product_species, f"leak{index + 1}"]),
                    leak * NANO,
                )
            )
    initial = {c.name: loaded.fuel_nM for c in system.fuels}
    for species, amount in system.crn.initial.items():
        initial[species] = amount * concentrations.unit_nM
    crn = CRN(
        tuple(reactions),
        initial,
        system.crn.inputs,
        system.crn.outputs,
        tuple(
            dict.fromkeys(
                (
                    *system.crn.species,
                    *(c.name for c in system.fuels),
                    *(name for r in reactions for name, _ in (*r.reactants, *r.products)),
                )
            )
        ),
    )
    return DNAKinetics(crn, concentrations.unit_nM, loaded.fuel_nM, float(leak), len(system.fuels))
