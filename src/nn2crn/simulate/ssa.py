"""Exact stochastic simulation (Gillespie's direct method) at finite molecule counts.

Conventions
-----------
Volume and counts
    A species with amount ``a`` (concentration units, as in the ODE and the exact
    evaluator) starts with ``a * V`` molecules, rounded by `rounding`:

    - ``"nearest"`` (default): round half to even (:func:`numpy.rint`), so 2.5 → 2
      and 3.5 → 4. Deterministic: every run of an input row starts alike.
    - ``"stochastic"``: ``floor(a V)`` plus one more molecule with probability
      ``a V - floor(a V)``, drawn per run. Unbiased: the mean initial count is ``a V``.

    Amounts are reported as ``count / V``.

Propensities (stochastic mass action)
    A reaction with rate constant ``k`` and reactants ``n_1 X_1 + n_2 X_2 + ...``
    (order ``n = sum n_i``) fires with propensity

    ``k / V**(n - 1) * prod_i x_i (x_i - 1) ... (x_i - n_i + 1)``

    where ``x_i`` are molecule counts (the falling factorial is ``C(x_i, n_i) n_i!``).
    So ``A -> ...`` has ``k a``, ``A + B -> ...`` has ``k a b / V``, and the
    homodimer ``2 A -> ...`` has ``k a (a - 1) / V``, which is the
    ``a (a - 1) / 2`` distinct pairs times the per-pair constant ``2 k / V``.
    With this convention the large-V limit is the mass-action ODE used everywhere
    else in nn2crn, ``rate = k prod_i [X_i]**n_i`` (so ``d[A]/dt = -2 k [A]**2`` for
    ``2 A -> ...``); the tests check it. rebop uses the same convention for
    ``k`` at V = 1.

Randomness
    Each batch row (input row ``i``, run ``j``) draws from its own xoshiro256**
    stream seeded by ``numpy.random.SeedSequence(seed, spawn_key=(i, j))``. A row's
    trajectory therefore depends only on ``(seed, i, j)``: not on how many runs
    or inputs are simulated with it, on the number of threads, or on the backend
    (compiled or pure Python).
"""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from .._errors import CRNStructureError, SimulationError
from ..crn import CRN
from ._ssa_types import COUNT_LIMIT, BatchOutput, BatchSettings, BatchStart, SsaPlan
from .base import SsaStats, Status, Trajectory, check_trajectory_size, sample_grid

ROUNDING_RULES = ("nearest", "stochastic")
METHODS = ("direct", "tau-leap")
STORE_MODES = ("all", "outputs", "final")
BACKENDS = ("auto", "c", "numba")
_NO_LIMIT = np.iinfo(np.int64).max


def _kernel():
    """The numba kernel module (or its pure-Python fallback without numba); imports numba."""
    from . import _ssa_kernel

    return _ssa_kernel


def _native():
    """The ahead-of-time compiled C kernel module, or None when it was not built."""
    from . import _ssa_native

    return _ssa_native if _ssa_native.available() else None


# ---------------------------------------------------------------------------
# validation


def _check_volume(volume: object) -> float:
    try:
        value = float(volume)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SimulationError(f"volume must be a number > 0, got {volume!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise SimulationError(
            f"volume must be a finite number > 0 (molecules per unit amount), got {volume!r}; "
            f"e.g. volume=100 turns an amount of 1.5 into 150 molecules"
        )
    return value


def _check_runs(runs: object) -> int:
    if isinstance(runs, bool) or not isinstance(runs, (int, np.integer)) or runs < 1:
        raise SimulationError(f"runs must be an integer >= 1 (trajectories per input row), got {runs!r}")
    return int(runs)


def _check_t_end(t_end: object) -> float:
    try:
        value = float(t_end)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SimulationError(f"t_end must be a number > 0, got {t_end!r}") from None
    if math.isnan(value) or value <= 0:
        raise SimulationError(f"t_end must be > 0 (or inf to run until no reaction can fire), got {t_end!r}")
    return value


def _check_epsilon(epsilon: object) -> float:
    try:
        value = float(epsilon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SimulationError(f"epsilon must be a number in (0, 1), got {epsilon!r}") from None
    if not 0.0 < value < 1.0:
        raise SimulationError(
            f"epsilon must be in (0, 1) (the relative change of a propensity a tau leap allows), "
            f"got {epsilon!r}; 0.03 is the usual choice"
        )
    return value


def _row_states(seed: int | np.random.Generator | None, n_rows: int, runs: int) -> tuple[np.ndarray, int]:
    """xoshiro256** states (n_rows * runs, 4) for rows ordered (input row, run); and the entropy used."""
    if isinstance(seed, np.random.Generator):
        entropy = int(seed.integers(0, 2**63))
    elif seed is None:
        entropy = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        entropy = int(seed)
    else:
        raise SimulationError(f"seed must be an integer >= 0, a numpy Generator or None, got {seed!r}")
    states = np.empty((n_rows * runs, 4), dtype=np.uint64)
    for row in range(n_rows):
        for run in range(runs):
            states[row * runs + run] = np.random.SeedSequence(entropy, spawn_key=(row, run)).generate_state(
                4, np.uint64
            )
    return states, entropy


def initial_counts(
    crn: CRN, input_values: object = None, *, volume: float, rounding: str = "nearest"
) -> tuple[np.ndarray, np.ndarray]:
    """Initial molecule counts ``amount * V`` of each input row, before per-run randomness.

    Parameters
    ----------
    crn : CRN
    input_values : array-like of shape (n_rows, n_inputs), optional
    volume : float
        V > 0.
    rounding : {"nearest", "stochastic"}
        See the module docstring.

    Returns
    -------
    base : int64 ndarray of shape (n_rows, n_species)
        Rounded counts (``"nearest"``) or ``floor(amount * V)`` (``"stochastic"``).
    fraction : float64 ndarray of shape (n_rows, n_species)
        Probability of one extra molecule (all 0 for ``"nearest"``).

    Raises
    ------
    SimulationError
        Bad volume or rounding rule, or a count of 2**62 or more (int64 would overflow).
    """
    volume = _check_volume(volume)
    if rounding not in ROUNDING_RULES:
        raise SimulationError(f"rounding must be one of {ROUNDING_RULES}, got {rounding!r}")
    scaled = crn.initial_state(input_values) * volume
    limit = float(COUNT_LIMIT)
    too_big = ~(scaled < limit)
    if too_big.any():
        row, column = (int(v) for v in np.argwhere(too_big)[0])
        raise SimulationError(
            f"input row {row}: species {crn.species[column]} would start with {scaled[row, column]:.3g} "
            f"molecules (amount x volume {volume:g}); counts must stay below 2**62 ~ 4.6e18 to fit int64. "
            f"Use a smaller volume or the ODE simulator"
        )
    # C order whatever the layout of the initial states: the kernel is compiled for one layout only.
    scaled = np.ascontiguousarray(scaled)
    if rounding == "nearest":
        return np.rint(scaled).astype(np.int64), np.zeros_like(scaled)
    base = np.floor(scaled)
    return base.astype(np.int64), scaled - base


# ---------------------------------------------------------------------------
# compiled structure of a CRN


def _group_sum(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct `keys` in increasing order and the exact int64 sum of `values` per key."""
    if keys.size == 0:
        return keys, values
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    first = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    return keys[first], np.add.reduceat(values, first)


def _join(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j) with ``left[i] == right[j]`` (both int64 species columns)."""
    order = np.argsort(right, kind="stable")
    sorted_right = right[order]
    begin = np.searchsorted(sorted_right, left, side="left")
    count = np.searchsorted(sorted_right, left, side="right") - begin
    i = np.repeat(np.arange(left.size, dtype=np.int64), count)
    offsets = np.arange(i.size, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    return i, order[np.repeat(begin, count) + offsets]


def _csr(rows: np.ndarray, columns: np.ndarray, values: np.ndarray, n_rows: int, n_columns: int):
    """CSR (indptr, indices sorted per row, int64 values) of COO entries: duplicates summed, zeros dropped."""
    keys, sums = _group_sum(rows * n_columns + columns, values.astype(np.int64))
    keep = sums != 0
    keys, sums = keys[keep], sums[keep]
    indptr = np.searchsorted(keys // max(n_columns, 1), np.arange(n_rows + 1), side="left").astype(np.int64)
    return indptr, (keys % max(n_columns, 1)).astype(np.int64), sums


def _term_entries(crn: CRN, side: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(reaction, species column, count) of every reactant or product term."""
    index = crn.species_index
    lists = [getattr(reaction, side) for reaction in crn.reactions]
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    rows = np.repeat(np.arange(len(lists), dtype=np.int64), lengths)
    names = [name for terms in lists for name, _ in terms]
    columns = np.fromiter(map(index.__getitem__, names), dtype=np.int64, count=len(names))
    counts = np.fromiter((count for terms in lists for _, count in terms), dtype=np.int64, count=len(names))
    return rows, columns, counts


_STRUCTURES: dict[int, tuple[weakref.ref, tuple]] = {}


def integer_output_matrix(crn: CRN) -> np.ndarray:
    """The outputs as integer combinations of counts, (n_outputs, n_species) int64.

    Row ``k`` is ``m_k / scale_k`` times output k's rails (``sum(positive) -
    sum(negative)``) with one common integer factor ``m`` chosen so every row is
    integer: counts @ matrix.T is ``m`` times the true outputs, exactly, so the
    comparisons (leader, ties, argmax) on it are those of the true values.
    ``numpy.rint(crn.output_matrix)`` is not: it rounds ``1/scale`` away when an
    output has ``scale != 1`` (rational weights).

    Parameters
    ----------
    crn : CRN

    Returns
    -------
    ndarray of int64, shape (n_outputs, n_species)
    """
    from fractions import Fraction

    rails = np.zeros((crn.n_outputs, crn.n_species), dtype=np.int64)
    for row, signal in enumerate(crn.outputs):
        for name, count in signal.positive:
            rails[row, crn.species_index[name]] += count
        for name, count in signal.negative:
            rails[row, crn.species_index[name]] -= count
    # scale_k = p_k / q_k; 1/scale_k * lcm(p) = q_k * lcm(p) / p_k is an integer.
    scales = [Fraction(signal.scale).limit_denominator(10**6) for signal in crn.outputs]
    common = math.lcm(*(scale.numerator for scale in scales)) if scales else 1
    factors = np.array([common // scale.numerator * scale.denominator for scale in scales], dtype=np.int64)
    return rails * factors[:, None] if scales else rails


def _structure(crn: CRN) -> tuple:
    """Volume-independent index arrays of `crn`, cached per CRN object (CRNs are immutable)."""
    cached = _STRUCTURES.get(id(crn))
    if cached is not None and cached[0]() is crn:
        return cached[1]
    structure = _build_structure(crn)
    if len(_STRUCTURES) >= 8:
        _STRUCTURES.pop(next(iter(_STRUCTURES)))
    _STRUCTURES[id(crn)] = (weakref.ref(crn), structure)
    return structure


def _build_structure(crn: CRN) -> tuple:
    # numpy only, vectorized: a fresh `nn2crn simulate --method ssa` never imports scipy.
    n_reactions, n_species = crn.n_reactions, crn.n_species
    r_rows, r_columns, r_counts = _term_entries(crn, "reactants")
    p_rows, p_columns, p_counts = _term_entries(crn, "products")
    react_ptr, react_idx, react_pow = _csr(r_rows, r_columns, r_counts, n_reactions, n_species)
    delta_ptr, delta_idx, delta_val = _csr(
        np.concatenate((p_rows, r_rows)),
        np.concatenate((p_columns, r_columns)),
        np.concatenate((p_counts, -r_counts)),
        n_reactions,
        n_species,
    )
    delta_rows = np.repeat(np.arange(n_reactions, dtype=np.int64), np.diff(delta_ptr))
    react_rows = np.repeat(np.arange(n_reactions, dtype=np.int64), np.diff(react_ptr))
    # Reaction q depends on r if r changes one of q's reactants.
    i, j = _join(delta_idx, react_idx)
    dep_ptr, dep_idx, _ = _csr(
        delta_rows[i], react_rows[j], np.ones(i.size, dtype=np.int64), n_reactions, n_reactions
    )
    out_matrix = np.ascontiguousarray(integer_output_matrix(crn), dtype=np.int64)
    # Change of the integer outputs per firing: delta (n_reactions, n_species) @ out_matrix.T, exactly.
    out_k, out_s = np.nonzero(out_matrix)
    i, j = _join(delta_idx, out_s.astype(np.int64))
    out_ptr, out_idx, out_val = _csr(
        delta_rows[i],
        out_k[j].astype(np.int64),
        delta_val[i] * out_matrix[out_k[j], out_s[j]],
        n_reactions,
        crn.n_outputs,
    )
    orders = np.array([reaction.order for reaction in crn.reactions], dtype=np.float64)
    return (
        orders,
        react_ptr,
        react_idx,
        react_pow,
        delta_ptr,
        delta_idx,
        delta_val,
        dep_ptr,
        dep_idx,
        out_ptr,
        out_idx,
        out_val,
        out_matrix,
    )


def _tau_plan(crn: CRN, epsilon: float):
    """The tau-leaping kernel's :class:`._tau_kernel.TauPlan` of `crn` (volume-independent)."""
    from . import _tau_kernel

    cached = _TAU_STRUCTURES.get(id(crn))
    if cached is not None and cached[0]() is crn:
        arrays = cached[1]
    else:
        arrays = _build_tau_structure(crn)
        if len(_TAU_STRUCTURES) >= 8:
            _TAU_STRUCTURES.pop(next(iter(_TAU_STRUCTURES)))
        _TAU_STRUCTURES[id(crn)] = (weakref.ref(crn), arrays)
    return _tau_kernel.TauPlan(
        *arrays,
        epsilon=float(epsilon),
        n_critical=_tau_kernel.N_CRITICAL,
        exact_factor=_tau_kernel.EXACT_FACTOR,
        exact_steps=_tau_kernel.EXACT_STEPS,
    )


_Arrays6 = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
_TauArrays = tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray
]
_TAU_STRUCTURES: dict[int, tuple[weakref.ref, _TauArrays]] = {}


def _build_tau_structure(crn: CRN) -> _TauArrays:
    """Net consumption per reactant entry, each species' highest reaction order and multiplicity,
    and the candidates for birth-death leaps (:func:`_birth_death_candidates`)."""
    import scipy.sparse as sp

    orders, react_ptr, react_idx, react_pow, *_ = _structure(crn)
    reaction_of_entry = np.repeat(np.arange(react_ptr.size - 1), np.diff(react_ptr))
    consumed = sp.csr_array(-sp.csr_array(crn.stoichiometry)).maximum(0)
    if react_idx.size:
        react_use = np.rint(np.asarray(consumed[reaction_of_entry, react_idx]).ravel()).astype(np.int64)
    else:
        react_use = np.zeros(0, dtype=np.int64)
    entry_order = orders[reaction_of_entry].astype(np.int64)
    highest_order = np.zeros(crn.n_species, dtype=np.int64)
    np.maximum.at(highest_order, react_idx, entry_order)
    highest_power = np.zeros(crn.n_species, dtype=np.int64)
    in_highest = entry_order == highest_order[react_idx]
    np.maximum.at(highest_power, react_idx[in_highest], react_pow[in_highest])
    return (react_use, highest_order, highest_power, *_birth_death_candidates(crn, orders))


def _birth_death_candidates(crn: CRN, orders: np.ndarray) -> _Arrays6:
    """Species the tau-leaping kernel may leap as linear birth-death processes, grouped by death reaction.

    A candidate s is a reactant of exactly one reaction c, used once and consumed once per
    firing of c, and every other reaction that changes s makes one more s. Then only c's
    propensity depends on s and it is linear in s: with c's other reactants and the birth
    rates frozen over a leap (what ε controls), s is a linear birth-death process whose
    leap can be drawn exactly (see :mod:`._tau_kernel`). Compiled networks make every
    species a candidate; the ReLU gadget's ``m`` is the one that needs it.

    Returns ``fast_rxn`` (the death reactions, in topological order of the births they
    give), ``fast_ptr``,
    ``fast_species`` (CSR: each death reaction's candidate reactants), ``prod_ptr``,
    ``prod_idx`` (CSR over species: the reactions giving birth to a candidate) and
    ``reactant_uses`` (how many reactions have each species as a reactant).
    """
    import scipy.sparse as sp

    reactants = sp.csc_array(crn.reactant_matrix)
    stoichiometry = sp.csc_array(crn.stoichiometry)
    reactants.sort_indices()
    stoichiometry.sort_indices()
    n_species = crn.n_species
    consumer = np.full(n_species, -1, dtype=np.int64)
    prod_lists: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * n_species
    for s in range(n_species):
        rows = reactants.indices[reactants.indptr[s] : reactants.indptr[s + 1]]
        powers = reactants.data[reactants.indptr[s] : reactants.indptr[s + 1]]
        if rows.size != 1 or round(float(powers[0])) != 1:
            continue
        c = int(rows[0])
        changers = stoichiometry.indices[stoichiometry.indptr[s] : stoichiometry.indptr[s + 1]]
        changes = np.rint(stoichiometry.data[stoichiometry.indptr[s] : stoichiometry.indptr[s + 1]])
        is_death = changers == c
        if not (is_death.sum() == 1 and changes[is_death][0] == -1 and np.all(changes[~is_death] == 1)):
            continue
        consumer[s] = c
        prod_lists[s] = changers[~is_death].astype(np.int64)
    species = np.flatnonzero(consumer >= 0)
    # Death reactions in topological order of the births they give (r -> c when r gives birth
    # to a species c kills), so that the kernel draws a death reaction's firings before those of
    # the species it feeds. On a cycle the kernel's own check keeps the draws in order.
    fast_rxn = np.unique(consumer[species])
    position = np.full(crn.n_reactions, -1, dtype=np.int64)
    position[fast_rxn] = np.arange(fast_rxn.size)
    edge_from = np.concatenate([prod_lists[s] for s in species]) if species.size else np.zeros(0, np.int64)
    edge_to = np.repeat(consumer[species], [prod_lists[s].size for s in species])
    inside = position[edge_from] >= 0 if edge_from.size else np.zeros(0, dtype=bool)
    from ..crn.checks import longest_path_levels

    levels = longest_path_levels(fast_rxn.size, position[edge_from[inside]], position[edge_to[inside]])
    if levels is not None:
        fast_rxn = fast_rxn[np.argsort(levels, kind="stable")]
    groups = [species[consumer[species] == c] for c in fast_rxn]
    fast_ptr = np.concatenate([[0], np.cumsum([g.size for g in groups])]).astype(np.int64)
    fast_species = np.concatenate(groups).astype(np.int64) if groups else np.zeros(0, dtype=np.int64)
    prod_ptr = np.concatenate([[0], np.cumsum([p.size for p in prod_lists])]).astype(np.int64)
    prod_idx = np.concatenate(prod_lists).astype(np.int64) if n_species else np.zeros(0, dtype=np.int64)
    reactant_uses = np.diff(reactants.indptr).astype(np.int64)
    return fast_rxn.astype(np.int64), fast_ptr, fast_species, prod_ptr, prod_idx, reactant_uses


def _plan(crn: CRN, volume: float):
    """The kernel's :class:`._ssa_kernel.SsaPlan` of `crn` at `volume`."""
    orders, *arrays = _structure(crn)
    rate = np.asarray(crn.rates, dtype=np.float64) / volume ** np.maximum(orders - 1.0, 0.0)
    if orders.size and (orders == 0).any():
        # Zeroth-order reactions (-> X) scale with the volume: k V molecules per unit time.
        rate = np.where(orders == 0, np.asarray(crn.rates) * volume, rate)
    return SsaPlan(np.ascontiguousarray(rate, dtype=np.float64), *arrays)


# ---------------------------------------------------------------------------
# public API


def simulate_ssa(
    crn: CRN,
    input_values: object = None,
    *,
    volume: float,
    t_end: float,
    runs: int = 1,
    times: object = None,
    n_points: int = 101,
    seed: int | np.random.Generator | None = 0,
    max_events: int | None = None,
    store: str = "all",
    rounding: str = "nearest",
    method: str = "direct",
    epsilon: float = 0.03,
    n_threads: int | None = None,
    progress: Callable[[float], None] | None = None,
    backend: str = "auto",
) -> Trajectory:
    """Stochastic trajectories of a CRN at volume V: exact (Gillespie's direct method) or tau-leaping.

    Conventions (volume, rounding, propensities, seeding) are in the module docstring.

    Parameters
    ----------
    crn : CRN
        Any CRN; reactions of any order.
    input_values : array-like of shape (n_rows, n_inputs), optional
        Values of the declared inputs, one row per input (None for a CRN without inputs).
    volume : float
        V > 0: molecules per unit amount.
    t_end : float
        End time > 0, or ``math.inf`` to run every row until no reaction can fire.
    runs : int, default 1
        Independent trajectories per input row.
    times : array-like of shape (n_times,), optional
        Increasing sample times in [0, t_end]; `t_end` is appended if missing. Default:
        `n_points` evenly spaced times from 0 to `t_end` (``[0, inf]`` when t_end is inf).
    n_points : int, default 101
    seed : int, numpy Generator or None, default 0
        Batch row (input row i, run j) uses ``SeedSequence(seed, spawn_key=(i, j))``.
        A Generator contributes one draw as the seed; None draws fresh entropy.
    max_events : int, optional
        Stop a row after this many events and raise :class:`SimulationError`. Needed
        with ``t_end = inf`` for CRNs that may never run out of reactions.
    store : {"all", "outputs", "final"}
        ``"all"`` records every species at every sample time; ``"outputs"`` only the
        species the declared outputs read (``Trajectory.columns``); ``"final"`` every
        species at the first sample time and the end only. The last two save memory
        on big batches.
    rounding : {"nearest", "stochastic"}
        How ``amount * V`` becomes a count (module docstring).
    method : {"direct", "tau-leap"}
        ``"direct"``: exact, one event at a time. ``"tau-leap"``: *approximate*
        adaptive tau-leaping after Cao, Gillespie & Petzold (J. Chem. Phys. 124,
        044109, 2006), for high copy numbers: each leap lets every propensity change
        by about a fraction `epsilon`, fires each reaction a Poisson number of times,
        never makes a count negative, and falls back to exact steps when few
        molecules are left. A species consumed by one reaction only (every species
        of a compiled network) is leaped as a linear birth-death process, its
        survivors drawn binomially, so a species of a few molecules carrying a large
        flux (the ReLU gadget's ``m``) does not cap the leap (see
        :mod:`._tau_kernel`). Same seeding and batch layout
        as ``"direct"``, but different random draws, so not the same trajectories;
        ``leader_time`` is resolved to the leap.
    epsilon : float, default 0.03
        Tau-leaping error control, in (0, 1); smaller is more accurate and slower.
        Ignored by ``"direct"``.
    n_threads : int, optional
        Threads for the compiled backend (default: numba's default, the number of cores).
        Results do not depend on it.
    progress : callable, optional
        Called with the fraction of batch rows done (0 to 1) after each chunk of rows.
    backend : {"auto", "c", "numba"}, default "auto"
        Kernel of the exact method: ``"c"`` is the ahead-of-time compiled C kernel that
        ``pip install`` builds (no numba import, no JIT: the fast first call of a fresh
        process), ``"numba"`` the numba kernel (pure Python without numba). Both give
        bit-identical trajectories. ``"auto"``: C when it was built, else numba.
        Tau-leaping always runs on numba.

    Returns
    -------
    Trajectory
        ``states`` of shape (n_rows * runs, n_times, n_species) holding ``count / V``
        (n_columns instead of n_species with ``store="outputs"``);
        batch row ``i * runs + j`` is input row ``i``, run ``j`` (``input_rows`` maps
        it). ``stats`` is an :class:`~nn2crn.simulate.base.SsaStats`: per batch row the
        status ("t_end" or "exhausted" as ``termination``), ``events``,
        ``t_last_event``, ``leader_time`` (time the unique argmax of the outputs last
        changed identity, a tie counting as no leader; exact, not on the sample
        grid), ``run`` and ``final_counts`` (int64, (n_batch, n_species)); and
        ``volume``, ``seed`` (the entropy used), ``rounding``, ``backend`` ("c",
        "numba" or "python"), ``seconds`` (in the kernel), ``method`` and ``epsilon``.

    Raises
    ------
    SimulationError
        V <= 0, runs < 1, bad times, seed, method or epsilon, a count that would
        exceed 2**62, or a row that hit `max_events`.
    InputDataError
        Malformed inputs.

    Examples
    --------
    >>> trajectory = simulate_ssa(crn, x, volume=100, t_end=50, runs=10, seed=1)  # doctest: +SKIP
    >>> trajectory.final_outputs.shape  # (n_rows * 10, n_outputs)  # doctest: +SKIP
    """
    volume = _check_volume(volume)
    runs = _check_runs(runs)
    t_end = _check_t_end(t_end)
    if store not in STORE_MODES:
        raise SimulationError(f"store must be one of {STORE_MODES}, got {store!r}")
    if method not in METHODS:
        raise SimulationError(f"method must be one of {METHODS}, got {method!r}")
    epsilon = _check_epsilon(epsilon)
    if backend not in BACKENDS:
        raise SimulationError(f"backend must be one of {BACKENDS}, got {backend!r}")
    native = _native() if method == "direct" and backend in ("auto", "c") else None
    if backend == "c" and native is None:
        raise SimulationError(
            "backend='c': the C SSA kernel was not built (no C compiler at install time, or "
            "method='tau-leap'); reinstall nn2crn with gcc available, or use backend='numba'"
        )
    if max_events is None:
        limit = _NO_LIMIT
        if math.isinf(t_end):
            _require_terminating(crn)
    elif isinstance(max_events, bool) or not isinstance(max_events, (int, np.integer)) or max_events < 0:
        raise SimulationError(f"max_events must be an integer >= 0 or None, got {max_events!r}")
    else:
        limit = int(max_events)
    if n_threads is not None and (
        isinstance(n_threads, bool) or not isinstance(n_threads, (int, np.integer)) or n_threads < 1
    ):
        raise SimulationError(f"n_threads must be an integer >= 1 or None, got {n_threads!r}")
    sample_times = sample_grid(t_end, times, n_points, append_end=True)
    if store == "final" and sample_times.size > 2:
        sample_times = sample_times[[0, -1]]
    if store == "outputs":
        columns = np.flatnonzero(np.any(crn.output_matrix != 0, axis=0)).astype(np.int64)
    else:
        columns = np.arange(crn.n_species, dtype=np.int64)
    base, fraction = initial_counts(crn, input_values, volume=volume, rounding=rounding)
    n_rows = base.shape[0]
    check_trajectory_size(n_rows * runs, sample_times.size, max(columns.size, crn.n_species))
    rng_states, entropy = _row_states(seed, n_rows, runs)
    input_rows = np.repeat(np.arange(n_rows, dtype=np.int64), runs)
    plan = _plan(crn, volume)

    n_batch = input_rows.size
    output = BatchOutput(
        records=np.zeros((n_batch, sample_times.size, columns.size)),
        final_counts=np.zeros((n_batch, crn.n_species), dtype=np.int64),
        status=np.zeros(n_batch, dtype=np.int64),
        events=np.zeros(n_batch, dtype=np.int64),
        t_last=np.zeros(n_batch),
        t_leader=np.zeros(n_batch),
    )
    settings = BatchSettings(float(t_end), sample_times, columns, float(volume), int(limit))

    chunk = max(1, n_batch) if progress is None else max(8, -(-n_batch // 100))
    started = time.perf_counter()
    if native is not None:
        threads = native.default_threads() if n_threads is None else int(n_threads)

        def run_part(start, part_output):
            native.run_batch(start, plan, settings, part_output, threads)

        backend_name = "c"
        scope = _no_thread_count()
    else:
        kernel = _kernel()
        backend_name = "numba" if kernel.HAVE_NUMBA else "python"
        scope = _thread_count(kernel, n_threads)
        if method == "tau-leap":
            from . import _tau_kernel

            tau_plan = _tau_plan(crn, epsilon)

            def run_part(start, part_output):
                _tau_kernel.run_batch(start, plan, tau_plan, settings, part_output)

        else:

            def run_part(start, part_output):
                kernel.run_batch(start, plan, settings, part_output)

    with scope:
        for start in range(0, n_batch, chunk):
            part = slice(start, min(n_batch, start + chunk))
            run_part(
                BatchStart(base, fraction, input_rows[part], rng_states[part]),
                BatchOutput(*(array[part] for array in output)),
            )
            if progress is not None:
                progress(part.stop / n_batch)
    elapsed = time.perf_counter() - started

    _raise_on_failure(crn, output, input_rows, runs, limit)
    stats = SsaStats(
        status=output.status,
        events=output.events,
        t_last_event=output.t_last,
        leader_time=output.t_leader if crn.n_outputs else np.full(n_batch, np.nan),
        run=np.tile(np.arange(runs, dtype=np.int64), n_rows),
        final_counts=output.final_counts,
        volume=volume,
        seed=entropy,
        rounding=rounding,
        backend=backend_name,
        seconds=elapsed,
        method=method,
        epsilon=epsilon if method == "tau-leap" else math.nan,
    )
    return Trajectory(
        crn,
        sample_times,
        output.records,
        input_rows,
        "ssa",
        stats,
        columns=columns if store == "outputs" else None,
    )


@contextmanager
def _no_thread_count() -> Iterator[None]:
    yield


@contextmanager
def _thread_count(kernel, n_threads: int | None) -> Iterator[None]:
    """Temporarily set numba's thread count (no-op without numba or when `n_threads` is None)."""
    numba = kernel._numba
    if n_threads is None or numba is None:
        yield
        return
    previous = numba.get_num_threads()
    numba.set_num_threads(min(int(n_threads), numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def _raise_on_failure(crn: CRN, output, input_rows: np.ndarray, runs: int, max_events: int) -> None:
    """Raise for the first failed batch row, naming its input row, run and time."""
    for status in (Status.MAX_EVENTS, Status.OVERFLOW):
        bad = np.flatnonzero(output.status == status)
        if bad.size:
            b = int(bad[0])
            if status == Status.MAX_EVENTS:
                what = f"hit max_events = {max_events}"
            else:
                species = crn.species[int(np.argmax(output.final_counts[b]))]
                what = f"a count passed 2**62 ({species})"
            raise SimulationError(
                f"SSA stopped early in {bad.size} of {output.status.size} runs: input row {int(input_rows[b])}, "
                f"run {b % runs} {what} at t = {output.t_last[b]:.6g}; {status.message}"
            )


def _require_terminating(crn: CRN) -> None:
    """t_end = inf without max_events needs a CRN that surely runs out of reactions."""
    from ..crn.checks import check_crn

    report = check_crn(crn)
    zeroth = [str(r) for r in crn.reactions if r.order == 0]
    if zeroth or not report.feed_forward:
        reason = f"reaction {zeroth[0]!r} has no reactants" if zeroth else "it is not feed-forward"
        raise SimulationError(
            f"t_end = inf runs until no reaction can fire, but this CRN may never stop ({reason}); "
            f"give a finite t_end or set max_events"
        )


def final_counts_nc(crn: CRN, input_values: object = None, *, volume: float) -> np.ndarray:
    """Exact final molecule counts of a feed-forward, non-competitive CRN, without simulating.

    In such a CRN every reaction fires to completion and the final counts do not
    depend on the order of events: firing each reaction ``min_i floor(x_i / n_i)``
    times in topological order gives them, in exact int64 arithmetic. Initial
    counts use the ``"nearest"`` rounding rule of :func:`simulate_ssa`, so an SSA
    run to exhaustion (``t_end = inf``) ends in exactly these counts.

    Parameters
    ----------
    crn : CRN
        Feed-forward and non-competitive (e.g. any compiled network).
    input_values : array-like of shape (n_batch, n_inputs), optional
    volume : float
        V > 0.

    Returns
    -------
    int64 ndarray of shape (n_batch, n_species)

    Raises
    ------
    CRNStructureError
        The CRN is not feed-forward and non-competitive.
    SimulationError
        Bad volume, or counts that would overflow int64.
    """
    import scipy.sparse as sp

    from ..crn.checks import reaction_levels, require_nc_feed_forward

    require_nc_feed_forward(crn, "final_counts_nc")
    zeroth = [str(r) for r in crn.reactions if r.order == 0]
    if zeroth:
        raise CRNStructureError(
            f"final_counts_nc: reaction {zeroth[0]!r} has no reactants and never stops firing"
        )
    counts, _ = initial_counts(crn, input_values, volume=volume)
    levels = reaction_levels(crn)
    columns, powers = crn.reactant_columns, crn.reactant_powers
    stoichiometry = sp.csr_array(crn.stoichiometry)
    for r in np.argsort(levels, kind="stable"):
        valid = columns[r] >= 0
        extent = np.min(counts[:, columns[r][valid]] // powers[r][valid], axis=1)
        start, stop = stoichiometry.indptr[r], stoichiometry.indptr[r + 1]
        targets = stoichiometry.indices[start:stop]
        changes = np.rint(stoichiometry.data[start:stop]).astype(np.int64)
        if extent.size and changes.size and extent.max() > 0:
            peak = extent.astype(np.float64)[:, None] * np.maximum(changes, 0) + counts[:, targets]
            if (peak >= float(COUNT_LIMIT)).any():
                raise SimulationError(
                    f"final_counts_nc: reaction {crn.reactions[r]} makes a count beyond 2**62; use a smaller volume"
                )
        counts[:, targets] += extent[:, None] * changes[None, :]
    return counts
