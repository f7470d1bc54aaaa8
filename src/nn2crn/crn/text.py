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
from itertools import chain
from typing import NoReturn, cast

import numpy as np

from .._errors import CRNFormatError, CRNStructureError
from .._limits import MAX_AMOUNT, MAX_COEFFICIENT, MAX_LINE_CHARS, MAX_NUMBER_CHARS
from .._validation import decode_text, read_file_bytes
from . import _crn_native
from .crn import CRN, RawInputs, Reaction, ReactionArrays, Signal, Terms, TermsCSR, format_terms

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


_FAST_TERM = re.compile(rf"(?:([1-9][0-9]{{0,5}}) )?({_NAME})")
_FAST_RATE = re.compile(_NUMBER)


class _Irregular(Exception):
    """A line the fast path does not take: the general parser decides (and words any error)."""


class _SpeciesIds(dict[str, int]):
    """Species name -> provisional id, in order of first appearance in the reactions."""

    def __missing__(self, name: str) -> int:
        value = self[name] = len(self)
        return value


class _TermTable(dict[str, tuple[str, int]]):
    """Term text as format_crn writes it (``2 A``, ``B``) -> the term ``(name, count)``.

    Each distinct text is validated once, on first use, so a big file costs two
    dictionary look-ups per term: this one, whose shared tuples make the reactions'
    terms, and `codes`, which makes the sparse matrices.
    """

    def __init__(self, ids: _SpeciesIds) -> None:
        super().__init__()
        self.ids = ids
        self.codes: dict[str, int] = {}
        self.counts: dict[str, int] = {}

    def __missing__(self, text: str) -> tuple[str, int]:
        match = _FAST_TERM.fullmatch(text)
        if match is None:
            raise _Irregular
        count_text, name = match.groups()
        return self.add(text, name, int(count_text) if count_text else 1)

    def add(self, text: str, name: str, count: int) -> tuple[str, int]:
        term = self[text] = (name, count)
        self.codes[text] = self.ids[name]
        self.counts[text] = count  # a sum of counts may pass MAX_COEFFICIENT (general parser)
        return term

    def key(self, name: str, count: int) -> str:
        """The text of a term the general parser read (registered on first use)."""
        text = name if count == 1 else f"{count} {name}"
        if text not in self:
            self.add(text, name, count)
        return text


def _fast_side(text: str, table: _TermTable, parts_out: list[str]) -> Terms:
    """The terms of one side as format_crn writes it; _Irregular for anything else."""
    parts = text.split(" + ")
    terms = tuple(map(table.__getitem__, parts))
    parts_out.extend(parts)
    return terms


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


def _parse_crn(text: str, source: str, *, fast: bool, readers: tuple[str, ...] | None = None) -> CRN:
    """parse_crn; ``fast=False`` sends every line through the general parser (tests compare both).
    `readers`: the fast readers to try (default _FAST_READERS)."""
    if fast:
        crn = _parse_regular(text, source, _FAST_READERS if readers is None else readers)
        if crn is not None:
            return crn
    statements = _read_statements(text, source, fast=fast)
    _check_signal_species(statements.signal_species, set(statements.initial) | set(statements.ids), source)
    try:
        return _build_crn(statements)
    except CRNStructureError as error:
        raise CRNFormatError(str(error), source=source) from None


# Byte classes of the vectorized tokenizer (bytes.translate): 0 refused, 1 letter or _,
# 2 digit, 4 '+', 8 space, 24 newline; bit 8 marks the separators between tokens.
_LETTER, _DIGIT, _PLUS, _SPACE, _NEWLINE = 1, 2, 4, 8, 24
_CLASS_TABLE = bytearray(256)
for _byte in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_":
    _CLASS_TABLE[_byte] = _LETTER
for _byte in b"0123456789":
    _CLASS_TABLE[_byte] = _DIGIT
_CLASS_TABLE[ord("+")], _CLASS_TABLE[ord(" ")], _CLASS_TABLE[ord("\n")] = _PLUS, _SPACE, _NEWLINE
_BYTE_CLASSES = bytes(_CLASS_TABLE)
_MAX_FAST_NAME = 32  # longer names take the per-line path
_VECTOR_MIN_REACTIONS = 64  # fewer reaction lines: the per-line path (tests set 0 to cover this one)
# Allowed (piece, next piece) kinds, indexed kind * 32 + next kind (0 is an empty side).
_ACROSS_SPACE = np.zeros(32 * 32, dtype=bool)
_ACROSS_SPACE[[_DIGIT * 32 + _LETTER, _LETTER * 32 + _PLUS, _PLUS * 32 + _DIGIT, _PLUS * 32 + _LETTER]] = True
_ACROSS_NEWLINE = np.zeros(32 * 32, dtype=bool)
_ACROSS_NEWLINE[[a * 32 + b for a in (0, _LETTER) for b in (0, _DIGIT, _LETTER)]] = True
_ALL_DIGITS = np.uint64(int.from_bytes(bytes([_DIGIT]) * 8, "big"))
# The first k bytes of a big-endian 8-byte word, k = 0..8.
_WORD_MASKS = np.array([((1 << (8 * k)) - 1) << (8 * (8 - k)) for k in range(9)], dtype=np.uint64)


def _tokenize_chunk(sides: list[str]) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, np.ndarray] | None:
    """Vectorized tokenizer of reaction sides as format_crn writes them (``2 A + B``).

    Returns the species names in order of first appearance, and for every term (in text
    order) its side, species (index into the names) and count; None for anything
    irregular, which the per-line path then reads (and words the errors of). Tokens are
    the pieces between single separators, so the per-byte work is two passes in C and
    two in numpy; the rest is per token.
    """
    text = "\n".join(sides) + "\n"
    if not text.isascii():
        return None
    size = len(text)
    # Zero padding (class 0) after the text, so that 8-byte words may start at any byte of it;
    # added before encoding, as each copy of a big file's bytes costs its page faults.
    raw = (text + "\x00" * _MAX_FAST_NAME).encode("ascii")
    classes = raw.translate(_BYTE_CLASSES)
    if classes.find(b"\x00", 0, size) >= 0:
        return None
    kind = np.frombuffer(classes, dtype=np.uint8, count=size)
    data = np.frombuffer(raw, dtype=np.uint8, count=size)
    # int32 positions (files are below 2**31 bytes): the per-piece arrays are the memory traffic.
    separators = np.flatnonzero(kind & _SPACE).astype(np.int32)
    starts = np.concatenate((np.zeros(1, dtype=np.int32), separators[:-1] + 1))
    ends = separators
    lengths = ends - starts
    newline_after = kind[separators] == _NEWLINE
    newline_before = np.concatenate(([True], newline_after[:-1]))
    empty = lengths == 0
    # An empty piece is an empty side (between two newlines); any other is a doubled space.
    if not (newline_before[empty] & newline_after[empty]).all():
        return None
    first = np.where(empty, 0, kind[np.minimum(starts, len(kind) - 1)])
    side = np.zeros(len(starts), dtype=np.int32)  # newlines before the piece: its side
    np.cumsum(newline_after[:-1], out=side[1:])
    is_count, is_name, is_plus = first == _DIGIT, first == _LETTER, first == _PLUS
    # '+' only alone between spaces: then no name or count holds one.
    if classes.count(b"\x04") != int(is_plus.sum()) or (lengths[is_plus] != 1).any():
        return None
    if (newline_before[is_plus] | newline_after[is_plus]).any():
        return None
    # Counts: digits only, 1 to 8 of them (one 8-byte word; below 1e8, far under
    # MAX_COEFFICIENT), no leading zero (else the general parser decides). Full reduction
    # writes 7-digit counts (1,461,863 for a 784-256-256-256-10 binary network).
    if is_count.any():
        count_starts, count_lengths = starts[is_count], lengths[is_count]
        if (count_lengths > 8).any() or (data[count_starts] == ord("0")).any():
            return None
        # All bytes digits: the classes of a count, right-aligned in a word, are 0x0202...
        class_windows = np.ndarray((size,), dtype=">u8", buffer=classes, strides=(1,))
        shift = (8 * (8 - count_lengths)).astype(np.uint64)
        if (class_windows[count_starts].astype(np.uint64) >> shift != _ALL_DIGITS >> shift).any():
            return None
    # Grammar of a side: [count] name (" + " [count] name)*: a table of the allowed kinds of
    # neighbouring pieces, across a space and across a newline (the end of a side).
    pair = first[:-1].astype(np.int16) * 32 + first[1:]
    allowed = np.where(newline_after[:-1], _ACROSS_NEWLINE[pair], _ACROSS_SPACE[pair])
    if not (allowed.all() and first[0] in (0, _DIGIT, _LETTER) and first[-1] in (0, _LETTER)):
        return None
    name_starts, name_lengths = starts[is_name], lengths[is_name]
    if len(name_starts) and int(name_lengths.max()) > _MAX_FAST_NAME:
        return None
    # Species: names packed 8 bytes to a big-endian word (exact, no hashing), made unique.
    # Every byte offset of the text viewed as the start of an 8-byte word: one gather per word.
    windows = np.ndarray((size + _MAX_FAST_NAME - 8,), dtype=">u8", buffer=raw, strides=(1,))
    n_words = -(-int(name_lengths.max(initial=1)) // 8)
    words = [
        windows[name_starts + 8 * column].astype(np.uint64)
        & _WORD_MASKS[np.clip(name_lengths - 8 * column, 0, 8)]
        for column in range(n_words)
    ]
    # Count of each term: the count piece just before its name, else 1.
    counts = np.ones(len(name_starts), dtype=np.int64)
    previous_is_count = np.zeros(len(is_name), dtype=bool)
    previous_is_count[1:] = is_count[:-1]
    has_count = previous_is_count[is_name]
    if has_count.any():
        count_token = np.flatnonzero(is_name)[has_count] - 1
        count_starts, count_lengths = starts[count_token], lengths[count_token]
        # The count's digits right-aligned in one word: digit k (from the right) is byte k.
        word = windows[count_starts].astype(np.uint64) >> (8 * (8 - count_lengths)).astype(np.uint64)
        value = np.zeros(len(count_token), dtype=np.int64)
        for digit in range(8):
            byte = ((word >> np.uint64(8 * digit)) & np.uint64(0xFF)).astype(np.int64)
            value += np.where(count_lengths > digit, byte - ord("0"), 0) * 10**digit
        counts[has_count] = value
    return words, name_lengths, side[is_name], counts


# Sides are tokenized in chunks of about this many bytes: the temporary arrays stay small
# (reused by the allocator, in cache) instead of faulting in fresh pages for a whole file.
_CHUNK_BYTES = 1 << 21


def _tokenize_sides(sides: list[str]) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray] | None:
    """Vectorized tokenizer of reaction sides as format_crn writes them (``2 A + B``).

    Returns the species names in order of first appearance, and for every term (in text
    order) its side, species (index into the names) and count; None for anything
    irregular, which the per-line path then reads (and words the errors of).
    """
    chunks: list[tuple[list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]] = []
    start = 0
    while start < len(sides):
        stop, size = start, 0
        while stop < len(sides) and (stop == start or size + len(sides[stop]) < _CHUNK_BYTES):
            size += len(sides[stop]) + 1
            stop += 1
        chunk = _tokenize_chunk(sides[start:stop])
        if chunk is None:
            return None
        words_of, _, side_of, counts_of = chunk
        chunks.append((words_of, chunk[1], side_of.astype(np.int64) + start, counts_of))
        start = stop
    n_words = max((len(chunk[0]) for chunk in chunks), default=1)
    words = [
        np.concatenate(
            [
                chunk[0][column] if column < len(chunk[0]) else np.zeros(len(chunk[1]), np.uint64)
                for chunk in chunks
            ]
        )
        if chunks
        else np.zeros(0, np.uint64)
        for column in range(n_words)
    ]
    side = np.concatenate([chunk[2] for chunk in chunks]) if chunks else np.zeros(0, np.int64)
    counts = np.concatenate([chunk[3] for chunk in chunks]) if chunks else np.zeros(0, np.int64)
    # Equal names are equal word tuples: one sort, then a new key at each change.
    order = np.argsort(words[0]) if n_words == 1 else np.lexsort(words[::-1])
    change = np.zeros(len(order), dtype=bool)
    if len(order):
        change[0] = True
        for word in words:
            ordered = word[order]
            change[1:] |= ordered[1:] != ordered[:-1]
    key = np.empty(len(order), dtype=np.int64)
    key[order] = np.cumsum(change) - 1
    n_unique = int(key.max(initial=-1)) + 1
    first_seen = np.full(n_unique, len(key), dtype=np.int64)
    np.minimum.at(first_seen, key, np.arange(len(key)))
    order = np.argsort(first_seen)
    rank = np.empty(n_unique, dtype=np.int64)
    rank[order] = np.arange(n_unique)
    representatives = first_seen[order]
    # A name is its words' bytes (zero-padded, and names hold no zero byte).
    packed = np.stack([word[representatives] for word in words], axis=1).astype(">u8")
    names = [row.tobytes().rstrip(b"\x00").decode("ascii") for row in packed]
    return names, side, rank[key], counts


# The fast readers tried in order before the per-line one (tests and the fuzz target narrow it):
# "native" is the C scanner (_crn_cparse.c, when pip install could build it), "numpy" the
# vectorized tokenizer above.
_FAST_READERS: tuple[str, ...] = ("native", "numpy")


def _numpy_scan(text: str) -> _crn_native.Scan | None:
    """What the C scanner returns, from per-line splitting and the vectorized tokenizer."""
    lines = text.splitlines()
    sides: list[str] = []
    rate_texts: list[str] = []
    blanked = list(lines)
    for number, line in enumerate(lines):
        if "->" not in line or line[:1] == "#":
            continue
        left, _, right = line.partition("->")
        products_text, bracket, rate_text = right.rpartition(" [k = ")
        if not bracket or rate_text[-1:] != "]":
            return None
        if left:
            if left[-1] != " ":
                return None
            left = left[:-1]
        if products_text:
            if products_text[0] != " ":
                return None
            products_text = products_text[1:]
        if not (left or products_text):
            return None
        sides.append(left)
        sides.append(products_text)
        rate_texts.append(rate_text[:-1])
        blanked[number] = ""
    if len(rate_texts) < _VECTOR_MIN_REACTIONS:  # small files: the per-line path is as fast
        return None
    tokens = _tokenize_sides(sides)
    if tokens is None:
        return None
    names, side_of, species_of, counts = tokens
    n_reactions = len(rate_texts)
    scanned: list[_crn_native.Side] = []
    for parity in (0, 1):
        mask = side_of % 2 == parity
        indptr = np.zeros(n_reactions + 1, dtype=np.int64)
        np.cumsum(np.bincount(side_of[mask] // 2, minlength=n_reactions), out=indptr[1:])
        scanned.append(_crn_native.Side(indptr, species_of[mask], counts[mask]))
    distinct = {rate_text: k for k, rate_text in enumerate(dict.fromkeys(rate_texts))}
    rate_index = np.fromiter(map(distinct.__getitem__, rate_texts), dtype=np.int64, count=n_reactions)
    reactants, products = scanned
    return _crn_native.Scan(names, reactants, products, list(distinct), rate_index, "\n".join(blanked))


def _parse_regular(text: str, source: str, readers: tuple[str, ...]) -> CRN | None:
    """A whole file as format_crn writes it, with the reaction lines tokenized at once.

    The C scanner (when the text is ASCII), else the numpy tokenizer, reads the reaction
    lines (`readers` says which may); the other lines (signals, initial amounts) go through
    the per-line reader. None when any reaction line is not regular: the per-line reader
    then reads the file.
    """
    scanned = None
    if "native" in readers and text.isascii():
        scanned = _crn_native.scan(text.encode("ascii"))
    if scanned is None and "numpy" in readers:
        scanned = _numpy_scan(text)
    return None if scanned is None else _build_regular(scanned, source)


def _build_regular(scanned: _crn_native.Scan, source: str) -> CRN | None:
    """The CRN of a scan (either scanner's); None to leave the file to the per-line reader."""
    if len(scanned.rate_index) < _VECTOR_MIN_REACTIONS:
        return None  # small files: the per-line path is as fast
    values = []
    for digits in scanned.rate_texts:
        if not (len(digits) <= MAX_NUMBER_CHARS and _FAST_RATE.fullmatch(digits)):
            return None
        rate = float(digits)
        if not 0 < rate < math.inf:
            return None
        values.append(rate)
    names = scanned.names
    statements = _read_statements(scanned.other_text, source, fast=True)
    if statements.reactions:  # e.g. a '<=>' line: the per-line reader keeps the order
        return None
    _check_signal_species(statements.signal_species, set(statements.initial) | set(names), source)
    inputs, outputs, initial = statements.inputs, statements.outputs, statements.initial
    signal_names = (
        name for signal in (*inputs, *outputs) for name, _ in (*signal.positive, *signal.negative)
    )
    species = tuple(dict.fromkeys(chain(signal_names, names, initial)))
    position = {name: k for k, name in enumerate(species)}
    remap = np.fromiter(map(position.__getitem__, names), dtype=np.int64, count=len(names))
    n_reactions = len(scanned.rate_index)
    shape = (n_reactions, len(species))
    arrays, terms = [], []
    for side in (scanned.reactants, scanned.products):
        if scanned.native:
            made = _crn_native.csr(side, remap, shape)
            if made is None:
                return None  # a species twice in one side: Reaction adds them up, per line
            columns, indices, sorted_counts = made
            terms.append(TermsCSR(side.indptr, indices, sorted_counts, shape))
        else:
            columns = remap[side.species]
            terms.append(TermsCSR.canonical(side.indptr, columns, side.counts.astype(np.float64), shape))
            if terms[-1].nnz != len(columns):
                return None  # a species twice in one side: Reaction adds them up, per line
        arrays.append((side.indptr, columns, side.counts))
    reactions = ReactionArrays(
        species,
        *arrays[0],
        *arrays[1],
        np.array(values, dtype=np.float64)[scanned.rate_index],
    )
    try:
        return CRN._with_terms(
            reactions, initial, tuple(inputs), tuple(outputs), species, statements.raw_inputs, *terms
        )
    except CRNStructureError as error:
        raise CRNFormatError(str(error), source=source) from None


def _check_signal_species(
    signal_species: list[tuple[str, str, int, str]], known: set[str], source: str
) -> None:
    """A species named only by an input/output line is almost always a typo; format_crn
    writes an explicit ``@initial 0`` for a deliberate one."""
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


@dataclass
class _Statements:
    """What the line-by-line reader collected, before the CRN is built."""

    reactions: list[Reaction]
    initial: dict[str, float]
    inputs: list[Signal]
    outputs: list[Signal]
    signal_species: list[tuple[str, str, int, str]]
    raw_inputs: RawInputs | None
    ids: _SpeciesIds
    reactant_side: tuple[_TermTable, list[str], list[int]]
    product_side: tuple[_TermTable, list[str], list[int]]


def _read_statements(text: str, source: str, *, fast: bool) -> _Statements:
    """Every line through the per-line fast path or the general parser, in order."""
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

    ids = _SpeciesIds()
    table = _TermTable(ids)
    # Term texts of every reaction's sides in order, and each side's length: the sparse
    # matrices are built from them in one pass at the end.
    reactant_parts: list[str] = []
    product_parts: list[str] = []
    reactant_lengths: list[int] = []
    product_lengths: list[int] = []
    rate_values: dict[str, float | None] = {}

    def register(first: int) -> None:
        """Term texts of the reactions the general parser appended from index `first` on."""
        for reaction in reactions[first:]:
            reactant_parts.extend(table.key(name, count) for name, count in reaction.reactants)
            product_parts.extend(table.key(name, count) for name, count in reaction.products)
            reactant_lengths.append(len(reaction.reactants))
            product_lengths.append(len(reaction.products))

    for line_number, raw_line in enumerate(text.splitlines(), start=1):
        if not fast:
            first = len(reactions)
            parse_line_carefully(line_number, raw_line)
            register(first)
            continue
        # Fast path: the regular lines nn2crn itself writes (most of any big file). A line
        # it does not recognize, or one whose values need a check to fail, goes to the
        # general parser, which gives the same result or the error with file:line:col.
        if raw_line[:1] == "#" or not raw_line:
            continue
        left, arrow, right = raw_line.partition("->")
        if arrow:
            marks = len(reactant_parts), len(product_parts)
            try:
                products_text, bracket, rate_text = right.rpartition(" [k = ")
                if not bracket or rate_text[-1:] != "]":
                    raise _Irregular
                rate = rate_values.get(rate_text, 0.0)
                if rate == 0.0:
                    number = rate_text[:-1]
                    rate = float(number) if _FAST_RATE.fullmatch(number) else None
                    if rate is not None and not (len(number) <= MAX_NUMBER_CHARS and 0 < rate < math.inf):
                        rate = None
                    rate_values[rate_text] = rate
                if rate is None:
                    raise _Irregular
                if left:
                    if left[-1] != " ":
                        raise _Irregular
                    reactants = _fast_side(left[:-1], table, reactant_parts)
                else:
                    reactants = ()
                if products_text:
                    if products_text[0] != " ":
                        raise _Irregular
                    products = _fast_side(products_text[1:], table, product_parts)
                else:
                    products = ()
                if not (reactants or products):
                    raise _Irregular
            except _Irregular:
                # Term texts of a half-read line are dropped; its names were seen in the
                # order the general parser sees them, so the species order is the same.
                del reactant_parts[marks[0] :]
                del product_parts[marks[1] :]
            else:
                reactions.append(Reaction._trusted(reactants, products, rate))
                reactant_lengths.append(len(reactants))
                product_lengths.append(len(products))
                continue
        else:
            match = _FAST_INITIAL.fullmatch(raw_line)
            if match is not None:
                name, amount_text = match.groups()
                amount = float(amount_text)
                if len(amount_text) <= MAX_NUMBER_CHARS and amount <= MAX_AMOUNT and name not in initial:
                    initial[name] = amount
                    continue
        first = len(reactions)
        parse_line_carefully(line_number, raw_line)
        register(first)
    return _Statements(
        reactions,
        initial,
        inputs,
        outputs,
        signal_species,
        _raw_inputs(transforms, inputs, source),
        ids,
        (table, reactant_parts, reactant_lengths),
        (table, product_parts, product_lengths),
    )


def _side_terms(
    side: tuple[_TermTable, list[str], list[int]], remap: np.ndarray, shape: tuple[int, int]
) -> TermsCSR | None:
    """One side's sparse matrix from its term texts; None when a row names a species twice."""
    table, parts, lengths = side
    species = np.fromiter(map(table.codes.__getitem__, parts), dtype=np.int64, count=len(parts))
    counts = np.fromiter(map(table.counts.__getitem__, parts), dtype=np.float64, count=len(parts))
    indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(lengths, dtype=np.int64, count=len(lengths)), out=indptr[1:])
    columns = remap[species]
    terms = TermsCSR.canonical(indptr, columns, counts, shape)
    return None if terms.nnz != len(parts) else terms


def _build_crn(statements: _Statements) -> CRN:
    """The CRN, with its sparse matrices built from the term texts (vectorized).

    The species order is what CRN() infers: first appearance in the signals, the
    reactions, then the initial amounts.
    """
    reactions, initial, inputs, outputs = (
        statements.reactions,
        statements.initial,
        statements.inputs,
        statements.outputs,
    )
    raw_inputs, ids = statements.raw_inputs, statements.ids
    signal_names = (
        name for signal in (*inputs, *outputs) for name, _ in (*signal.positive, *signal.negative)
    )
    species = tuple(dict.fromkeys(chain(signal_names, ids, initial)))
    position = {name: k for k, name in enumerate(species)}
    remap = np.fromiter(map(position.__getitem__, ids), dtype=np.int64, count=len(ids))
    shape = (len(reactions), len(species))
    reactant_terms = _side_terms(statements.reactant_side, remap, shape)
    product_terms = _side_terms(statements.product_side, remap, shape)
    if reactant_terms is None or product_terms is None:
        # A species repeated within a side (``A + A``): Reaction adds the counts up.
        reactions = [Reaction(r.reactants, r.products, r.rate) for r in reactions]
        return CRN(tuple(reactions), initial, tuple(inputs), tuple(outputs), raw_inputs=raw_inputs)
    return CRN._with_terms(
        tuple(reactions),
        initial,
        tuple(inputs),
        tuple(outputs),
        species,
        raw_inputs,
        reactant_terms,
        product_terms,
    )


def read_crn(path: str | os.PathLike[str]) -> CRN:
    """Read a `.crn` file. Missing or unreadable files raise :class:`CRNFormatError`."""
    source = str(path)

    def make_error(message: str) -> CRNFormatError:
        return CRNFormatError(message, source=source)

    data = read_file_bytes(
        path, make_error, missing_hint="give the path of a .crn file", unreadable="cannot read file"
    )
    # The C scanner reads the bytes as they are: it refuses what decoding would change
    # (non-ASCII bytes, '\r') and lines over the limit, whose errors decode_text words.
    readers = _FAST_READERS
    if "native" in readers and _crn_native.available():
        scanned = _crn_native.scan(data, MAX_LINE_CHARS)
        if scanned is not None:
            crn = _build_regular(scanned, source)
            if crn is not None:
                return crn
            readers = ()  # the numpy tokenizer would find the same tokens: per line
        else:
            readers = tuple(reader for reader in readers if reader != "native")
    text = decode_text(data, make_error, unreadable="cannot read file")
    return _parse_crn(text, source, fast=True, readers=readers)


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


# Terms per chunk of the vectorized formatter: keeps its (terms x width) byte records small.
_FORMAT_CHUNK = 1 << 17
_POWERS_OF_TEN = 10 ** np.arange(19, dtype=np.int64)


def _format_term_rows(
    names: tuple[str, ...], indptr: np.ndarray, columns: np.ndarray, counts: np.ndarray
) -> tuple[str, list[int]] | None:
    """Every row's ``A + 2 B`` (as `format_terms`) in one string, and the row offsets.

    Row k is ``text[offsets[k]:offsets[k + 1]]``. Each term is laid out in a fixed-width
    byte record (count digits right-aligned, a space, the name padded, then `` + `` unless
    it ends its row) with zero bytes as padding, which `bytes.translate` then deletes. None if a name
    is not ASCII or a count is below 1 (the caller then formats term by term).
    """
    encoded = [name.encode() for name in names]
    if not encoded or any(len(name) != len(text) for name, text in zip(names, encoded, strict=True)):
        return None
    counts = np.asarray(counts, dtype=np.int64)
    columns = np.asarray(columns, dtype=np.int64)
    indptr = np.asarray(indptr, dtype=np.int64)
    n_terms = len(columns)
    if n_terms and int(counts.min()) < 1:
        return None
    name_length = np.array([len(text) for text in encoded], dtype=np.int64)
    width = int(name_length.max())
    padded = np.frombuffer(b"".join(text.ljust(width, b"\0") for text in encoded), dtype=np.uint8)
    padded = padded.reshape(len(encoded), width)
    digits = np.searchsorted(_POWERS_OF_TEN, counts, side="right")  # decimal digits of each count
    row_lengths = np.diff(indptr)
    last = np.zeros(n_terms, dtype=bool)
    last[indptr[1:][row_lengths > 0] - 1] = True
    term_length = name_length[columns] + np.where(counts != 1, digits + 1, 0) + np.where(last, 0, 3)
    rows = np.repeat(np.arange(len(row_lengths)), row_lengths)
    offsets = np.zeros(len(indptr), dtype=np.int64)
    np.cumsum(np.bincount(rows, weights=term_length, minlength=len(row_lengths)), out=offsets[1:])
    n_digits = int(digits.max(initial=1))
    small = np.int32 if n_digits < 10 else np.int64  # int32 division is about twice as fast
    pieces = []
    for start in range(0, n_terms, _FORMAT_CHUNK):
        part = slice(start, min(start + _FORMAT_CHUNK, n_terms))
        count = counts[part]
        shown: np.ndarray = np.where(count != 1, count, 0).astype(small)  # a count of 1: not written
        record = np.empty((len(count), n_digits + 1 + width + 3), dtype=np.uint8)
        rest: np.ndarray = shown
        for place in range(n_digits):  # digits right-aligned, leading zeros left as 0 bytes
            written = rest > 0
            rest, digit = np.divmod(rest, 10)
            record[:, n_digits - 1 - place] = (digit + 48) * written
        record[:, n_digits] = (shown > 0) * 32  # the space after a count
        record[:, n_digits + 1 : n_digits + 1 + width] = padded[columns[part]]
        record[:, n_digits + 1 + width :] = np.frombuffer(b" + ", dtype=np.uint8)
        record[last[part], n_digits + 1 + width :] = 0
        pieces.append(record.tobytes().translate(None, b"\0"))  # drop the padding
    return b"".join(pieces).decode("ascii"), offsets.tolist()


def _format_reaction(reaction: Reaction) -> str:
    text = f"{format_terms(reaction.reactants)} -> {format_terms(reaction.products)}".strip()
    return f"{text} [k = {format_number(reaction.rate)}]"


def _format_reaction_arrays(arrays: ReactionArrays) -> list[str] | None:
    """The reaction lines of `format_crn`, formatted from the arrays (no Reaction objects)."""
    reactants = _format_term_rows(
        arrays.species, arrays.reactant_indptr, arrays.reactant_columns, arrays.reactant_counts
    )
    products = _format_term_rows(
        arrays.species, arrays.product_indptr, arrays.product_columns, arrays.product_counts
    )
    if reactants is None or products is None:
        return None
    (left, left_at), (right, right_at) = reactants, products
    rates = np.asarray(arrays.rates, dtype=np.float64)
    unique, which = np.unique(rates, return_inverse=True)
    rate_texts = [f" [k = {format_number(rate)}]" for rate in unique.tolist()]
    return [
        f"{left[left_at[k] : left_at[k + 1]]} -> {right[right_at[k] : right_at[k + 1]]}".strip()
        + rate_texts[rate]
        for k, rate in enumerate(which.tolist())
    ]


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
    # Reactions still held as arrays (reduce_crn, the reader) are formatted from them.
    arrays: ReactionArrays | None = (
        None if "reactions" in crn.__dict__ else crn.__dict__.get("_reaction_arrays")
    )
    reaction_lines = _format_reaction_arrays(arrays) if arrays is not None else None
    if reaction_lines is None:
        arrays = None
        reaction_lines = [_format_reaction(reaction) for reaction in crn.reactions]
    if reaction_lines:
        lines.append("")
        lines.extend(reaction_lines)
    # Plain text has no signal lines, so their species need no declaration there.
    mentioned: set[str] = (
        {name for signal in (*crn.inputs, *crn.outputs) for name, _ in (*signal.positive, *signal.negative)}
        if plain
        else set()
    )
    if arrays is not None:
        used = np.zeros(len(arrays.species), dtype=bool)
        used[arrays.reactant_columns] = True
        used[arrays.product_columns] = True
        mentioned.update(arrays.species[c] for c in np.flatnonzero(used).tolist())
    else:
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
