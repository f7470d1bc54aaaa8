"""Layer-by-layer ODE integration: split the integrated system into stages along its dependency levels.

In a feed-forward CRN a layer's species depend only on earlier layers. The plan
(:mod:`._ode_plan`) orders the integrated species by the levels of the Jacobian's
dependency graph (strongly connected components, then the longest path to them),
so the positions ``level_start[l]:level_start[l + 1]`` depend only on earlier
levels and on themselves. A **stage** is a run of consecutive levels. Stages are
integrated one after the other over the whole time span, each with its own
step-size sequence; the species of earlier stages that a stage's reactions read
are **driven** species, evaluated from the earlier stages' dense output (the
method's continuous extension, recorded at every accepted step as a *tape*).

Why: with one step size for the whole system, every species is stepped at the
pace of the busiest layer, and the deep layers of a network add features
(each ReLU pair switching at its own time). The whole-system step count grows
with depth, and so the cost per layer; per stage, each layer pays only for its
own (and its inputs') features. Each stage keeps the error control of the whole
system (weighted RMS over its own species, ``atol + rtol |y|``), and errors of a
driven species enter a later stage as they would in a whole-system solve.

A stage's right-hand side depends on time through the driven species, so the
Rosenbrock time derivative ``f_t`` is a forward difference (as in Hairer's
``rodas.f`` for non-autonomous problems), one extra evaluation per step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._ode_plan import SATURATION_CONSTANT, Forcing, KernelPlan, OdePlan, RateTerms, _gather, kernel_arrays

MIN_STAGE_SPECIES = 32
"""Consecutive levels are merged until a stage has at least this many species (fewer, cheaper kernel calls)."""


class Drive(NamedTuple):
    """Dense output of earlier stages for a stage's driven species (see :func:`._ode_numba._drive`).

    Tape ``p`` covers ``tape_times[tape_ptr[p]:tape_ptr[p + 1]]`` (its step boundaries) and
    ``values[value_ptr[p]:value_ptr[p + 1]]``, the C-ordered array of shape
    ``(n_steps + 1, n_dense_rows + 1, n_export[p], n_chunk)`` returned by the kernel.
    Driven species ``e`` is entry ``ext_slot[e]`` of tape ``ext_tape[e]``.
    """

    ext_tape: np.ndarray
    ext_slot: np.ndarray
    tape_ptr: np.ndarray
    tape_times: np.ndarray
    value_ptr: np.ndarray
    n_export: np.ndarray
    values: np.ndarray
    n_dense_rows: int


def no_drive(n_dense_rows: int) -> Drive:
    """The empty :class:`Drive` of a stage without driven species (the same numba types)."""
    empty_int = np.zeros(0, dtype=np.int64)
    return Drive(
        empty_int,
        empty_int,
        np.zeros(1, dtype=np.int64),
        np.zeros(0),
        np.zeros(1, dtype=np.int64),
        empty_int,
        np.zeros(0),
        int(n_dense_rows),
    )


@dataclass(frozen=True, eq=False)
class Stage:
    """Positions ``start:stop`` of the plan's integrated species, integrated together."""

    start: int
    stop: int
    kernel: KernelPlan
    force_entries: np.ndarray  # rows of the plan's coefficient matrix feeding this stage
    driven: np.ndarray  # plan positions (< start) of the driven species, in driven-row order
    driven_stage: np.ndarray  # the stage recording each of them
    driven_slot: np.ndarray  # its entry in that stage's tape
    export: np.ndarray  # local positions recorded for later stages

    @property
    def n_internal(self) -> int:
        return self.stop - self.start


def split_stages(plan: OdePlan, min_species: int = MIN_STAGE_SPECIES) -> list[Stage]:
    """Stages of runs of consecutive levels with at least `min_species` species each (the last may have fewer).

    Returns one stage (the whole system, no driven species) when the levels do not split it.
    Vectorized per stage: linear in the plan's size.
    """
    level_start = plan.level_start
    n_dyn = plan.n_dynamic
    bounds = [0]
    for boundary in level_start[1:-1].tolist():
        if boundary - bounds[-1] >= min_species:
            bounds.append(boundary)
    bounds.append(n_dyn)
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < min_species:
        del bounds[-2]  # a short tail joins the stage before it
    n_stages = len(bounds) - 1
    stage_of = np.repeat(np.arange(n_stages), np.diff(bounds))
    n_rx = plan.rate.shape[0]
    entry_reaction = np.repeat(np.arange(n_rx), np.diff(plan.stoich_ptr))
    entry_stage = stage_of[plan.stoich_idx] if n_dyn else np.zeros(0, np.int64)
    # One stable sort per kind of entry, then each stage takes its slice (linear overall).
    entry_order = np.argsort(entry_stage, kind="stable")
    entry_bounds = np.searchsorted(entry_stage[entry_order], np.arange(n_stages + 1))
    force_stage = stage_of[plan.force_target] if n_dyn else np.zeros(0, np.int64)
    force_order = np.argsort(force_stage, kind="stable")
    force_bounds = np.searchsorted(force_stage[force_order], np.arange(n_stages + 1))

    pieces: list[dict] = []
    for index, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        # Reactions changing a species of this stage, with only those changes.
        entries = entry_order[entry_bounds[index] : entry_bounds[index + 1]]
        reaction_of_entry = entry_reaction[entries]  # non-decreasing
        reactions = np.unique(reaction_of_entry)
        stoich_ptr = np.searchsorted(reaction_of_entry, np.append(reactions, n_rx))
        react_ptr, slots = _gather(plan.react_ptr, reactions)
        reactant_pos = plan.react_idx[slots]
        if (reactant_pos >= stop).any():  # pragma: no cover - guaranteed by the level order
            raise RuntimeError("internal error: a stage reads a later stage")
        driven = np.unique(reactant_pos[reactant_pos < start])
        local = np.where(
            reactant_pos >= start,
            reactant_pos - start,
            (stop - start) + np.searchsorted(driven, reactant_pos),
        )
        first_block, last_block = np.searchsorted(plan.block_start, [start, stop])
        blocks = plan.block_start[first_block : last_block + 1] - start
        rate = np.ascontiguousarray(plan.rate[reactions])
        terms = RateTerms(
            rate,
            _int(react_ptr),
            _int(local),
            _int(plan.react_pow[slots]),
            _int(stoich_ptr),
            _int(plan.stoich_idx[entries] - start),
            np.ascontiguousarray(plan.stoich_val[entries]),
            int(plan.rate_law),
            float(SATURATION_CONSTANT),
        )
        arrays = kernel_arrays(
            plan.rate_law,
            rate,
            terms.react_ptr,
            terms.react_idx,
            terms.react_pow,
            terms.stoich_ptr,
            terms.stoich_idx,
            terms.stoich_val,
            stop - start,
            _int(blocks),
        )
        force_entries = force_order[force_bounds[index] : force_bounds[index + 1]]
        forcing = Forcing(
            plan.group_rate,
            _int(plan.force_group[force_entries]),
            _int(plan.force_target[force_entries] - start),
        )
        kernel = KernelPlan(terms, forcing, arrays.jacobian, arrays.blocks)
        pieces.append(
            {
                "start": start,
                "stop": stop,
                "kernel": kernel,
                "force_entries": _int(force_entries),
                "driven": _int(driven),
            }
        )

    # What each stage records: its species that later stages drive with.
    exported: list[np.ndarray] = [np.zeros(0, np.int64) for _ in pieces]
    all_driven = np.concatenate([piece["driven"] for piece in pieces])
    if all_driven.size:
        needed = np.unique(all_driven)
        for index, piece in enumerate(pieces):
            exported[index] = _int(needed[(needed >= piece["start"]) & (needed < piece["stop"])])
    stages: list[Stage] = []
    for piece in pieces:
        driven = piece["driven"]
        driven_stage = _int(stage_of[driven]) if driven.size else np.zeros(0, np.int64)
        driven_slot = np.zeros(len(driven), dtype=np.int64)
        for owner in np.unique(driven_stage):
            mask = driven_stage == owner
            driven_slot[mask] = np.searchsorted(exported[owner], driven[mask])
        stages.append(
            Stage(
                start=piece["start"],
                stop=piece["stop"],
                kernel=piece["kernel"],
                force_entries=piece["force_entries"],
                driven=driven,
                driven_stage=driven_stage,
                driven_slot=driven_slot,
                export=_int(exported[len(stages)] - piece["start"]),
            )
        )
    return stages


def build_drive(stage: Stage, tapes: dict[int, tuple[np.ndarray, np.ndarray]], n_dense_rows: int) -> Drive:
    """The :class:`Drive` of `stage` from the recorded tapes ``{stage index: (times, values)}``."""
    if not stage.driven.size:
        return no_drive(n_dense_rows)
    owners = np.unique(stage.driven_stage)
    tape_of = {int(owner): k for k, owner in enumerate(owners)}
    times = [tapes[int(owner)][0] for owner in owners]
    values = [tapes[int(owner)][1] for owner in owners]
    return Drive(
        _int([tape_of[int(owner)] for owner in stage.driven_stage]),
        stage.driven_slot,
        _int(np.concatenate(([0], np.cumsum([len(t) for t in times])))),
        np.ascontiguousarray(np.concatenate(times)),
        _int(np.concatenate(([0], np.cumsum([v.size for v in values])))),
        _int([v.shape[2] for v in values]),
        np.ascontiguousarray(np.concatenate([v.ravel() for v in values])),
        int(n_dense_rows),
    )


def _int(values: object) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.int64)
