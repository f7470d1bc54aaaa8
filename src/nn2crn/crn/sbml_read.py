"""SBML import: mass-action models in one compartment become a :class:`CRN`.

What is read (through python-libsbml, the optional ``sbml`` extra):

- one compartment of constant size V;
- species with an initial amount or concentration, not constant, not boundary
  species, all with the same ``hasOnlySubstanceUnits``;
- reactions with constant integer stoichiometry and a mass-action kinetic law:
  a product of constants (global constant parameters, local parameters, numbers),
  optionally the compartment, and each reactant raised to its stoichiometry.
  A law ``forward - backward`` of two such products (a reversible reaction as
  antimony writes it) becomes two irreversible reactions.

The CRN is in concentrations (or in amounts when every species has
``hasOnlySubstanceUnits = true``), so with V ≠ 1 the rate constant absorbs the
powers of V the law implies. Anything else (rules, events, initial assignments,
function definitions, constraints, modifiers, packages, several compartments,
variable or non-integer stoichiometry, other rate laws) is refused with the
element, its id and its line.

A model written by :func:`nn2crn.crn.sbml.to_sbml` carries an ``nn2crn``
annotation: its declared inputs and outputs are restored, and its full-precision
numbers replace the 15-digit ones in the XML when they agree, so the round trip
gives an equal CRN. A model exported with an input row loaded reads back with
that row in its initial amounts and without input declarations, like
``nn2crn export --to crn --inputs``.
"""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from typing import Any

from .._errors import CRNFormatError, CRNStructureError
from .._validation import read_text_file
from .crn import CRN, Reaction, Signal, make_terms
from .sbml import ANNOTATION_NS, _libsbml

_SAME_NUMBER_RTOL = 1e-13
"""libSBML prints 15 significant digits; an annotation number this close is the same number."""


@dataclass(frozen=True)
class _Context:
    source: str
    libsbml: Any

    def refuse(self, element: Any, what: str, fix: str) -> CRNFormatError:
        """An error naming the SBML element, its id and its line."""
        name = element.getElementName()
        if isinstance(element, self.libsbml.Rule):
            label = f"<{name}> for {element.getVariable()!r}"
        elif isinstance(element, self.libsbml.InitialAssignment):
            label = f"<{name}> for {element.getSymbol()!r}"
        else:
            identifier = element.getId() if element.isSetId() else ""
            label = f"<{name}>" + (f" id {identifier!r}" if identifier else "")
        return CRNFormatError(
            f"SBML {label}: {what}; {fix}", source=self.source, line=element.getLine() or None
        )


def _read_document(text: str, source: str) -> Any:
    libsbml = _libsbml()
    document = libsbml.readSBMLFromString(text)
    errors = [
        document.getError(index)
        for index in range(document.getNumErrors())
        if document.getError(index).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]
    if errors:
        first = errors[0]
        raise CRNFormatError(
            f"not a valid SBML document ({len(errors)} errors); first: {first.getMessage().strip()}",
            source=source,
            line=first.getLine() or None,
        )
    if document.getModel() is None:
        raise CRNFormatError("the SBML document has no <model>", source=source)
    return document


def _refuse_unsupported(context: _Context, document: Any, model: Any) -> None:
    for index in range(document.getNumPlugins()):
        plugin = document.getPlugin(index)
        package = plugin.getPackageName()
        # libSBML enables l3v2extendedmath internally for every L3V2 document.
        if document.isPackageEnabled(package) and package not in ("", "core", "l3v2extendedmath"):
            raise CRNFormatError(
                f"SBML package {package!r} is used; only SBML core models can be read, remove the package",
                source=context.source,
                line=1,
            )
    lists = (
        (model.getListOfRules(), "rules are not supported", "a CRN's amounts change only through reactions"),
        (model.getListOfEvents(), "events are not supported", "remove the event"),
        (
            model.getListOfInitialAssignments(),
            "initial assignments are not supported",
            "give the initial value as a number",
        ),
        (
            model.getListOfFunctionDefinitions(),
            "function definitions are not supported",
            "write mass-action laws directly",
        ),
        (model.getListOfConstraints(), "constraints are not supported", "remove the constraint"),
    )
    for elements, what, fix in lists:
        if elements.size():
            element = elements.get(0)
            raise context.refuse(element, what, fix)
    if model.getNumCompartments() != 1:
        if model.getNumCompartments() == 0:
            raise CRNFormatError("the SBML model has no compartment", source=context.source)
        raise context.refuse(
            model.getCompartment(1),
            f"the model has {model.getNumCompartments()} compartments; only one is supported",
            "put every species in one compartment",
        )


def _compartment_size(context: _Context, model: Any) -> tuple[str, float]:
    compartment = model.getCompartment(0)
    if not compartment.getConstant():
        raise context.refuse(
            compartment, "a compartment of variable size is not supported", "make it constant"
        )
    size = compartment.getSize() if compartment.isSetSize() else float("nan")
    if not (math.isfinite(size) and size > 0):
        raise context.refuse(compartment, "the compartment needs a size > 0", "set its size attribute")
    return compartment.getId(), size


def _species(context: _Context, model: Any, size: float) -> tuple[list[str], dict[str, float], bool]:
    names, initial, substance_units = [], {}, set()
    for index in range(model.getNumSpecies()):
        species = model.getSpecies(index)
        name = species.getId()
        if species.getBoundaryCondition():
            raise context.refuse(species, "boundary species are not supported", "set boundaryCondition=false")
        if species.getConstant():
            raise context.refuse(
                species, "constant species are not supported", "use a catalyst reaction or constant=false"
            )
        if species.isSetConversionFactor():
            raise context.refuse(species, "conversion factors are not supported", "remove conversionFactor")
        substance_units.add(bool(species.getHasOnlySubstanceUnits()))
        if species.isSetInitialAmount():
            amount = species.getInitialAmount()
            value = amount if species.getHasOnlySubstanceUnits() else amount / size
        elif species.isSetInitialConcentration():
            concentration = species.getInitialConcentration()
            value = concentration * size if species.getHasOnlySubstanceUnits() else concentration
        else:
            raise context.refuse(
                species,
                "the species has no initial amount or concentration",
                "set initialAmount (in antimony: NAME = 0)",
            )
        if not (math.isfinite(value) and value >= 0):
            raise context.refuse(species, f"initial value must be finite and >= 0, got {value}", "fix it")
        names.append(name)
        if value > 0:
            initial[name] = value
    if len(substance_units) > 1:
        raise CRNFormatError(
            "some species have hasOnlySubstanceUnits=true and others false; make them all the same",
            source=context.source,
        )
    return names, initial, substance_units == {True}


def _stoichiometry(context: _Context, reference: Any, reaction: Any) -> tuple[str, int]:
    if reference.isSetStoichiometryMath() if hasattr(reference, "isSetStoichiometryMath") else False:
        raise context.refuse(
            reaction, "stoichiometryMath (variable stoichiometry) is not supported", "use a number"
        )
    if reference.getLevel() >= 3 and not reference.getConstant():
        raise context.refuse(
            reaction,
            f"species reference {reference.getSpecies()!r} has variable stoichiometry (constant=false)",
            "set constant=true",
        )
    value = reference.getStoichiometry() if reference.isSetStoichiometry() else 1.0
    if not (math.isfinite(value) and value >= 1 and float(value).is_integer()):
        raise context.refuse(
            reaction,
            f"stoichiometry {value:g} of {reference.getSpecies()!r} is not a positive integer",
            "use integer stoichiometries",
        )
    return reference.getSpecies(), int(value)


def _is_operator(node: Any, character: str) -> bool:
    # Node kinds are told apart by their operator character, not getType(): once another SWIG
    # module bundling libSBML (libsedml, roadrunner) is loaded, getType() may return an
    # unusable proxy instead of the enum value.
    return bool(node.isOperator()) and node.getCharacter() == character


def _factors(context: _Context, node: Any, reaction: Any) -> list[Any]:
    """Flatten a product (``times``, possibly nested) into its factors."""
    if _is_operator(node, "*"):
        factors = []
        for index in range(node.getNumChildren()):
            factors.extend(_factors(context, node.getChild(index), reaction))
        return factors
    return [node]


def _mass_action_term(
    context: _Context,
    node: Any,
    reaction: Any,
    constants: dict[str, float],
    compartment: str,
    species: set[str],
) -> tuple[float, int, dict[str, int]]:
    """(product of constants, compartment power, {species: power}) of one mass-action product."""
    libsbml = context.libsbml
    constant, compartment_power = 1.0, 0
    powers: dict[str, int] = {}
    law_text = libsbml.formulaToL3String(node)
    for factor in _factors(context, node, reaction):
        if factor.isNumber():
            constant *= factor.getValue()
            continue
        base, power = factor, 1
        # A MathML <power/> may show up as a function "power" (see _is_operator).
        if _is_operator(factor, "^") or (factor.isFunction() and factor.getName() in ("pow", "power")):
            base, exponent = factor.getChild(0), factor.getChild(1)
            value = exponent.getValue() if exponent.isNumber() else float("nan")
            if not base.isName() or not (float(value).is_integer() and value >= 1):
                raise context.refuse(
                    reaction,
                    f"kinetic law {law_text!r} is not mass action (power {libsbml.formulaToL3String(factor)!r})",
                    "write k * A * B^2 with integer powers of the reactants",
                )
            power = int(value)
        if not base.isName():
            raise context.refuse(
                reaction,
                f"kinetic law {law_text!r} is not mass action",
                "write a product of a rate constant and the reactants, e.g. k * A * B",
            )
        name = base.getName()
        if name in species:
            powers[name] = powers.get(name, 0) + power
        elif name == compartment:
            compartment_power += power
        elif name in constants:
            constant *= constants[name] ** power
        else:
            raise context.refuse(
                reaction,
                f"kinetic law {law_text!r} uses {name!r}, which is not a species, the compartment or a "
                "constant parameter",
                "make it a constant parameter",
            )
    return constant, compartment_power, powers


def _law_terms(context: _Context, reaction: Any) -> list[Any]:
    """The law's products: one, or two for ``forward - backward``."""
    if not reaction.isSetKineticLaw() or reaction.getKineticLaw().getMath() is None:
        raise context.refuse(reaction, "the reaction has no kinetic law", "give a mass-action law k * A * B")
    math_node = reaction.getKineticLaw().getMath()
    if _is_operator(math_node, "-") and math_node.getNumChildren() == 2:
        return [math_node.getChild(0), math_node.getChild(1)]
    return [math_node]


def _reactions(
    context: _Context,
    model: Any,
    compartment: str,
    size: float,
    species: set[str],
    in_amounts: bool,
) -> tuple[list[Reaction], list[str]]:
    constants: dict[str, float] = {}
    for index in range(model.getNumParameters()):
        parameter = model.getParameter(index)
        if parameter.getConstant() and parameter.isSetValue():
            constants[parameter.getId()] = parameter.getValue()
    reactions: list[Reaction] = []
    ids: list[str] = []
    for index in range(model.getNumReactions()):
        reaction = model.getReaction(index)
        if reaction.getNumModifiers():
            raise context.refuse(
                reaction,
                f"modifier species {reaction.getModifier(0).getSpecies()!r} are not supported",
                "write catalysts as reactant and product",
            )
        if reaction.isSetFast() and reaction.getFast():
            raise context.refuse(reaction, "fast reactions are not supported", "set fast=false")
        if reaction.isSetCompartment() and reaction.getCompartment() != compartment:
            raise context.refuse(reaction, "the reaction names another compartment", "remove the attribute")
        reactants = make_terms(
            [
                _stoichiometry(context, reaction.getReactant(i), reaction)
                for i in range(reaction.getNumReactants())
            ]
        )
        products = make_terms(
            [
                _stoichiometry(context, reaction.getProduct(i), reaction)
                for i in range(reaction.getNumProducts())
            ]
        )
        local = dict(constants)
        law = reaction.getKineticLaw() if reaction.isSetKineticLaw() else None
        if law is not None:
            for kind in ("LocalParameter", "Parameter"):
                count = getattr(law, f"getNum{kind}s")()
                for i in range(count):
                    parameter = getattr(law, f"get{kind}")(i)
                    local[parameter.getId()] = parameter.getValue()
        terms = _law_terms(context, reaction)
        directions = [(reactants, products)] + ([(products, reactants)] if len(terms) == 2 else [])
        for term, (left, right) in zip(terms, directions, strict=True):
            constant, compartment_power, powers = _mass_action_term(
                context, term, reaction, local, compartment, species
            )
            if powers != dict(left):
                law_text = context.libsbml.formulaToL3String(term)
                side = "forward" if left is reactants else "backward"
                raise context.refuse(
                    reaction,
                    f"kinetic law term {law_text!r} is not mass action for the {side} reaction "
                    f"(powers of species {powers} differ from the stoichiometry {dict(left)})",
                    "raise each reactant to its stoichiometry",
                )
            # Rate of extent v = K V^c prod(s^n); d[s]/dt = v / V in concentrations, with
            # symbols denoting concentrations (or amounts, for hasOnlySubstanceUnits).
            rate = constant * size ** (compartment_power if in_amounts else compartment_power - 1)
            if not (math.isfinite(rate) and rate > 0):
                raise context.refuse(
                    reaction, f"rate constant {rate!r} must be finite and > 0", "give a positive constant"
                )
            reactions.append(Reaction(left, right, rate))
            ids.append(reaction.getId())
    return reactions, ids


def _parse_terms(text: str) -> list[tuple[str, int]]:
    terms = []
    for piece in filter(None, (part.strip() for part in text.split("+"))):
        count, _, name = piece.rpartition(" ")
        terms.append((name, int(count) if count else 1))
    return terms


def _same(value: float, exact: float) -> bool:
    return abs(value - exact) <= _SAME_NUMBER_RTOL * max(abs(exact), 1e-300)


def _apply_annotation(
    model: Any,
    reactions: list[Reaction],
    reaction_ids: list[str],
    initial: dict[str, float],
    source: str,
) -> tuple[list[Reaction], dict[str, float], tuple[Signal, ...], tuple[Signal, ...]]:
    """Signals and exact numbers from an nn2crn annotation, if the model has one."""
    if not model.isSetAnnotation():
        return reactions, initial, (), ()
    try:
        root = ElementTree.fromstring(model.getAnnotationString())
    except ElementTree.ParseError:
        return reactions, initial, (), ()
    block = root.find(f"{{{ANNOTATION_NS}}}crn")
    if block is None:
        return reactions, initial, (), ()
    signals: dict[str, list[Signal]] = {"input": [], "output": []}
    loaded = False
    rates: dict[str, float] = {}
    try:
        for element in block:
            kind = element.tag.rpartition("}")[2]
            if kind in signals:
                signals[kind].append(
                    Signal(
                        element.attrib["name"],
                        tuple(_parse_terms(element.attrib["positive"])),
                        tuple(_parse_terms(element.attrib.get("negative", ""))),
                        float(element.attrib.get("scale", "1")),
                    )
                )
            elif kind == "loaded":
                loaded = True
            elif kind == "amount":
                name, exact = element.attrib["species"], float(element.attrib["value"])
                if name in initial and _same(initial[name], exact):
                    initial[name] = exact
            elif kind == "rate":
                rates[element.attrib["reaction"]] = float(element.attrib["value"])
    except (KeyError, ValueError, CRNStructureError) as error:
        raise CRNFormatError(
            f"the nn2crn annotation is malformed ({error}); remove the <nn2crn:crn> annotation",
            source=source,
        ) from None
    exact_reactions = []
    for reaction, reaction_id in zip(reactions, reaction_ids, strict=True):
        exact_rate = rates.get(reaction_id)
        if exact_rate is not None and _same(reaction.rate, exact_rate):
            reaction = Reaction(reaction.reactants, reaction.products, exact_rate)
        exact_reactions.append(reaction)
    # Loaded input values are already in the initial amounts, so inputs are not declared again.
    inputs = () if loaded else tuple(signals["input"])
    return exact_reactions, initial, inputs, tuple(signals["output"])


def parse_sbml(text: str, source: str = "<string>") -> CRN:
    """Parse SBML text into a :class:`CRN` (see the module docstring for what is supported).

    Parameters
    ----------
    text : str
        The SBML document (XML).
    source : str
        Name used in error messages (usually the file path).

    Returns
    -------
    CRN

    Raises
    ------
    CRNFormatError
        Invalid SBML, or a construct nn2crn cannot represent; the message names
        ``source:line``, the SBML element and its id.
    SBMLExportError
        python-libsbml is not installed.
    """
    libsbml = _libsbml()
    context = _Context(source, libsbml)
    document = _read_document(text, source)
    model = document.getModel()
    _refuse_unsupported(context, document, model)
    compartment, size = _compartment_size(context, model)
    names, initial, in_amounts = _species(context, model, size)
    reactions, reaction_ids = _reactions(context, model, compartment, size, set(names), in_amounts)
    reactions, initial, inputs, outputs = _apply_annotation(model, reactions, reaction_ids, initial, source)
    try:
        return CRN(tuple(reactions), initial, inputs, outputs, tuple(names))
    except CRNStructureError as error:
        raise CRNFormatError(str(error), source=source) from None


def read_sbml(path: str | os.PathLike[str]) -> CRN:
    """Read an SBML file into a :class:`CRN`; see :func:`parse_sbml`.

    Examples
    --------
    >>> crn = read_sbml("model.xml")  # doctest: +SKIP
    """
    source = str(path)
    text = read_text_file(
        path,
        lambda message: CRNFormatError(message, source=source),
        missing_hint="give the path of an SBML (.xml) file",
        unreadable="cannot read file",
    )
    return parse_sbml(text, source=source)


__all__ = ["parse_sbml", "read_sbml"]
