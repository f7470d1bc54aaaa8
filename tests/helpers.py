"""Test helpers shared across test modules."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

# Exact evaluation is exact up to floating-point rounding.
EXACT_RTOL = 1e-9


def assert_close_relative(
    actual: np.ndarray, expected: np.ndarray, rtol: float = EXACT_RTOL, magnitude: np.ndarray | None = None
) -> None:
    """|actual - expected| <= rtol * max(1, magnitude), elementwise.

    `magnitude` defaults to |expected|; for network outputs pass
    ``network.forward_magnitude(x)``, the size of the terms that were summed.
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    scale = np.maximum(1.0, np.abs(expected) if magnitude is None else magnitude)
    worst = np.max(np.abs(actual - expected) / scale, initial=0.0)
    assert worst <= rtol, f"max relative difference {worst:.3g} > {rtol:g}"


def write_inputs_csv(path: Path, names: list[str], rows: np.ndarray, labels: list[str] | None = None) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*names, *(["label"] if labels is not None else [])])
        for index, row in enumerate(rows):
            writer.writerow([*map(repr, map(float, row)), *([labels[index]] if labels is not None else [])])
    return path


def crn_fields(crn) -> tuple[object, ...]:
    """Everything a CRN holds, in order (CRN equality ignores the species order): what
    two readers of the same text must agree on."""
    return (
        crn.species,
        crn.reactions,
        tuple(crn.initial.items()),
        crn.inputs,
        crn.outputs,
        crn.raw_inputs,
    )
