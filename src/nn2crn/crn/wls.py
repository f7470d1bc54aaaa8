"""CRNSimulator files (Mathematica ``.wls`` / ``.m``): a parser for the subset CRNs use, and a writer.

Soloveichik's CRNSimulator package describes a reaction system as a Mathematica
list of ``rxn[reactants, products, k]``, ``revrxn[reactants, products, kf, kr]``
and ``conc[species, amount]`` (or ``conc[{s1, s2}, amount]``). The files this
module reads define one or more functions of the inputs::

    (* comments (* nest *) *)
    Needs["CRNSimulator`"];
    net[x0SposInitial_, x0SnegInitial_] := {
      conc[x0Spos, x0SposInitial], conc[x0Sneg, x0SnegInitial],
      rxn[x0Spos, y0Spos, 1], rxn[x0Sneg, y0Sneg, 1],
      rxn[a + b, c + 2 d, 1], rxn[0, a, 0.5], conc[b, 0.57]
    };

Statements are separated by ``;`` or end with their line. A statement is ``Needs["..."]`` (ignored),
``NAME[ARG_, ...] := {...}`` or ``NAME = {...}`` / ``NAME := {...}`` (no inputs).
A side of a reaction is ``0`` (nothing) or terms joined by ``+``, a term being
``[COUNT] NAME`` or ``COUNT * NAME`` with a positive integer COUNT. Numbers are
``12``, ``0.5``, ``2.5*^-7``.

The pattern arguments are the inputs: ``conc[S, ARG]`` loads the input value
into S. Rails are named by the suffixes ``Spos``/``Sneg``: arguments loading
``xSpos`` and ``xSneg`` become the dual-rail input ``x``; an argument loading
other species becomes a single-rail input named after the argument (without a
trailing ``Initial``). The outputs are the ``ySpos``/``ySneg`` pairs that some
reaction produces and no reaction consumes, declared as outputs ``y`` in natural
name order (``y2`` before ``y10``).

The file is tokenized and parsed, never evaluated; anything outside this subset
is refused with ``file:line:col``.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

from .._errors import CRNFormatError, CRNStructureError
from .._validation import read_text_file
from .crn import CRN, Reaction, Signal, Terms, make_terms

POSITIVE_SUFFIX = "Spos"
NEGATIVE_SUFFIX = "Sneg"
_ARGUMENT_SUFFIX = "Initial"

_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\f\v]+)
  | (?P<newline>\n)
  | (?P<comment>\(\*)
  | (?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:\*\^-?[0-9]+)?)
  | (?P<pattern>[A-Za-z][A-Za-z0-9]*_(?![A-Za-z0-9_]))
  | (?P<name>[A-Za-z][A-Za-z0-9]*)
  | (?P<string>"[^"\\\n]*")
  | (?P<op>:=|[=\[\]{},+*;])
    """,
    re.VERBOSE,
)

# Mathematica's one-letter built-in symbols; a species by that name would mean the built-in.
_RESERVED = frozenset({"C", "D", "E", "I", "K", "N", "O"})
_RESERVED_WORDS = frozenset({"rxn", "revrxn", "conc", "term", "Needs", "Null", "True", "False", "Pi"})


@dataclass(frozen=True)
class _Token:
    kind: str  # number, pattern, name, string, op, end
    text: str
    line: int
    column: int


def _tokenize(text: str, source: str) -> list[_Token]:
    lines = text.split("\n")
    tokens: list[_Token] = []
    position, line, line_start = 0, 1, 0

    def fail(message: str, at_line: int, at_column: int) -> None:
        raise CRNFormatError(
            message, source=source, line=at_line, column=at_column, text=lines[at_line - 1].rstrip("\r")
        )

    while position < len(text):
        match = _TOKEN.match(text, position)
        column = position - line_start + 1
        if match is None:
            fail(f"unexpected character {text[position]!r} (not in the CRNSimulator subset)", line, column)
            break  # unreachable: fail raises
        kind = match.lastgroup
        if kind == "newline":
            line, line_start = line + 1, match.end()
        elif kind == "comment":
            depth, cursor = 1, match.end()
            while depth:
                opening, closing = text.find("(*", cursor), text.find("*)", cursor)
                if closing < 0:
                    fail("comment '(*' is never closed with '*)'", line, column)
                if 0 <= opening < closing:
                    depth, cursor = depth + 1, opening + 2
                else:
                    depth, cursor = depth - 1, closing + 2
            skipped = text[match.end() : cursor]
            if "\n" in skipped:
                line += skipped.count("\n")
                line_start = match.end() + skipped.rfind("\n") + 1
            position = cursor
            continue
        elif kind != "space":
            tokens.append(_Token(kind or "", match.group(), line, column))
        position = match.end()
    tokens.append(_Token("end", "", line, position - line_start + 1))
    return tokens


@dataclass(frozen=True)
class WLSFunction:
    """One reaction-system function of a CRNSimulator file.

    Attributes
    ----------
    name : str
    arguments : tuple of str
        Pattern argument names (without ``_``), in order.
    line : int
        Line of the definition.
    crn : CRN
    """

    name: str
    arguments: tuple[str, ...]
    line: int
    crn: CRN


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.lines = text.split("\n")
        self.tokens = _tokenize(text, source)
        self.index = 0
        self.arguments: frozenset[str] = frozenset()

    def fail(self, message: str, token: _Token) -> CRNFormatError:
        return CRNFormatError(
            message,
            source=self.source,
            line=token.line,
            column=token.column,
            text=self.lines[token.line - 1].rstrip("\r") if token.line <= len(self.lines) else None,
        )

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def next(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.peek()
        return token.kind == kind and (text is None or token.text == text)

    def expect(self, kind: str, text: str | None, expected: str) -> _Token:
        token = self.peek()
        if not self.at(kind, text):
            found = "the end of the file" if token.kind == "end" else repr(token.text)
            raise self.fail(f"expected {expected}, found {found}", token)
        return self.next()

    # -- grammar -------------------------------------------------------------
    def file(self) -> list[WLSFunction]:
        functions: list[WLSFunction] = []
        while not self.at("end"):
            if self.at("op", ";"):
                self.next()
                continue
            function = self.statement()
            if function is not None:
                if any(f.name == function.name for f in functions):
                    first = next(f for f in functions if f.name == function.name)
                    raise CRNFormatError(
                        f"function {function.name!r} is defined twice (first on line {first.line})",
                        source=self.source,
                        line=function.line,
                    )
                functions.append(function)
            # As in Mathematica, a complete statement also ends at the end of its line.
            previous = self.tokens[self.index - 1]
            if not self.at("end") and not self.at("op", ";") and self.peek().line == previous.line:
                self.expect("op", ";", "';' between statements")
        return functions

    def statement(self) -> WLSFunction | None:
        head = self.expect("name", None, "a definition such as NAME[x0SposInitial_, ...] := { ... }")
        if head.text == "Needs":
            self.expect("op", "[", "'[' after Needs")
            self.expect("string", None, 'a package name such as "CRNSimulator`"')
            self.expect("op", "]", "']'")
            return None
        arguments: list[_Token] = []
        if self.at("op", "["):
            self.next()
            if not (self.at("pattern") or self.at("op", "]")):
                raise self.fail(
                    f"{head.text}[...] is not a definition; only NAME[ARG_, ...] := {{ ... }} and "
                    "NAME = { ... } are read (the file is parsed, never run)",
                    head,
                )
            while not self.at("op", "]"):
                arguments.append(self.expect("pattern", None, "a pattern argument such as x0SposInitial_"))
                if not self.at("op", "]"):
                    self.expect("op", ",", "',' or ']'")
            self.next()
            self.expect("op", ":=", "':=' after the pattern arguments")
        else:
            if not (self.at("op", "=") or self.at("op", ":=")):
                token = self.peek()
                found = "the end of the file" if token.kind == "end" else repr(token.text)
                raise self.fail(
                    f"expected '[' (pattern arguments), '=' or ':=' after {head.text!r}, found {found}; "
                    "only definitions of reaction systems are read",
                    token,
                )
            self.next()
        names = [token.text[:-1] for token in arguments]
        for token, name in zip(arguments, names, strict=True):
            if names.count(name) > 1:
                raise self.fail(f"pattern argument {name!r} appears twice", token)
        return self.body(head, names, arguments)

    def number(self, what: str) -> float:
        token = self.expect("number", None, what)
        mantissa, _, exponent = token.text.partition("*^")
        value = float(mantissa) * 10.0 ** int(exponent) if exponent else float(mantissa)
        if not math.isfinite(value):
            raise self.fail(f"number {token.text} is not finite", token)
        return value

    def count(self) -> int:
        token = self.peek()
        if token.kind != "number":
            return 1
        if not re.fullmatch(r"[0-9]+", token.text) or int(token.text) < 1:
            raise self.fail(
                f"stoichiometric coefficient must be a positive integer, found {token.text}", token
            )
        self.next()
        if self.at("op", "*"):
            self.next()
        return int(token.text)

    def species(self) -> _Token:
        token = self.expect("name", None, "a species name")
        if token.text in _RESERVED_WORDS:
            raise self.fail(f"{token.text!r} is not a species name here", token)
        if token.text in self.arguments:
            raise self.fail(
                f"{token.text!r} is a pattern argument (a number when the function runs), not a species",
                token,
            )
        return token

    def side(self) -> list[tuple[str, int]]:
        if self.at("number", "0"):
            self.next()
            return []
        terms = []
        while True:
            count = self.count()
            terms.append((self.species().text, count))
            if not self.at("op", "+"):
                return terms
            self.next()

    def rate(self) -> float:
        token = self.peek()
        value = self.number("a rate constant (a number > 0)")
        if value <= 0:
            raise self.fail(f"rate constant must be > 0, found {token.text}", token)
        return value

    def body(self, head: _Token, names: list[str], arguments: list[_Token]) -> WLSFunction:
        self.expect("op", "{", "'{' opening the list of rxn[...] and conc[...]")
        self.arguments = frozenset(names)
        reactions: list[Reaction] = []
        initial: dict[str, float] = {}
        loads: dict[str, list[str]] = {name: [] for name in names}
        concentration_lines: dict[str, int] = {}
        while not self.at("op", "}"):
            keyword = self.expect("name", None, "rxn[...], revrxn[...] or conc[...]")
            if keyword.text not in ("rxn", "revrxn", "conc"):
                raise self.fail(
                    f"{keyword.text!r} is not supported; only rxn[...], revrxn[...] and conc[...] are read",
                    keyword,
                )
            self.expect("op", "[", f"'[' after {keyword.text}")
            if keyword.text == "conc":
                targets = []
                if self.at("op", "{"):
                    self.next()
                    targets.append(self.species())
                    while self.at("op", ","):
                        self.next()
                        targets.append(self.species())
                    self.expect("op", "}", "',' or '}'")
                else:
                    targets.append(self.species())
                self.expect("op", ",", "',' and the amount")
                value_token = self.peek()
                if value_token.kind == "name" and value_token.text in loads:
                    self.next()
                    loads[value_token.text].extend(target.text for target in targets)
                elif value_token.kind == "name":
                    raise self.fail(
                        f"{value_token.text!r} is not a pattern argument of {head.text}; give a number "
                        "or one of " + (", ".join(names) or "(no arguments)"),
                        value_token,
                    )
                else:
                    amount = self.number("an amount (a number >= 0) or a pattern argument")
                    for target in targets:
                        if target.text in concentration_lines:
                            raise self.fail(
                                f"conc of {target.text!r} is given twice (first on line "
                                f"{concentration_lines[target.text]})",
                                target,
                            )
                        concentration_lines[target.text] = target.line
                        initial[target.text] = amount
            else:
                reactants = self.side()
                self.expect("op", ",", "',' between reactants and products")
                products = self.side()
                self.expect("op", ",", "',' and the rate constant")
                forward = self.rate()
                backward = None
                if keyword.text == "revrxn":
                    self.expect("op", ",", "',' and the reverse rate constant")
                    backward = self.rate()
                if not reactants and not products:
                    raise self.fail("a reaction needs at least one reactant or product", keyword)
                reactions.append(Reaction(tuple(reactants), tuple(products), forward))
                if backward is not None:
                    reactions.append(Reaction(tuple(products), tuple(reactants), backward))
            self.expect("op", "]", f"']' closing {keyword.text}")
            if not self.at("op", "}"):
                self.expect("op", ",", "',' or '}'")
                if self.at("op", "}"):
                    raise self.fail("expected rxn[...], revrxn[...] or conc[...], found '}'", self.peek())
        self.next()
        for token, name in zip(arguments, names, strict=True):
            if not loads[name]:
                raise self.fail(
                    f"pattern argument {name!r} is never loaded by a conc[SPECIES, {name}]", token
                )
        try:
            crn = _assemble(reactions, initial, names, loads)
        except CRNStructureError as error:
            raise CRNFormatError(
                f"function {head.text}: {error}", source=self.source, line=head.line
            ) from None
        return WLSFunction(head.text, tuple(names), head.line, crn)


def _rail(name: str) -> tuple[str, str] | None:
    for suffix, side in ((POSITIVE_SUFFIX, "positive"), (NEGATIVE_SUFFIX, "negative")):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], side
    return None


def _assemble(
    reactions: list[Reaction], initial: dict[str, float], names: list[str], loads: dict[str, list[str]]
) -> CRN:
    # Signal name -> {"single" | "positive" | "negative": species}, in argument order.
    sides: dict[str, dict[str, list[str]]] = {}
    for argument in names:
        species = loads[argument]
        rail = _rail(species[0]) if len(species) == 1 else None
        if rail is None:
            label = argument[: -len(_ARGUMENT_SUFFIX)] if argument.endswith(_ARGUMENT_SUFFIX) else argument
            base, side = label or argument, "single"
        else:
            base, side = rail
        entry = sides.setdefault(base, {})
        if entry and (side == "single" or "single" in entry or side in entry):
            raise CRNStructureError(f"two arguments load input {base!r}")
        entry[side] = species
    inputs = []
    for base, entry in sides.items():
        if "single" in entry:
            inputs.append(Signal(base, make_terms(entry["single"])))
        elif "positive" not in entry:
            raise CRNStructureError(
                f"input {base!r} has only a negative rail ({base}{NEGATIVE_SUFFIX}); load "
                f"{base}{POSITIVE_SUFFIX} too"
            )
        else:
            inputs.append(Signal(base, make_terms(entry["positive"]), make_terms(entry.get("negative", []))))
    consumed = {name for reaction in reactions for name, _ in reaction.reactants}
    produced: dict[str, None] = {}
    for reaction in reactions:
        for name, _ in reaction.products:
            produced[name] = None
    loaded = {name for species in loads.values() for name in species}
    outputs: dict[str, Signal] = {}
    for name in produced:
        rail = _rail(name)
        if rail is None or name in loaded:
            continue
        base = rail[0]
        positive, negative = base + POSITIVE_SUFFIX, base + NEGATIVE_SUFFIX
        if base in outputs or positive in consumed or negative in consumed:
            continue
        outputs[base] = Signal(base, ((positive, 1),), ((negative, 1),))
    ordered = sorted(outputs.values(), key=lambda signal: _natural_key(signal.name))
    return CRN(tuple(reactions), initial, tuple(inputs), tuple(ordered))


def _natural_key(name: str) -> list[int | str]:
    """``y2`` before ``y10``: digit runs compare as numbers."""
    return [int(piece) if piece.isdigit() else piece for piece in re.split(r"([0-9]+)", name)]


def parse_wls_functions(text: str, source: str = "<string>") -> tuple[WLSFunction, ...]:
    """Every reaction-system function defined in CRNSimulator text, in file order.

    Raises
    ------
    CRNFormatError
        Anything outside the supported subset, with ``source:line:col``.
    """
    return tuple(_Parser(text, source).file())


def parse_wls(text: str, source: str = "<string>", function: str | None = None) -> CRN:
    """The CRN of one function of CRNSimulator text.

    Parameters
    ----------
    text : str
        The ``.wls`` / ``.m`` file contents.
    source : str
        Name used in error messages.
    function : str, optional
        Which function to read; needed when the file defines several.

    Raises
    ------
    CRNFormatError
        A syntax error (``source:line:col``), no or several functions without
        `function`, or an unknown `function`.
    """
    functions = parse_wls_functions(text, source)
    names = ", ".join(f.name for f in functions)
    if not functions:
        raise CRNFormatError(
            "no reaction system is defined; expected NAME[ARG_, ...] := { rxn[...], conc[...], ... }",
            source=source,
        )
    if function is None:
        if len(functions) > 1:
            raise CRNFormatError(
                f"the file defines {len(functions)} functions ({names}); pick one with --function NAME",
                source=source,
            )
        return functions[0].crn
    for candidate in functions:
        if candidate.name == function:
            return candidate.crn
    raise CRNFormatError(f"no function {function!r}; the file defines {names}", source=source)


def read_wls(path: str | os.PathLike[str], function: str | None = None) -> CRN:
    """Read a CRNSimulator ``.wls`` / ``.m`` file; see :func:`parse_wls`.

    Examples
    --------
    >>> crn = read_wls("net.wls", function="net")  # doctest: +SKIP
    """
    source = str(path)
    text = read_text_file(
        path,
        lambda message: CRNFormatError(message, source=source),
        missing_hint="give the path of a CRNSimulator .wls or .m file",
        unreadable="cannot read file",
    )
    return parse_wls(text, source=source, function=function)


# -- writing --------------------------------------------------------------------
def _single_species(side: Terms) -> str | None:
    return side[0][0] if len(side) == 1 and side[0][1] == 1 else None


def wls_species_names(crn: CRN) -> dict[str, str]:
    """The Mathematica symbol :func:`format_wls` gives each species.

    Rails of a signal ``s`` whose sides are single species become ``sSpos`` and
    ``sSneg``; other names lose underscores (``z1_0p`` → ``z1U0p``), and a name
    that would clash (a built-in such as ``D``, a ``Spos``/``Sneg`` suffix, or
    another name) gets ``X`` appended.

    Raises
    ------
    CRNStructureError
        A signal whose side is not one species with count 1, or a species that is
        a rail of two signals.
    """
    mapping: dict[str, str] = {}
    for signal in (*crn.inputs, *crn.outputs):
        rails = [(signal.positive, POSITIVE_SUFFIX), (signal.negative, NEGATIVE_SUFFIX)]
        for side, suffix in rails:
            if not side:
                continue
            name = _single_species(side)
            if name is None:
                raise CRNStructureError(
                    f"signal {signal.name}: CRNSimulator files name rails by species, so each side must be "
                    f"one species with count 1, got {side}"
                )
            symbol = signal.name.replace("_", "U") + suffix
            if mapping.get(name, symbol) != symbol:
                raise CRNStructureError(
                    f"species {name!r} is a rail of two signals; CRNSimulator cannot say so"
                )
            mapping[name] = symbol
    taken = set(mapping.values())
    for name in crn.species:
        if name in mapping:
            continue
        symbol = name.replace("_", "U")
        if not symbol[0].isalpha():
            symbol = "s" + symbol
        while symbol in taken or symbol in _RESERVED or symbol in _RESERVED_WORDS or _rail(symbol):
            symbol += "X"
        taken.add(symbol)
        mapping[name] = symbol
    return mapping


def _wls_number(value: float) -> str:
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        # "1.*^-7" is a machine real in Mathematica; "1*^-7" would be an exact rational.
        mantissa = mantissa if "." in mantissa else mantissa + "."
        return f"{mantissa}*^{int(exponent)}"
    return text


def _wls_side(terms: Terms, names: dict[str, str]) -> str:
    if not terms:
        return "0"
    return " + ".join(names[name] if count == 1 else f"{count} {names[name]}" for name, count in terms)


def format_wls(crn: CRN, function: str = "crn", *, header: str | None = None) -> str:
    """A CRNSimulator file defining ``function[inputs...] := {conc[...], rxn[...], ...}``.

    Each dual-rail input ``x`` takes two arguments ``xSposInitial_`` and
    ``xSnegInitial_`` (the amounts of its rails; a single-rail input only the
    first); species are renamed as :func:`wls_species_names` says, so that
    :func:`parse_wls` reads the file back to the same CRN under that renaming.

    Raises
    ------
    CRNStructureError
        The function name is not a Mathematica symbol, a signal is not one
        species per rail, or an input rail has a fixed ``@initial`` amount.
    """
    from .. import __version__

    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", function) or function in _RESERVED_WORDS | _RESERVED:
        raise CRNStructureError(
            f"function name {function!r} must be a Mathematica symbol (letters and digits, starting with a "
            "letter) and not a CRNSimulator or built-in name"
        )
    names = wls_species_names(crn)
    if function in names.values():
        raise CRNStructureError(f"function name {function!r} is also a species name; choose another")
    arguments, loads = [], []
    for signal in crn.inputs:
        for side in (signal.positive, signal.negative):
            if not side:
                continue
            species = side[0][0]
            if species in crn.initial:
                raise CRNStructureError(
                    f"input {signal.name}: rail {species} has a fixed @initial amount, which a CRNSimulator "
                    "pattern argument cannot add to"
                )
            argument = names[species] + _ARGUMENT_SUFFIX
            arguments.append(argument)
            loads.append(f"conc[{names[species]}, {argument}]")
    lines = [f"(* generated by nn2crn {__version__}: a CRNSimulator (Soloveichik) reaction system."]
    if header:
        lines.extend(f"   {line}" for line in header.splitlines())
    for kind, signals in (("input", crn.inputs), ("output", crn.outputs)):
        for signal in signals:
            text = f"   {kind} {signal.name} = {names[signal.positive[0][0]]}"
            if signal.negative:
                text += f" - {names[signal.negative[0][0]]}"
            lines.append(text)
    if crn.inputs:
        lines.append(
            "   A value v >= 0 of a dual-rail input loads v on its Spos rail (Sneg 0); v < 0 loads -v"
        )
        lines.append("   on its Sneg rail. Run for example:")
        example = ", ".join("0" for _ in arguments)
        lines.append(f"   sol = SimulateRxnsys[{function}[{example}], 200]")
    else:
        lines.append(f"   Run for example: sol = SimulateRxnsys[{function}, 200]")
    lines.append("*)")
    lines.append('Needs["CRNSimulator`"];')
    items = list(loads)
    for reaction in crn.reactions:
        items.append(
            f"rxn[{_wls_side(reaction.reactants, names)}, {_wls_side(reaction.products, names)}, "
            f"{_wls_number(reaction.rate)}]"
        )
    items.extend(f"conc[{names[name]}, {_wls_number(amount)}]" for name, amount in crn.initial.items())
    signature = f"{function}[{', '.join(a + '_' for a in arguments)}] :=" if arguments else f"{function} ="
    lines.append(signature + " {")
    lines.extend(f"  {item}," for item in items[:-1])
    if items:
        lines.append(f"  {items[-1]}")
    lines.append("};")
    return "\n".join(lines) + "\n"


def rename_species(crn: CRN, names: dict[str, str]) -> CRN:
    """A copy of `crn` with species renamed by `names` (a species not in it keeps its name)."""

    def terms(side: Terms) -> Terms:
        return tuple((names.get(name, name), count) for name, count in side)

    return CRN(
        tuple(Reaction(terms(r.reactants), terms(r.products), r.rate) for r in crn.reactions),
        {names.get(name, name): amount for name, amount in crn.initial.items()},
        tuple(Signal(s.name, terms(s.positive), terms(s.negative), s.scale) for s in crn.inputs),
        tuple(Signal(s.name, terms(s.positive), terms(s.negative), s.scale) for s in crn.outputs),
        tuple(names.get(name, name) for name in crn.species),
        raw_inputs=crn.raw_inputs,
    )


__all__ = [
    "WLSFunction",
    "format_wls",
    "parse_wls",
    "parse_wls_functions",
    "read_wls",
    "rename_species",
    "wls_species_names",
]
