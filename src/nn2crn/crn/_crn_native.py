"""The ahead-of-time compiled `.crn` reaction-line scanner (``_crn_cparse.c``), called through ctypes.

``pip install`` compiles ``_crn_cparse.c`` into the extension module ``nn2crn.crn._crn_cparse``
(setup.py; optional, so an install without a C compiler still succeeds and the reader uses
its numpy tokenizer). One pass over the bytes does what the numpy tokenizer does in about
twenty: split the lines, check the grammar of the reaction lines, number the species (a
hash table on the name bytes) and the distinct rate texts, and hand back the other lines.
The rate texts are converted by Python's own float() in :mod:`.text`, so every path gives
bit-identical rates.
"""

from __future__ import annotations

import ctypes
import functools
from typing import NamedTuple

import numpy as np

from .._extensions import open_extension

_MODULE = "nn2crn.crn._crn_cparse"
_OK, _IRREGULAR, _NO_MEMORY = 0, 1, 2
_NO_LIMIT = 2**62


class Side(NamedTuple):
    """One side of every reaction: CSR offsets, provisional species ids (into `names`), counts."""

    indptr: np.ndarray
    species: np.ndarray
    counts: np.ndarray


class Scan(NamedTuple):
    """The reaction lines of a file, tokenized; the other lines as text at their line numbers."""

    names: list[str]  # species in order of first appearance in the reactions
    reactants: Side
    products: Side
    rate_texts: list[str]  # distinct rate texts, in order of first appearance
    rate_index: np.ndarray  # per reaction, into rate_texts
    other_text: str  # every other line at its own line number; reaction and comment lines blank
    native: bool = False  # made by the C scanner (its ids are int32: csr() takes them)


@functools.cache
def _load() -> ctypes.CDLL | None:
    """The C library, or None when the extension was not built (no compiler at install time)."""
    library = open_extension(_MODULE)
    if library is None:
        return None
    i64, pointer = ctypes.c_int64, ctypes.c_void_p
    library.nn2crn_crn_count.restype = None
    library.nn2crn_crn_count.argtypes = [ctypes.c_char_p, i64, pointer]
    library.nn2crn_crn_scan.restype = ctypes.c_int
    library.nn2crn_crn_scan.argtypes = [ctypes.c_char_p, i64, i64, *[pointer] * 12]
    library.nn2crn_crn_csr.restype = ctypes.c_int
    library.nn2crn_crn_csr.argtypes = [i64, i64, *[pointer] * 7]
    return library


def available() -> bool:
    """True when the C scanner was built (and may be used)."""
    return _load() is not None


def _trimmed(array: np.ndarray, used: int) -> np.ndarray:
    """The first `used` entries; copied when that is under half the buffer (frees the rest)."""
    return array[:used] if 2 * used >= len(array) else array[:used].copy()


def scan(data: bytes, line_limit: int | None = None) -> Scan | None:
    """The reaction lines of `data` tokenized, or None for anything irregular (or no C scanner).

    Irregular includes any byte that is not ASCII, a line break other than ``\\n`` and a
    line longer than `line_limit` bytes.
    """
    library = _load()
    if library is None:
        return None
    bounds = np.zeros(2, np.int64)
    library.nn2crn_crn_count(data, len(data), bounds.ctypes.data)
    n_lines = int(bounds[0]) + 1
    # Each side of a reaction has one term more than its '+' signs.
    terms = int(bounds[1]) + n_lines
    capacity = np.array([terms, n_lines, 2 * terms, n_lines, n_lines], dtype=np.int64)
    reactant_species, product_species = np.empty(terms, np.int32), np.empty(terms, np.int32)
    reactant_counts, product_counts = np.empty(terms, np.int64), np.empty(terms, np.int64)
    reactant_indptr, product_indptr = np.empty(n_lines + 1, np.int64), np.empty(n_lines + 1, np.int64)
    rate_index = np.empty(n_lines, np.int32)
    name_spans = np.empty(2 * 2 * terms, np.int64)
    rate_spans = np.empty(2 * n_lines, np.int64)
    other_lines = np.empty(3 * n_lines, np.int64)
    sizes = np.zeros(6, np.int64)
    status = library.nn2crn_crn_scan(
        data,
        len(data),
        _NO_LIMIT if line_limit is None else line_limit,
        *(
            array.ctypes.data
            for array in (
                capacity,
                reactant_species,
                reactant_counts,
                reactant_indptr,
                product_species,
                product_counts,
                product_indptr,
                rate_index,
                name_spans,
                rate_spans,
                other_lines,
                sizes,
            )
        ),
    )
    if status == _NO_MEMORY:
        raise MemoryError("the C .crn scanner ran out of memory")
    if status != _OK:
        return None
    n_reactions, n_reactants, n_products, n_names, n_rates, n_other = sizes.tolist()
    spans = name_spans[: 2 * n_names].reshape(-1, 2).tolist()
    names = [data[start : start + length].decode("ascii") for start, length in spans]
    spans = rate_spans[: 2 * n_rates].reshape(-1, 2).tolist()
    rate_texts = [data[start : start + length].decode("ascii") for start, length in spans]
    pieces: list[bytes] = []
    previous = 0
    for line, start, end in other_lines[: 3 * n_other].reshape(-1, 3).tolist():
        pieces.append(b"\n" * (line - previous))
        pieces.append(data[start:end])
        previous = line
    return Scan(
        names,
        Side(
            _trimmed(reactant_indptr, n_reactions + 1),
            _trimmed(reactant_species, n_reactants),
            _trimmed(reactant_counts, n_reactants),
        ),
        Side(
            _trimmed(product_indptr, n_reactions + 1),
            _trimmed(product_species, n_products),
            _trimmed(product_counts, n_products),
        ),
        rate_texts,
        _trimmed(rate_index, n_reactions),
        b"".join(pieces).decode("ascii"),
        True,
    )


def csr(
    side: Side, remap: np.ndarray, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """One side of a :func:`scan` in the final species order: the text-order columns, and the
    canonical CSR indices and data (columns increasing in each row); None when a row names
    a species twice. `remap` maps each provisional id to a column below ``shape[1]``."""
    library = _load()
    if library is None:  # pragma: no cover - scan returned nothing without it
        raise RuntimeError("the C .crn scanner is not built")
    remap = np.ascontiguousarray(remap, dtype=np.int64)
    if (
        side.species.dtype != np.int32
        or len(side.indptr) != shape[0] + 1
        or len(remap)
        and (int(remap.min()) < 0 or int(remap.max()) >= shape[1])
    ):
        raise ValueError("C .crn scanner: the terms and the species map disagree")
    nnz = len(side.species)
    columns = np.empty(nnz, np.int64)
    indices = np.empty(nnz, np.int64)
    data = np.empty(nnz, np.float64)
    status = library.nn2crn_crn_csr(
        shape[0],
        shape[1],
        *(
            array.ctypes.data
            for array in (side.indptr, side.species, side.counts, remap, columns, indices, data)
        ),
    )
    if status == _NO_MEMORY:
        raise MemoryError("the C .crn scanner ran out of memory")
    return None if status != _OK else (columns, indices, data)
