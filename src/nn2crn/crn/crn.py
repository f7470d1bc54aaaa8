"""The CRN type: species, reactions, initial amounts, declared inputs and outputs.

There is exactly one representation of a reaction, :class:`Reaction`. Reversible
reactions (``<=>``) exist only in the text format, which splits them in two.
The species order is the column order of every array derived from a CRN.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from operator import itemgetter
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from .._arrays import unique as distinct
from .._errors import CRNStructureError, InputDataError
from .._limits import MAX_MATRIX_COEFFICIENT
from .._validation import as_batch, is_identifier

if TYPE_CHECKING:
    import scipy.sparse as sp

Terms = tuple[tuple[str, int], ...]
"""A multiset of species as ``((name, count), ...)``, each name once, counts ≥ 1."""

TermsLike = Mapping[str, int] | Iterable[str | tuple[str, int]]

# Input loading matrices up to this many entries are dense numpy (no scipy import).
_DENSE_LOADING = 1 << 16


@dataclass(frozen=True, eq=False)
class TermsCSR:
    """(reaction, species) -> count in canonical CSR form: in each row the columns increase.

    The numpy-only twin of a ``scipy.sparse.csr_array``: the structural checks and the
    exact evaluator of small CRNs work on these arrays, so that ``nn2crn check`` and
    ``nn2crn eval`` need not import scipy (about 0.2 s).
    """

    indptr: np.ndarray  # int64, (n_rows + 1,)
    indices: np.ndarray  # int64, (nnz,)
    data: np.ndarray  # float64, (nnz,)
    shape: tuple[int, int]

    @classmethod
    def canonical(
        cls, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, shape: tuple[int, int]
    ) -> TermsCSR:
        """Sort each row's columns and add up repeated (row, column) entries."""
        indptr = np.asarray(indptr, dtype=np.int64)
        indices = np.asarray(indices, dtype=np.int64)
        data = np.asarray(data, dtype=np.float64)
        if len(indices) > 1:
            rows = np.repeat(np.arange(shape[0], dtype=np.int64), np.diff(indptr))
            step = np.diff(indices)
            same_row = rows[1:] == rows[:-1]
            if (step[same_row] <= 0).any():
                order = np.argsort(rows * max(shape[1], 1) + indices, kind="stable")
                rows, indices, data = rows[order], indices[order], data[order]
                repeated = (rows[1:] == rows[:-1]) & (indices[1:] == indices[:-1])
                if repeated.any():
                    first = np.concatenate(([True], ~repeated))
                    starts = np.flatnonzero(first)
                    data = np.add.reduceat(data, starts)
                    rows, indices = rows[starts], indices[starts]
                    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
                    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
        return cls(indptr, indices, data, shape)

    @classmethod
    def from_scipy(cls, matrix: sp.csr_array) -> TermsCSR:
        matrix = matrix.tocsr()
        if not matrix.has_canonical_format:
            matrix = matrix.copy()
            matrix.sum_duplicates()
        return cls(
            matrix.indptr.astype(np.int64),
            matrix.indices.astype(np.int64),
            matrix.data.astype(np.float64),
            (int(matrix.shape[0]), int(matrix.shape[1])),
        )

    @property
    def nnz(self) -> int:
        return len(self.indices)

    @cached_property
    def rows(self) -> np.ndarray:
        """Row of every entry, int64 (nnz,): the COO row array."""
        return np.repeat(np.arange(self.shape[0], dtype=np.int64), np.diff(self.indptr))

    def row_sums(self) -> np.ndarray:
        return np.bincount(self.rows, weights=self.data, minlength=self.shape[0])

    def to_scipy(self) -> sp.csr_array:
        import scipy.sparse as sp  # on first use: `nn2crn check` and `eval` of small CRNs never need it

        matrix = sp.csr_array((self.data.copy(), self.indices, self.indptr), shape=self.shape)
        matrix.has_canonical_format = True
        return matrix


def make_terms(terms: TermsLike, what: str = "terms") -> Terms:
    """Aggregate species into ``((name, count), ...)``, keeping first-appearance order.

    Accepts a mapping ``{name: count}``, a list of names (repeats add up) or a
    list of ``(name, count)`` pairs.
    """
    counts: dict[str, int] = {}
    items = terms.items() if isinstance(terms, Mapping) else terms
    for item in items:
        name, count = (item, 1) if isinstance(item, str) else item
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
            raise CRNStructureError(f"{what}: count of {name!r} must be a positive integer, got {count!r}")
        counts[name] = counts.get(name, 0) + int(count)
    for name, count in counts.items():
        if count > MAX_MATRIX_COEFFICIENT:
            raise CRNStructureError(
                f"{what}: count {count} of {name!r} is above 2**62 (the stoichiometric matrices are int64)"
            )
    return tuple(counts.items())


def format_terms(terms: Terms) -> str:
    """``A + 2 B`` (empty string for no species)."""
    return " + ".join(name if count == 1 else f"{count} {name}" for name, count in terms)


@dataclass(frozen=True)
class Reaction:
    """One irreversible reaction ``reactants -> products`` with rate constant `rate`.

    Attributes
    ----------
    reactants, products : tuple of (species, count)
        Aggregated multisets; build from a list of names or a mapping.
    rate : float
        Rate constant, finite and > 0. Default 1.
    """

    reactants: Terms
    products: Terms
    rate: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "reactants", make_terms(self.reactants, "reactants"))
        object.__setattr__(self, "products", make_terms(self.products, "products"))
        rate = float(self.rate)
        if not (math.isfinite(rate) and rate > 0):
            raise CRNStructureError(
                f"reaction {self}: rate constant must be finite and > 0, got {self.rate!r}"
            )
        object.__setattr__(self, "rate", rate)

    @classmethod
    def _trusted(cls, reactants: Terms, products: Terms, rate: float) -> Reaction:
        """Build without validation from terms already aggregated by nn2crn itself (hot path)."""
        reaction = object.__new__(cls)
        object.__setattr__(reaction, "reactants", reactants)
        object.__setattr__(reaction, "products", products)
        object.__setattr__(reaction, "rate", float(rate))
        return reaction

    @property
    def order(self) -> int:
        """Molecularity: the total count of reactant molecules."""
        return sum(count for _, count in self.reactants)

    def __str__(self) -> str:
        text = f"{format_terms(self.reactants)} -> {format_terms(self.products)}".strip()
        return text if self.rate == 1.0 else f"{text} [k = {self.rate!r}]"


@dataclass(frozen=True)
class Signal:
    """A declared input or output: ``value = sum(positive) - sum(negative)``.

    An input with an empty negative side is single-rail and accepts only values ≥ 0.
    Loading a value v ≥ 0 adds v × count to each species of `positive`; v < 0 adds
    −v × count to each species of `negative`.

    An output may carry a `scale` > 0: the species then hold ``scale`` times the
    value, ``value = (sum(positive) - sum(negative)) / scale``. Networks with
    rational weights compile to integer stoichiometry this way.
    """

    name: str
    positive: Terms
    negative: Terms = ()
    scale: float = 1.0

    def __post_init__(self) -> None:
        if not is_identifier(self.name):
            raise CRNStructureError(f"signal name {self.name!r} must match [A-Za-z_][A-Za-z0-9_]*")
        object.__setattr__(self, "positive", make_terms(self.positive, f"signal {self.name}"))
        object.__setattr__(self, "negative", make_terms(self.negative, f"signal {self.name}"))
        if not self.positive:
            raise CRNStructureError(f"signal {self.name}: the positive side needs at least one species")
        scale = float(self.scale)
        if not (math.isfinite(scale) and scale > 0):
            raise CRNStructureError(f"signal {self.name}: scale must be finite and > 0, got {self.scale!r}")
        object.__setattr__(self, "scale", scale)

    @classmethod
    def _trusted(cls, name: str, positive: Terms, negative: Terms, scale: float = 1.0) -> Signal:
        """Build without validation from terms nn2crn aggregated itself (reduce's input sides)."""
        signal = object.__new__(cls)
        object.__setattr__(signal, "name", name)
        object.__setattr__(signal, "positive", positive)
        object.__setattr__(signal, "negative", negative)
        object.__setattr__(signal, "scale", float(scale))
        return signal

    @property
    def dual_rail(self) -> bool:
        return bool(self.negative)


@dataclass(frozen=True)
class RawInputs:
    """How raw feature columns become the declared inputs: ``input_i = (feature_i - mean_i) / scale_i``.

    Recorded by ``nn2crn compile`` from the model's input transform (the ``transform``
    lines of a `.crn` file), so that commands given raw features can apply it.
    """

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    def __post_init__(self) -> None:
        features = tuple(self.features)
        mean = tuple(float(value) for value in self.mean)
        scale = tuple(float(value) for value in self.scale)
        if not (len(features) == len(mean) == len(scale)):
            raise CRNStructureError("input transform: features, mean and scale must have equal lengths")
        for name in features:
            if not is_identifier(name):
                raise CRNStructureError(
                    f"input transform: feature name {name!r} must match [A-Za-z_][A-Za-z0-9_]*"
                )
        if not all(math.isfinite(value) for value in (*mean, *scale)) or 0.0 in scale:
            raise CRNStructureError("input transform: mean and scale must be finite and scale non-zero")
        object.__setattr__(self, "features", features)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "scale", scale)

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """Declared-input values of raw feature rows (columns in `features` order)."""
        return (np.asarray(raw, dtype=np.float64) - np.array(self.mean)) / np.array(self.scale)


@dataclass(frozen=True, eq=False)
class ReactionArrays:
    """Reactions held as arrays until someone asks for the :class:`Reaction` objects.

    The `.crn` reader keeps a big file's reactions this way: ``check`` and ``eval`` work on
    the sparse terms and never build a Python tuple per term. Terms are in the text's
    order (``*_columns`` index `species`), so the reactions built are those of the file.
    """

    species: tuple[str, ...]
    reactant_indptr: np.ndarray
    reactant_columns: np.ndarray
    reactant_counts: np.ndarray
    product_indptr: np.ndarray
    product_columns: np.ndarray
    product_counts: np.ndarray
    rates: np.ndarray

    @property
    def n_reactions(self) -> int:
        return len(self.rates)

    def build(self) -> tuple[Reaction, ...]:
        def sides(indptr: np.ndarray, columns: np.ndarray, counts: np.ndarray) -> list[Terms]:
            terms = list(zip(map(self.species.__getitem__, columns.tolist()), counts.tolist(), strict=True))
            bounds = indptr.tolist()
            return [tuple(terms[bounds[k] : bounds[k + 1]]) for k in range(len(bounds) - 1)]

        reactants = sides(self.reactant_indptr, self.reactant_columns, self.reactant_counts)
        products = sides(self.product_indptr, self.product_columns, self.product_counts)
        return tuple(
            map(Reaction._trusted, reactants, products, self.rates.tolist())  # validated by the reader
        )


class _ReactionsField:
    """The `reactions` field: stored as given, or built on first use from `ReactionArrays`."""

    def __get__(self, crn: CRN | None, owner: type | None = None) -> tuple[Reaction, ...]:
        if crn is None:
            return ()  # the dataclass default
        stored = crn.__dict__
        if "reactions" not in stored:
            stored["reactions"] = stored["_reaction_arrays"].build()
        return stored["reactions"]

    def __set__(self, crn: CRN, value: tuple[Reaction, ...]) -> None:
        crn.__dict__["reactions"] = value


@dataclass(frozen=True, eq=False)
class CRN:
    """An immutable chemical reaction network with declared inputs and outputs.

    Attributes
    ----------
    reactions : tuple of Reaction
    initial : mapping of species -> amount
        Fixed initial amounts (≥ 0); species not named start at 0.
    inputs, outputs : tuple of Signal
    species : tuple of str
        Column order of all arrays. Inferred from first appearance (inputs,
        outputs, reactions, initial) when not given.
    """

    reactions: _ReactionsField = _ReactionsField()
    initial: Mapping[str, float] = field(default_factory=dict)
    inputs: tuple[Signal, ...] = ()
    outputs: tuple[Signal, ...] = ()
    species: tuple[str, ...] = ()
    raw_inputs: RawInputs | None = None

    def __post_init__(self) -> None:
        if self.raw_inputs is not None and len(self.raw_inputs.features) != len(tuple(self.inputs)):
            raise CRNStructureError(
                f"input transform: {len(self.raw_inputs.features)} features for {len(tuple(self.inputs))} inputs"
            )
        lazy = "reactions" not in self.__dict__  # built by _with_terms from ReactionArrays
        reactions = () if lazy else tuple(self.reactions)
        inputs, outputs = tuple(self.inputs), tuple(self.outputs)
        species = list(self.species)
        known = set(species)
        if len(known) != len(species):
            duplicate = next(s for s in species if species.count(s) > 1)
            raise CRNStructureError(f"species {duplicate!r} is listed twice")
        if self.species:
            # Building the matrices looks every name up, which validates membership.
            object.__setattr__(self, "species", tuple(species))
            if not lazy:
                object.__setattr__(self, "reactions", reactions)
            if "reactant_terms" not in self.__dict__:  # else given by _with_terms (the .crn reader)
                self.__dict__["reactant_terms"] = self._terms_csr(
                    [r.reactants for r in reactions], len(reactions)
                )
                self.__dict__["product_terms"] = self._terms_csr(
                    [r.products for r in reactions], len(reactions)
                )
            others = [
                name for signal in (*inputs, *outputs) for name, _ in (*signal.positive, *signal.negative)
            ]
            missing = [name for name in (*others, *self.initial) if name not in known]
        else:
            # First appearance: signals, then each reaction's reactants and products, then initial
            # amounts; chain/itemgetter keep the per-term work of a big CRN in C.
            sides = chain(
                chain.from_iterable((signal.positive, signal.negative) for signal in (*inputs, *outputs)),
                chain.from_iterable((reaction.reactants, reaction.products) for reaction in reactions),
            )
            referenced = dict.fromkeys(chain(map(itemgetter(0), chain.from_iterable(sides)), self.initial))
            missing = [name for name in referenced if name not in known]
        if self.species and missing:
            raise CRNStructureError(f"species {missing[0]!r} is used but not in the species list")
        species.extend(missing)
        for name in species:
            if not is_identifier(name):
                raise CRNStructureError(f"species name {name!r} must match [A-Za-z_][A-Za-z0-9_]*")
        initial = {}
        for name in species:
            if name in self.initial:
                amount = float(self.initial[name])
                if not (math.isfinite(amount) and amount >= 0):
                    raise CRNStructureError(f"initial amount of {name} must be finite and >= 0, got {amount}")
                if amount > 0:
                    initial[name] = amount
        for kind, signals in (("input", inputs), ("output", outputs)):
            names = [signal.name for signal in signals]
            if len(set(names)) != len(names):
                raise CRNStructureError(
                    f"two {kind}s are named {next(n for n in names if names.count(n) > 1)!r}"
                )
        if not lazy:
            object.__setattr__(self, "reactions", reactions)
        object.__setattr__(self, "inputs", inputs)
        object.__setattr__(self, "outputs", outputs)
        object.__setattr__(self, "species", tuple(species))
        object.__setattr__(self, "initial", MappingProxyType(initial))

    @classmethod
    def _with_terms(
        cls,
        reactions: tuple[Reaction, ...] | ReactionArrays,
        initial: Mapping[str, float],
        inputs: tuple[Signal, ...],
        outputs: tuple[Signal, ...],
        species: tuple[str, ...],
        raw_inputs: RawInputs | None,
        reactant_terms: TermsCSR,
        product_terms: TermsCSR,
    ) -> CRN:
        """Build with the reactions' sparse terms already made (the `.crn` reader's hot path).

        `reactions` may be `ReactionArrays`, built into Reaction objects on first use.
        Everything else is validated as by the constructor; the terms must match the
        reactions in `species` column order (the reader builds both from the same text).
        """
        crn = object.__new__(cls)
        if isinstance(reactions, ReactionArrays):
            crn.__dict__["_reaction_arrays"] = reactions
        else:
            object.__setattr__(crn, "reactions", reactions)
        for name, value in (
            ("initial", initial),
            ("inputs", inputs),
            ("outputs", outputs),
            ("species", species),
            ("raw_inputs", raw_inputs),
        ):
            object.__setattr__(crn, name, value)
        crn.__dict__["reactant_terms"] = reactant_terms
        crn.__dict__["product_terms"] = product_terms
        crn.__post_init__()
        return crn

    @classmethod
    def _trusted(
        cls,
        reactions: tuple[Reaction, ...] | ReactionArrays,
        initial: Mapping[str, float],
        inputs: tuple[Signal, ...],
        outputs: tuple[Signal, ...],
        species: tuple[str, ...],
        reactant_matrix: sp.csr_array,
        product_matrix: sp.csr_array,
        raw_inputs: RawInputs | None = None,
    ) -> CRN:
        """Build without re-validating parts that nn2crn derived itself (hot path of reduce).

        The matrices must already be in `species` column order. `reactions` may be
        `ReactionArrays` (over the same `species`), built into Reaction objects on first use.
        """
        crn = object.__new__(cls)
        if isinstance(reactions, ReactionArrays):
            crn.__dict__["_reaction_arrays"] = reactions
        else:
            object.__setattr__(crn, "reactions", reactions)
        object.__setattr__(crn, "initial", MappingProxyType(dict(initial)))
        object.__setattr__(crn, "inputs", inputs)
        object.__setattr__(crn, "outputs", outputs)
        object.__setattr__(crn, "species", species)
        object.__setattr__(crn, "raw_inputs", raw_inputs)
        crn.__dict__["reactant_matrix"] = reactant_matrix
        crn.__dict__["product_matrix"] = product_matrix
        return crn

    # -- sizes ---------------------------------------------------------------
    @property
    def n_species(self) -> int:
        return len(self.species)

    @property
    def n_reactions(self) -> int:
        if "reactions" not in self.__dict__:
            return self.__dict__["_reaction_arrays"].n_reactions
        return len(self.reactions)

    @property
    def n_inputs(self) -> int:
        return len(self.inputs)

    @property
    def n_outputs(self) -> int:
        return len(self.outputs)

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(signal.name for signal in self.inputs)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(signal.name for signal in self.outputs)

    # -- derived arrays (cached) ---------------------------------------------
    @cached_property
    def species_index(self) -> Mapping[str, int]:
        return MappingProxyType({name: index for index, name in enumerate(self.species)})

    def _terms_csr(self, rows: list[Terms], n_rows: int) -> TermsCSR:
        index = self.species_index
        lengths = np.fromiter((len(terms) for terms in rows), dtype=np.int64, count=n_rows)
        names = [name for terms in rows for name, _ in terms]
        counts = np.fromiter(
            (count for terms in rows for _, count in terms), dtype=np.float64, count=len(names)
        )
        try:
            columns = np.fromiter(map(index.__getitem__, names), dtype=np.int64, count=len(names))
        except KeyError as error:
            raise CRNStructureError(
                f"species {error.args[0]!r} is used but not in the species list"
            ) from None
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        return TermsCSR.canonical(indptr, columns, counts, (n_rows, self.n_species))

    @cached_property
    def reactant_terms(self) -> TermsCSR:
        """Reactant counts as numpy CSR arrays (no scipy), shape (n_reactions, n_species)."""
        if "reactant_matrix" in self.__dict__:
            return TermsCSR.from_scipy(self.__dict__["reactant_matrix"])
        return self._terms_csr([r.reactants for r in self.reactions], self.n_reactions)

    @cached_property
    def product_terms(self) -> TermsCSR:
        """Product counts as numpy CSR arrays (no scipy), shape (n_reactions, n_species)."""
        if "product_matrix" in self.__dict__:
            return TermsCSR.from_scipy(self.__dict__["product_matrix"])
        return self._terms_csr([r.products for r in self.reactions], self.n_reactions)

    @cached_property
    def reactant_matrix(self) -> sp.csr_array:
        """Reactant counts, sparse of shape (n_reactions, n_species)."""
        return self.reactant_terms.to_scipy()

    @cached_property
    def product_matrix(self) -> sp.csr_array:
        """Product counts, sparse of shape (n_reactions, n_species)."""
        return self.product_terms.to_scipy()

    @cached_property
    def stoichiometry(self) -> sp.csr_array:
        """Net change per firing, sparse of shape (n_reactions, n_species)."""
        return (self.product_matrix - self.reactant_matrix).tocsr()

    @cached_property
    def rates(self) -> np.ndarray:
        """Rate constants, shape (n_reactions,)."""
        if "reactions" not in self.__dict__:
            rates = np.array(self.__dict__["_reaction_arrays"].rates, dtype=np.float64)
        else:
            rates = np.array([r.rate for r in self.reactions], dtype=np.float64)
        rates.setflags(write=False)
        return rates

    @cached_property
    def reactant_columns(self) -> np.ndarray:
        """Reactant species columns, int array of shape (n_reactions, max_distinct_reactants).

        Padded with -1; `reactant_powers` gives the matching counts (0 for padding).
        """
        if "reactions" not in self.__dict__:
            # The reader's arrays, in the text's term order: one scatter, no loop.
            arrays: ReactionArrays = self.__dict__["_reaction_arrays"]
            lengths = np.diff(arrays.reactant_indptr)
            width = int(lengths.max(initial=0))
            columns = np.full((self.n_reactions, width), -1, dtype=np.int64)
            powers = np.zeros((self.n_reactions, width), dtype=np.int64)
            rows = np.repeat(np.arange(self.n_reactions), lengths)
            slots = np.arange(len(rows)) - arrays.reactant_indptr[rows]
            columns[rows, slots] = arrays.reactant_columns
            powers[rows, slots] = arrays.reactant_counts
        else:
            width = max((len(r.reactants) for r in self.reactions), default=0)
            columns = np.full((self.n_reactions, width), -1, dtype=np.int64)
            powers = np.zeros((self.n_reactions, width), dtype=np.int64)
            index = self.species_index
            for row, reaction in enumerate(self.reactions):
                for slot, (name, count) in enumerate(reaction.reactants):
                    columns[row, slot] = index[name]
                    powers[row, slot] = count
        columns.setflags(write=False)
        powers.setflags(write=False)
        self.__dict__["reactant_powers"] = powers
        return columns

    @property
    def reactant_powers(self) -> np.ndarray:
        """Reactant counts matching `reactant_columns`, shape (n_reactions, max_distinct_reactants)."""
        self.reactant_columns  # noqa: B018 - fills the cache
        return self.__dict__["reactant_powers"]

    @cached_property
    def initial_vector(self) -> np.ndarray:
        """Fixed initial amounts, shape (n_species,)."""
        vector = np.zeros(self.n_species)
        for name, amount in self.initial.items():
            vector[self.species_index[name]] = amount
        vector.setflags(write=False)
        return vector

    def _signal_matrix(self, signals: tuple[Signal, ...], side: str) -> np.ndarray:
        matrix = np.zeros((len(signals), self.n_species))
        for row, signal in enumerate(signals):
            for name, count in getattr(signal, side):
                matrix[row, self.species_index[name]] += count
        return matrix

    @cached_property
    def output_matrix(self) -> np.ndarray:
        """Dense (n_outputs, n_species): output values are ``state @ output_matrix.T``.

        Rows are divided by the outputs' scales, so they give the true values.
        """
        matrix = self._signal_matrix(self.outputs, "positive") - self._signal_matrix(self.outputs, "negative")
        matrix /= np.array([signal.scale for signal in self.outputs])[:, None]
        matrix.setflags(write=False)
        return matrix

    # -- inputs and outputs ----------------------------------------------------
    def initial_state(self, input_values: object = None) -> np.ndarray:
        """Initial amounts for a batch of input vectors.

        Parameters
        ----------
        input_values : array-like of shape (n_batch, n_inputs), or None
            Values of the declared inputs, in declaration order. None (or a CRN
            without inputs) gives a batch of one with the fixed initial amounts.

        Returns
        -------
        ndarray of shape (n_batch, n_species)

        Raises
        ------
        InputDataError
            Wrong shape, non-finite values, or a negative value for a single-rail input.
        """
        if input_values is None:
            if self.inputs:
                raise InputDataError(
                    f"this CRN declares {self.n_inputs} inputs ({', '.join(self.input_names[:5])}"
                    f"{', ...' if self.n_inputs > 5 else ''}); give one value for each"
                )
            return self.initial_vector[None, :].copy()
        return self._load_species_major(self.validate_inputs(input_values)).T

    def validate_inputs(self, input_values: object) -> np.ndarray:
        """Input values as float64 (n_batch, n_inputs), checked for shape, NaN and single-rail signs."""
        values = as_batch(input_values, self.n_inputs, what="inputs", column_names=self.input_names)
        negative = (values < 0) & self._single_rail
        if negative.any():
            row, column = (int(v) for v in np.argwhere(negative)[0])
            name = self.inputs[column].name
            raise InputDataError(
                f"inputs: row {row}, {name} = {values[row, column]} is negative, but input "
                f"{name} is single-rail and takes only values >= 0 (was the CRN compiled "
                f"with shift_inputs=LOW? then feed x - LOW)"
            )
        return values

    def _load_species_major(
        self, values: np.ndarray, out: np.ndarray | None = None, *, zeroed: bool = False
    ) -> np.ndarray:
        """Initial amounts laid out (n_species, n_batch), for validated input `values`.

        Writes into `out` (shape (n_species, >= n_batch)) when given, so callers
        that work in chunks reuse one buffer; ``zeroed=True`` promises `out` is
        all zeros, so only the nonzero rows are written.
        """
        n_batch = values.shape[0]
        amounts = np.empty((self.n_species, n_batch)) if out is None else out[:, :n_batch]
        if zeroed:
            rows = self._initial_rows
            amounts[rows] = self.initial_vector[rows, None]
        elif self.initial:
            amounts[...] = self.initial_vector[:, None]
        else:
            amounts.fill(0.0)
        values_t = values.T
        for sign, (species, signal_index, counts, unique) in zip(
            (1.0, -1.0), self._input_scatter, strict=True
        ):
            if isinstance(species, slice):
                # Common case (compiled networks): input k loads species start + k * step,
                # which start at 0, so write the rail straight into a strided view.
                target = amounts[species]
                if sign > 0:
                    np.maximum(values_t, 0.0, out=target)
                else:
                    np.negative(values_t, out=target)
                    np.maximum(target, 0.0, out=target)
                continue
            if len(species) == 0:
                continue
            if not unique:
                # Inputs that load many species (a fully reduced CRN): one sparse product,
                # (n_species, n_inputs) @ (n_inputs, n_batch); gathering a row per loading
                # term first would take terms x batch memory.
                amounts += self._loading_product(0 if sign > 0 else 1, np.maximum(sign * values_t, 0.0))
                continue
            rail = np.maximum(sign * values_t[signal_index], 0.0)
            if not (counts == 1).all():
                rail *= counts[:, None]
            # Each species is loaded by one term: a plain fancy-index add is exact and fast.
            amounts[species] += rail
        return amounts

    @cached_property
    def _initial_rows(self) -> np.ndarray:
        return np.flatnonzero(self.initial_vector)

    @cached_property
    def _single_rail(self) -> np.ndarray:
        return np.array([not signal.dual_rail for signal in self.inputs], dtype=bool)

    @cached_property
    def _input_terms(self) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]:
        """Per rail: (species column, input index, count) of every loading term, by (input, species).

        Repeated (input, species) terms are added up, as in `_input_loading`.
        """
        index = self.species_index
        result = []
        for side in ("positive", "negative"):
            triples = [
                (index[name], k, count)
                for k, signal in enumerate(self.inputs)
                for name, count in getattr(signal, side)
            ]
            species = np.array([t[0] for t in triples], dtype=np.int64)
            inputs = np.array([t[1] for t in triples], dtype=np.int64)
            counts = np.array([t[2] for t in triples], dtype=np.float64)
            order = np.lexsort((species, inputs))
            species, inputs, counts = species[order], inputs[order], counts[order]
            if len(species) > 1:
                repeated = (species[1:] == species[:-1]) & (inputs[1:] == inputs[:-1])
                if repeated.any():
                    starts = np.flatnonzero(np.concatenate(([True], ~repeated)))
                    counts = np.add.reduceat(counts, starts)
                    species, inputs = species[starts], inputs[starts]
            result.append((species, inputs, counts))
        return tuple(result)

    @cached_property
    def _input_scatter(self) -> tuple[tuple[np.ndarray | slice, np.ndarray, np.ndarray, bool], ...]:
        """Per rail: (species column, input index, count, species unique) of every loading term.

        When input k loads exactly species ``start + k * step`` once, with no fixed
        initial amount, the species are given as a slice for a copy-free load.
        """
        result: list[tuple[np.ndarray | slice, np.ndarray, np.ndarray, bool]] = []
        for species, inputs, counts in self._input_terms:
            unique = len(distinct(species)) == len(species)
            step = int(species[1] - species[0]) if len(species) > 1 else 1
            regular = (
                unique
                and len(species) == self.n_inputs
                and np.array_equal(inputs, np.arange(self.n_inputs))
                and (counts == 1).all()
                and step > 0
                and np.array_equal(species, species[0] + step * np.arange(len(species)))
                and not self.initial_vector[species].any()
            )
            if regular:
                result.append((slice(int(species[0]), int(species[-1]) + 1, step), inputs, counts, True))
            else:
                result.append((species, inputs, counts, unique))
        return tuple(result)

    @cached_property
    def _input_loading(self) -> tuple[sp.csr_array, sp.csr_array]:
        """Sparse (n_species, n_inputs) loading matrices of the positive and negative sides."""
        import scipy.sparse as sp

        shape = (self.n_species, self.n_inputs)
        return tuple(  # type: ignore[return-value]
            sp.csr_array((counts, (species, inputs)), shape=shape)
            for species, inputs, counts in self._input_terms
        )

    def _loading_product(self, rail: int, values: np.ndarray) -> np.ndarray:
        """(n_species, n_inputs) loading of one rail times `values` (n_inputs, n_batch)."""
        if self.n_species * self.n_inputs <= _DENSE_LOADING:
            species, inputs, counts = self._input_terms[rail]
            loading = np.zeros((self.n_species, self.n_inputs))
            loading[species, inputs] = counts
            return loading @ values
        return self._input_loading[rail] @ values

    def read_outputs(self, states: np.ndarray) -> np.ndarray:
        """Output values ``(positive - negative) / scale`` for states (..., n_species) → (..., n_outputs)."""
        return np.asarray(states) @ self.output_matrix.T

    # -- equality ----------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        """Semantic equality: same species set, reactions, initial amounts and signals.

        The species order (the array column order) is not compared.
        """
        if not isinstance(other, CRN):
            return NotImplemented
        return (
            set(self.species) == set(other.species)
            and self.reactions == other.reactions
            and dict(self.initial) == dict(other.initial)
            and self.inputs == other.inputs
            and self.outputs == other.outputs
            and self.raw_inputs == other.raw_inputs
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"CRN(n_species={self.n_species}, n_reactions={self.n_reactions}, "
            f"inputs={list(self.input_names)}, outputs={list(self.output_names)})"
        )

    def with_rates(self, rates: object) -> CRN:
        """A copy with rate constants replaced; `rates` has shape (n_reactions,)."""
        rates = np.asarray(rates, dtype=np.float64)
        if rates.shape != (self.n_reactions,):
            raise InputDataError(f"rates: expected shape ({self.n_reactions},), got {rates.shape}")
        reactions = tuple(
            Reaction(r.reactants, r.products, float(k)) for r, k in zip(self.reactions, rates, strict=True)
        )
        return CRN(reactions, self.initial, self.inputs, self.outputs, self.species, self.raw_inputs)
