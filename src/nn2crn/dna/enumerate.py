"""Enumerate a DSD system with peppercorn and classify its resting complexes (fact sheet §3–§4).

The result is plain data (names, kernels, rate constants in /M/s), so no
peppercorn object outlives the call: dsdobjects keeps complexes in a global
registry, which is cleared before every enumeration.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from .._errors import DNADesignError
from .concentrations import Concentrations, load_concentrations
from .system import DSDSystem
from .writers import format_pil

MAX_COMPLEX_COUNT = 5000
MAX_REACTION_COUNT = 10000
_PER_MOLAR = {"M": 1.0, "mM": 1e3, "uM": 1e6, "nM": 1e9, "pM": 1e12}


@dataclass(frozen=True)
class Resting:
    """A resting macrostate: `role` is ``signal`` (with its `species`), ``fuel`` or ``other``."""

    name: str
    kernel: str
    role: str
    species: str = ""


@dataclass(frozen=True)
class Condensed:
    """A condensed reaction; `rate` in /s (one reactant) or /M/s (two)."""

    reactants: tuple[str, ...]
    products: tuple[str, ...]
    rate: float


@dataclass(frozen=True)
class Enumeration:
    """Resting complexes and condensed reactions of one peppercorn run."""

    resting: tuple[Resting, ...]
    reactions: tuple[Condensed, ...]
    n_complexes: int
    warnings: tuple[str, ...]
    seconds: float

    def role(self, name: str) -> Resting:
        for r in self.resting:
            if r.name == name:
                return r
        raise KeyError(name)


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        # dsdobjects' registry clean-up notice is not about the enumeration.
        if "singleton" not in message:
            self.messages.append(message)


def _rate_per_molar(value: float, units: str) -> float:
    # '/M/s', '/nM/s', '/s': every '/X' before the final '/s' is one concentration factor.
    for unit in units.split("/")[1:-1]:
        value *= _PER_MOLAR[unit]
    return value


def enumerate_system(system: DSDSystem, start_signals: Iterable[str] | None = None) -> Enumeration:
    """Enumerate `system` from its fuels and the given signals (default: every input signal).

    Parameters
    ----------
    system : DSDSystem
    start_signals : iterable of str, optional
        Signal complexes present at the start (1 nM each; the others are only named).

    Returns
    -------
    Enumeration

    Raises
    ------
    DNADesignError
        peppercorn gives up (more than 5000 complexes or 10000 reactions).
    """
    from peppercornenumerator import Enumerator, PolymerizationError  # type: ignore[import-untyped]
    from peppercornenumerator.input import read_pil  # type: ignore[import-untyped]
    from peppercornenumerator.objects import clear_memory  # type: ignore[import-untyped]

    starts = (
        set(s.name for s in system.signals if s.kind == "input")
        if start_signals is None
        else set(start_signals)
    )
    loaded = load_concentrations(system, None, Concentrations(1.0, 100.0))
    text = format_pil(system, loaded)
    # format_pil writes the row's inputs; here the chosen starting signals are at 1 nM instead.
    lines = []
    for line in text.splitlines():
        name = line.split(" = ", 1)[0]
        if " @initial " in line:
            amount = "1" if name in starts else "0"
            line = line.rsplit(" @initial ", 1)[0] + f" @initial {amount} nM"
        lines.append(line)
    started = time.perf_counter()
    clear_memory()
    collector = _Collector()
    logger = logging.getLogger("peppercornenumerator")
    logger.addHandler(collector)
    try:
        complexes, detailed = read_pil("\n".join(lines) + "\n")
        named = list(complexes.values())
        initial = [c for c in named if c.concentration is None or c.concentration[1] != 0]
        enumerator = Enumerator(initial, detailed, named_complexes=named)
        enumerator.release_cutoff = system.lengths.release_cutoff
        largest = max((len(c.strands) for c in system.fuels), default=1)
        enumerator.max_complex_size = max(10, largest + 4)
        enumerator.max_complex_count = MAX_COMPLEX_COUNT
        enumerator.max_reaction_count = MAX_REACTION_COUNT
        enumerator.reject_remote = False
        try:
            enumerator.enumerate()
        except PolymerizationError as error:
            raise DNADesignError(
                f"peppercorn stopped enumerating the {system.scheme} system of {len(system.modules)} "
                f"reactions: {error} (more than {MAX_COMPLEX_COUNT} complexes or "
                f"{MAX_REACTION_COUNT} reactions; verify smaller parts, e.g. modules only)"
            ) from None
        enumerator.condense()
        resting = tuple(_classify(system, enumerator.resting_macrostates))
        reactions = tuple(
            sorted(
                (
                    Condensed(
                        tuple(sorted(m.name for m in r.reactants)),
                        tuple(sorted(m.name for m in r.products)),
                        _rate_per_molar(*r.rate_constant),
                    )
                    for r in enumerator.condensed_reactions
                ),
                key=lambda r: (r.reactants, r.products),
            )
        )
        n_complexes = len(list(enumerator.complexes))
    finally:
        logger.removeHandler(collector)
        enumerator = complexes = detailed = named = initial = None  # type: ignore[assignment]
        clear_memory()
    return Enumeration(
        resting, reactions, n_complexes, tuple(collector.messages), time.perf_counter() - started
    )


def _classify(system: DSDSystem, macrostates: Iterable) -> Iterable[Resting]:
    fuels = {c.name for c in system.fuels}
    recognition = {}
    for c in system.signals:
        (domains,) = c.strands
        recognition[domains[1:]] = c.species
    for state in macrostates:
        complex_ = state.representative
        kernel = complex_.kernel_string
        if state.name in fuels:
            yield Resting(state.name, kernel, "fuel")
            continue
        if complex_.size == 1 and all(s == "." for s in complex_.structure):
            domains = tuple(str(d) for d in complex_.sequence)
            species = recognition.get(domains[1:])
            if species is not None:
                yield Resting(state.name, kernel, "signal", species)
                continue
        yield Resting(state.name, kernel, "other")
