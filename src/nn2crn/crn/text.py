"""The `.crn` text format (documented in docs/formats.md).

Reactions follow the Nuskell/crnverifier syntax::

    # comment
    A + 2 B -> C + D [k = 0.5]; C <=> D [kf = 1, kr = 2]
    A @initial 1.25
    input x0 = x0p - x0n
    output y0 = (y0p + y0q) - y0n
    output y1 = y1p - y1n [scale = 12]     # the species hold 12 x the value

Every syntax error raises :class:`CRNFormatError` with ``file:line:col``, the
line and a caret under the offending token.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from itertools import chain, repeat
from operator import itemgetter
from typing import NoReturn, cast

from .._errors import CRNFormatError, CRNStructureError
from .._limits import MAX_AMOUNT, MAX_COEFFICIENT, MAX_NUMBER_CHARS
from .._validation import read_text_file
from .crn import CRN, RawInputs, Reaction, Signal, Terms, format_terms

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<initial>@initial\b|@i\b)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=>|->|[-+=()\[\],/])
    """,
    re.VERBOSE,
)

# The regular lines format_crn writes, recognized whole by one regex each (the fast path
# of parse_crn): ``A + 2 B -> C [k = 0.5]`` (either side may be empty) and ``A @initial 1``.
# Counts of 1 to 6 digits stay below MAX_COEFFICIENT; anything else takes the general parser.
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_NUMBER = r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?"
_FAST_SIDE = rf"(?:[1-9][0-9]{{0,5}} )?{_NAME}(?: \+ (?:[1-9][0-9]{{0,5}} )?{_NAME})*"
_FAST_REACTION = re.compile(rf"(?:({_FAST_SIDE}) )?->(?: ({_FAST_SIDE}))? \[k = ({_NUMBER})\]")
_FAST_INITIAL = re.compile(rf"({_NAME}) @initial ({_NUMBER})")

_KEYWORD = re.compile(r"\s*(input|output)\s+[A-Za-z_][A-Za-z0-9_]*\s*=")
_TRANSFORM = re.compile(r"\s*transform\s+[A-Za-z_][A-Za-z0-9_]*\s*=")


@dataclass(frozen=True)
class _Token:
    kind: str  # number, initial, name, op, end
    text: str
    column: int  # 1-based


class _Statement:
    """Cursor over the tokens of one `;`-separated statement."""

    def __init__(self, text: str, offset: int, line_text: str, line_number: int, source: str) -> None:
        self.line_text = line_text
        self.line_number = line_number
        self.source = source
        self.tokens: list[_Token] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                self.error(f"unexpected character {text[position]!r}", offset + position + 1)
            if match.lastgroup != "space":
                # Every alternative of _TOKEN is a named group, so a match always names one.
                kind = cast(str, match.lastgroup)
                self.tokens.append(_Token(kind, match.group(), offset + position + 1))
            position = match.end()
        self.tokens.append(_Token("end", "", offset + len(text.rstrip()) + 1))
        self.index = 0

    def error(self, message: str, column: int) -> NoReturn:
        raise CRNFormatError(
            message,
            source=self.source,
            line=self.line_number,
            column=column,
            text=self.line_text.rstrip("\n"),
        )

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def next(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def expect(self, kind: str, text: str | None, expected: str) -> _Token:
        token = self.peek()
        if token.kind != kind or (text is not None and token.text != text):
            found = "end of statement" if token.kind == "end" else repr(token.text)
            self.error(f"expected {expected}, found {found}", token.column)
        return self.next()

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.peek()
        return token.kind == kind and (text is None or token.text == text)

    def number(self, what: str) -> float:
        token = self.expect("number", None, what)
        if len(token.text) > MAX_NUMBER_CHARS:
            self.error(
                f"number of {len(token.text)} characters; the limit is {MAX_NUMBER_CHARS}", token.column
            )
        return float(token.text)

    def count(self) -> int:
        token = self.peek()
        if token.kind == "number":
            digits = token.text.lstrip("0")
            if not re.fullmatch(r"[0-9]+", token.text) or not digits:
                self.error(
                    f"stoichiometric coefficient must be a positive integer, found {token.text[:20]!r}",
                    token.column,
                )
            if len(digits) > len(str(MAX_COEFFICIENT)) or int(digits) > MAX_COEFFICIENT:
                self.error(
                    f"stoichiometric coefficient {token.text[:20]} is above the limit of {MAX_COEFFICIENT:,}",
                    token.column,
                )
            self.next()
            return int(token.text)
        return 1

    def term(self) -> tuple[str, int]:
        count = self.count()
        name = self.expect("name", None, "a species name")
        return name.text, count

    def side(self, stop: set[str]) -> list[tuple[str, int]]:
        """Zero or more terms joined by '+', ending at an op in `stop` or the end."""
        terms: list[tuple[str, int]] = []
        if self.at("end") or (self.peek().kind == "op" and self.peek().text in stop):
            return terms
        terms.append(self.term())
        while self.at("op", "+"):
            self.next()
            terms.append(self.term())
        return terms


def _split_statements(line: str) -> list[tuple[str, int]]:
    """Split a comment-free line on ';', returning (text, 0-based offset)."""
    pieces, start = [], 0
    for index, char in enumerate(line):
        if char == ";":
            pieces.append((line[start:index], start))
            start = index + 1
    pieces.append((line[start:], start))
    return [(text, offset) for text, offset in pieces if text.strip()]


def _parse_rates(statement: _Statement, reversible: bool) -> tuple[float, float]:
    forward = backward = 1.0
    if not statement.at("op", "["):
        return forward, backward
    statement.next()
    seen: dict[str, float] = {}
    position = 0
    while True:
        token = statement.peek()
        if token.kind == "name":
            key = statement.next().text
            allowed = ("kf", "kr") if reversible else ("k",)
            if key not in allowed:
                statement.error(f"unknown rate name {key!r}; expected {' or '.join(allowed)}", token.column)
            statement.expect("op", "=", "'=' after the rate name")
        elif token.kind == "number":
            key = ("kf", "kr")[position] if reversible and position < 2 else "k"
        else:
            statement.error("expected a rate such as 'k = 0.5' inside [ ]", token.column)
        value_token = statement.peek()
        value = statement.number("a rate constant (a positive number)")
        if not (math.isfinite(value) and value > 0):
            statement.error(f"rate constant must be > 0, found {value_token.text}", value_token.column)
        if key in seen:
            statement.error(f"rate {key!r} given twice", token.column)
        seen[key] = value
        position += 1
        if statement.at("op", ","):
            statement.next()
            continue
        statement.expect("op", "]", "',' or ']' to close the rates")
        break
    if reversible:
        return seen.get("kf", 1.0), seen.get("kr", 1.0)
    return seen.get("k", 1.0), backward


def _parse_signal_side(statement: _Statement) -> list[tuple[str, int]]:
    if statement.at("op", "("):
        statement.next()
        terms = [statement.term()]
        while statement.at("op", "+"):
            statement.next()
            terms.append(statement.term())
        statement.expect("op", ")", "'+' or ')'")
        return terms
    terms = [statement.term()]
    while statement.at("op", "+"):
        statement.next()
        terms.append(statement.term())
    return terms


def _parse_transform(
    statement: _Statement, transforms: dict[str, tuple[str, float, float, _Statement]]
) -> None:
    """``transform x0 = (feature - MEAN) / SCALE``; ``+ MEAN`` for a negative mean, ``/ -SCALE`` allowed."""
    statement.next()
    name_token = statement.next()
    statement.expect("op", "=", "'='")
    statement.expect("op", "(", "'(' opening '(feature - mean) / scale'")
    feature = statement.expect("name", None, "the raw feature's name").text
    sign = statement.peek()
    if not (sign.kind == "op" and sign.text in ("+", "-")):
        statement.error("expected '-' or '+' and the mean, as in (feature - 5.8) / 0.8", sign.column)
    statement.next()
    mean = statement.number("the feature's mean (a number)") * (-1.0 if sign.text == "+" else 1.0)
    statement.expect("op", ")", "')'")
    statement.expect("op", "/", "'/' and the scale, as in (feature - 5.8) / 0.8")
    negative = statement.at("op", "-")
    if negative:
        statement.next()
    scale_token = statement.peek()
    scale = statement.number("the feature's scale (a non-zero number)") * (-1.0 if negative else 1.0)
    if not (math.isfinite(mean) and math.isfinite(scale) and scale != 0):
        statement.error("mean and scale must be finite and the scale non-zero", scale_token.column)
    statement.expect("end", None, "the end of the transform line")
    if name_token.text in transforms:
        statement.error(f"transform of {name_token.text!r} is given twice", name_token.column)
    transforms[name_token.text] = (feature, mean, scale, statement)


class _CountValues(dict[str, int]):
    """Count text -> int, filled on first use; ``""`` (no count written) is 1."""

    def __missing__(self, text: str) -> int:
        value = int(text) if text else 1
        self[text] = value
        return value


def _fast_terms(side: str | None, count_values: _CountValues) -> Terms | None:
    """Terms of one side matched by _FAST_REACTION; None when a species repeats (make_terms adds up)."""
    if side is None:
        return ()
    if " " not in side:
        return ((side, 1),)
    parts = side.split(" + ")
    if side.count(" ") == 2 * len(parts) - 2:
        # No counts written (every term 1): the per-term work stays in C.
        names: list[str] | tuple[str, ...] = parts
        terms = tuple(zip(parts, repeat(1)))
    else:
        # "2 A" -> ("2", " ", "A"); "A" -> ("", "", "A"), whose count text "" is 1.
        counts, _, names = zip(*map(str.rpartition, parts, repeat(" ")), strict=True)
        terms = tuple(zip(names, map(count_values.__getitem__, counts), strict=True))
    if len(names) > 1 and len(set(names)) != len(names):
        return None
    return terms


def _fast_reaction(
    match: re.Match[str], rate_values: dict[str, float], count_values: _CountValues
) -> Reaction | None:
    """The reaction of a line matched by _FAST_REACTION, or None when the general parser must decide."""
    reactant_text, product_text, rate_text = match.groups()
    rate = rate_values.get(rate_text)
    if rate is None:
        rate = float(rate_text)
        if not (len(rate_text) <= MAX_NUMBER_CHARS and 0 < rate < math.inf):
            return None
        rate_values[rate_text] = rate
    reactants = _fast_terms(reactant_text, count_values)
    products = _fast_terms(product_text, count_values)
    if reactants is None or products is None or not (reactants or products):
        return None
    # Validated above exactly as Reaction.__post_init__ would: distinct names, counts in 1..999,999.
    return Reaction._trusted(reactants, products, rate)


def _raw_inputs(
    transforms: dict[str, tuple[str, float, float, _Statement]], inputs: list[Signal], source: str
) -> RawInputs | None:
    """The recorded input transform, one ``transform`` line per declared input (or none at all)."""
    if not transforms:
        return None
    declared = [signal.name for signal in inputs]
    for name, (_, _, _, statement) in transforms.items():
        if name not in declared:
            statement.error(f"transform of {name!r}, which no input line declares", 1)
    missing = [name for name in declared if name not in transforms]
    if missing:
        raise CRNFormatError(
            f"transform lines are given for some inputs but not for {', '.join(missing[:4])}; "
            f"give one per input or none",
            source=source,
        )
    features = [transforms[name][0] for name in declared]
    if len(set(features)) != len(features):
        raise CRNFormatError("two transform lines read the same raw feature", source=source)
    return RawInputs(
        tuple(features),
        tuple(transforms[name][1] for name in declared),
        tuple(transforms[name][2] for name in declared),
    )


def parse_crn(text: str, source: str = "<string>") -> CRN:
    """Parse `.crn` text into a :class:`CRN`.

    Parameters
    ----------
    text : str
        The file contents.
    source : str
        Name used in error messages (usually the file path).

    Raises
    ------
    CRNFormatError
        With ``source:line:col`` and what was expected.
    """
    return _parse_crn(text, source, fast=True)


def _parse_crn(text: str, source: str, *, fast: bool) -> CRN:
    """parse_crn; ``fast=False`` sends every line through the general parser (tests compare both)."""
    reactions: list[Reaction] = []
    initial: dict[str, float] = {}
    inputs: list[Signal] = []
    outputs: list[Signal] = []
    signal_lines: dict[tuple[str, str], int] = {}
    signal_species: list[tuple[str, str, int, str]] = []
    transforms: dict[str, tuple[str, float, float, _Statement]] = {}

    def parse_line_carefully(line_number: int, raw_line: str) -> None:
        """The general parser: every statement of one line, with file:line:col errors."""
        line = raw_line.split("#", 1)[0]
        for statement_text, offset in _split_statements(line):
            statement = _Statement(statement_text, offset, raw_line, line_number, source)
            if _TRANSFORM.match(statement_text):
                _parse_transform(statement, transforms)
                continue
            keyword = _KEYWORD.match(statement_text)
            if keyword:
                kind = statement.next().text
                name_token = statement.next()
                statement.expect("op", "=", "'='")
                positive = _parse_signal_side(statement)
                negative: list[tuple[str, int]] = []
                if statement.at("op", "-"):
                    statement.next()
                    negative = _parse_signal_side(statement)
                scale = 1.0
                if statement.at("op", "["):
                    statement.next()
                    scale_token = statement.expect("name", "scale", "'scale' inside [ ]")
                    if kind != "output":
                        statement.error("only outputs carry a scale", scale_token.column)
                    statement.expect("op", "=", "'=' after scale")
                    value_token = statement.peek()
                    scale = statement.number("a scale (a positive number)")
                    if not (math.isfinite(scale) and scale > 0):
                        statement.error(f"scale must be > 0, found {value_token.text}", value_token.column)
                    statement.expect("op", "]", "']' to close the scale")
                statement.expect(
                    "end", None, "'-' followed by the negative side, '[scale = N]', or the end of the line"
                )
                key = (kind, name_token.text)
                if key in signal_lines:
                    statement.error(
                        f"{kind} {name_token.text!r} is already declared on line {signal_lines[key]}",
                        name_token.column,
                    )
                signal_lines[key] = line_number
                (inputs if kind == "input" else outputs).append(
                    Signal(name_token.text, tuple(positive), tuple(negative), scale)
                )
                signal_species.extend(
                    (name, kind, line_number, raw_line) for name, _ in (*positive, *negative)
                )
                continue
            if len(statement.tokens) >= 2 and statement.tokens[1].kind == "initial":
                name_token = statement.expect("name", None, "a species name")
                statement.next()
                if statement.at("op", "-"):
                    statement.error("initial amounts must be >= 0", statement.peek().column)
                amount_token = statement.peek()
                amount = statement.number("an initial amount (a number >= 0)")
                if not math.isfinite(amount):
                    statement.error("initial amount must be finite", amount_token.column)
                if amount > MAX_AMOUNT:
                    statement.error(
                        f"initial amount {amount_token.text} is above the limit of {MAX_AMOUNT:g}",
                        amount_token.column,
                    )
                statement.expect("end", None, "the end of the statement after the amount")
                if name_token.text in initial:
                    statement.error(
                        f"initial amount of {name_token.text!r} is given twice", name_token.column
                    )
                initial[name_token.text] = amount
                continue
            reactants = statement.side({"->", "<=>"})
            arrow = statement.peek()
            if not (arrow.kind == "op" and arrow.text in ("->", "<=>")):
                found = "end of statement" if arrow.kind == "end" else repr(arrow.text)
                statement.error(
                    f"expected '->' or '<=>' (or '@initial', or an 'input'/'output' line), found {found}",
                    arrow.column,
                )
            statement.next()
            products = statement.side({"["})
            reversible = arrow.text == "<=>"
            forward, backward = _parse_rates(statement, reversible)
            statement.expect("end", None, "'+', '[rates]' or the end of the reaction")
            if not reactants and not products:
                statement.error("a reaction needs at least one reactant or product", arrow.column)
            reactions.append(Reaction(tuple(reactants), tuple(products), forward))
            if reversible:
                reactions.append(Reaction(tuple(products), tuple(reactants), backward))

    rate_values: dict[str, float] = {}
    count_values = _CountValues()
    for line_number, raw_line in enumerate(text.splitlines(), start=1):
        if not fast:
            parse_line_carefully(line_number, raw_line)
            continue
        # Fast path: the regular lines nn2crn itself writes (most of any big file). A line
        # it does not recognize, or one whose values need a check to fail, goes to the
        # general parser, which gives the same result or the error with file:line:col.
        match = _FAST_REACTION.fullmatch(raw_line)
        if match is not None:
            reaction = _fast_reaction(match, rate_values, count_values)
            if reaction is not None:
                reactions.append(reaction)
                continue
        elif raw_line[:1] == "#" or not raw_line:
            continue
        else:
            match = _FAST_INITIAL.fullmatch(raw_line)
            if match is not None:
                name, amount_text = match.groups()
                amount = float(amount_text)
                if len(amount_text) <= MAX_NUMBER_CHARS and amount <= MAX_AMOUNT and name not in initial:
                    initial[name] = amount
                    continue
        parse_line_carefully(line_number, raw_line)
    # A species named only by an input/output line is almost always a typo; format_crn
    # writes an explicit ``@initial 0`` for a deliberate one.
    known = set(initial)
    if signal_species:
        sides = chain.from_iterable((reaction.reactants, reaction.products) for reaction in reactions)
        known.update(map(itemgetter(0), chain.from_iterable(sides)))
    for name, kind, line_number, raw_line in signal_species:
        if name not in known:
            raise CRNFormatError(
                f"{kind} line names species {name!r}, which no reaction uses; fix the name, or declare it "
                f"with '{name} @initial 0' if it is meant to stay unused",
                source=source,
                line=line_number,
                column=raw_line.find(name) + 1 if name in raw_line else None,
                text=raw_line.rstrip("\n"),
            )
    raw_inputs = _raw_inputs(transforms, inputs, source)
    try:
        return CRN(tuple(reactions), initial, tuple(inputs), tuple(outputs), raw_inputs=raw_inputs)
    except CRNStructureError as error:
        raise CRNFormatError(str(error), source=source) from None


def read_crn(path: str | os.PathLike[str]) -> CRN:
    """Read a `.crn` file. Missing or unreadable files raise :class:`CRNFormatError`."""
    source = str(path)
    text = read_text_file(
        path,
        lambda message: CRNFormatError(message, source=source),
        missing_hint="give the path of a .crn file",
        unreadable="cannot read file",
    )
    return parse_crn(text, source=source)


def format_number(value: float) -> str:
    """Shortest text that reads back to the same float, in crnverifier's number grammar."""
    value = float(value)
    if value.is_integer():
        # Plain digits: crnverifier cannot read integral values in e-notation.
        return str(int(value))
    return repr(value)


def _format_side(terms: Terms) -> str:
    if len(terms) == 1:
        return format_terms(terms)
    return f"({format_terms(terms)})"


def _format_signal(kind: str, signal: Signal) -> str:
    text = f"{kind} {signal.name} = {_format_side(signal.positive)}"
    if signal.negative:
        text += f" - {_format_side(signal.negative)}"
    if signal.scale != 1.0:
        text += f" [scale = {format_number(signal.scale)}]"
    return text


def _format_transforms(crn: CRN) -> list[str]:
    if crn.raw_inputs is None:
        return []
    raw = crn.raw_inputs
    lines = []
    for signal, feature, mean, scale in zip(crn.inputs, raw.features, raw.mean, raw.scale, strict=True):
        shift = f"- {abs(mean)!r}" if mean >= 0 else f"+ {-mean!r}"
        lines.append(f"transform {signal.name} = ({feature} {shift}) / {scale!r}")
    return lines


def format_crn(crn: CRN, *, plain: bool = False, header: str | None = None) -> str:
    """The `.crn` text of `crn`; `plain` omits input/output lines (crnverifier/Nuskell compatible)."""
    from .._version import __version__

    lines = [f"# generated by nn2crn {__version__}"]
    if header:
        lines.extend(f"# {line}" for line in header.splitlines())
    lines.append(
        f"# {crn.n_species} species, {crn.n_reactions} reactions, {crn.n_inputs} inputs, {crn.n_outputs} outputs"
    )
    if plain and crn.inputs:
        lines.append("# plain: input/output declarations omitted; inputs load onto:")
        for signal in crn.inputs:
            lines.append(f"#   {_format_signal('input', signal)}")
        for signal in crn.outputs:
            lines.append(f"#   {_format_signal('output', signal)}")
    if not plain and (crn.inputs or crn.outputs):
        lines.append("")
        lines.extend(_format_signal("input", signal) for signal in crn.inputs)
        lines.extend(_format_signal("output", signal) for signal in crn.outputs)
        lines.extend(_format_transforms(crn))
    if crn.reactions:
        lines.append("")
        for reaction in crn.reactions:
            text = f"{format_terms(reaction.reactants)} -> {format_terms(reaction.products)}".strip()
            lines.append(f"{text} [k = {format_number(reaction.rate)}]")
    # Plain text has no signal lines, so their species need no declaration there.
    mentioned: set[str] = (
        {name for signal in (*crn.inputs, *crn.outputs) for name, _ in (*signal.positive, *signal.negative)}
        if plain
        else set()
    )
    for reaction in crn.reactions:
        mentioned.update(name for name, _ in reaction.reactants)
        mentioned.update(name for name, _ in reaction.products)
    # A species in no reaction is kept with an explicit zero, so it reads back.
    isolated = [name for name in crn.species if name not in mentioned and name not in crn.initial]
    if crn.initial or isolated:
        lines.append("")
        lines.extend(f"{name} @initial {format_number(amount)}" for name, amount in crn.initial.items())
        lines.extend(f"{name} @initial 0" for name in isolated)
    return "\n".join(lines) + "\n"


def write_crn(
    crn: CRN, path: str | os.PathLike[str], *, plain: bool = False, header: str | None = None
) -> None:
    """Write `crn` to `path` atomically (a failed write never leaves a half-written file)."""
    from .._writing import write_output

    write_output(path, format_crn(crn, plain=plain, header=header))
