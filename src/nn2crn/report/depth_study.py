"""How settling time grows with depth and width (after the authors' follow-up, PNAS 2022).

Networks with 1–5 hidden layers of equal width are compiled (Algorithm 1) and
their mass-action ODE kinetics (all rate constants 1) simulated over a batch of
inputs. Two times are measured per input (see :mod:`nn2crn.simulate.metrics`):

- **stabilization**: from when on the eventual argmax stays strictly on top;
- **ε-convergence**: from when on every output is within ε (absolute) of its
  stable value.

Two families of networks:

- **random**: ternary weights (−1, 0, +1 with equal probability), hidden biases
  N(0, 1) and *zero output biases*, 2 inputs and 2 outputs, inputs uniform in
  [−1, 1]². With zero output biases the outputs start tied at 0, so the
  stabilization time measures when the signal arrives and settles (a random
  output bias would often put the eventual winner on top from t = 0);
- **trained**: width-8 ternary networks trained on the paper's 17×15-pixel
  heart pattern (pixel coordinates → inside/outside), inputs = all 255 pixels;
  the most accurate of a few training seeds is kept.

The scaling is summarized by least-squares fits of the mean stabilization time
against depth (a slope in time units per layer) and of log median ε-convergence
time against depth (a growth factor per layer).
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import InputDataError
from .._writing import open_output, write_output
from ..datasets.base import Dataset, Split
from ..nn import Layer, Network, random_ternary_network
from . import html as doc
from .experiment import EPSILON, Log, can_plot, format_time, package_version, sample_times
from .reproduce import how_made_section

DEFAULT_DEPTHS = (1, 2, 3, 4, 5)
DEFAULT_WIDTHS = (2, 4, 8, 16)
TRAINED_WIDTH = 8
# The paper's heart networks (width 8): mean time until the eventual winner stays on top.
PAPER_HEART = {1: "≈ 0.75", 2: "≈ 1.3", 3: "≈ 2.3", 4: "≈ 9–12", 5: "≈ 11–15"}


def heart_dataset() -> Dataset:
    """The 17×15-pixel heart pattern: pixel centres in [−1.3, 1.3]² → ``outside``/``inside``.

    Inside is ``(x² + y² − 1)³ − x² y³ < 0`` (121 of 255 pixels). Train, validation
    and test are all 255 pixels, as in the paper's heart experiment.
    """
    xs = np.linspace(-1.3, 1.3, 17)
    ys = np.linspace(-1.3, 1.3, 15)
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    inside = (
        (points[:, 0] ** 2 + points[:, 1] ** 2 - 1) ** 3 - points[:, 0] ** 2 * points[:, 1] ** 3 < 0
    ).astype(int)
    everything = Split(points, inside)
    return Dataset(
        name="heart",
        train=everything,
        val=everything,
        test=everything,
        feature_names=("x", "y"),
        class_names=("outside", "inside"),
        source="generated: 17x15 pixel grid, inside the curve (x^2 + y^2 - 1)^3 - x^2 y^3 < 0",
        options={},
    )


def random_study_network(depth: int, width: int, seed: int, index: int) -> Network:
    """Random ternary 2-(width×depth)-2 network number `index` of a (depth, width) cell, output biases zero."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(depth, width, index)))
    network = random_ternary_network((2, *([width] * depth), 2), rng=rng)
    last = network.layers[-1]
    layers = (*network.layers[:-1], Layer(last.weight, np.zeros_like(last.bias), last.activation))
    return Network(layers)


@dataclass(frozen=True)
class CellResult:
    """Settling times of one (family, depth, width) cell over all its networks and inputs.

    Times are ``inf`` for inputs that did not settle by ``t_end``; means are over settled inputs.
    Stabilization statistics leave out the `tied` inputs whose stable outputs have no
    unique winner (e.g. a random network whose ReLUs are all off gives 0 = 0); their
    argmax never needs to settle.
    """

    family: str
    depth: int
    width: int
    networks: int
    rows: int
    tied: int
    stabilization_mean: float
    stabilization_median: float
    stabilization_p95: float
    stabilization_settled: float
    epsilon_mean: float
    epsilon_median: float
    epsilon_p95: float
    epsilon_settled: float
    accuracy: float | None
    seconds: float


def _cell(
    family: str,
    depth: int,
    width: int,
    networks: Sequence[Network],
    inputs: Sequence[np.ndarray],
    t_end: float,
    accuracy: float | None = None,
) -> CellResult:
    from ..compile import compile_network
    from ..simulate import stable_outputs
    from ..simulate.metrics import convergence_times, summarize
    from ..simulate.ode import simulate_ode

    started = time.perf_counter()
    grid = sample_times(t_end)
    settle, epsilon = [], []
    tied = 0
    for network, x in zip(networks, inputs, strict=True):
        crn = compile_network(network)
        stable = stable_outputs(crn, x)
        trajectory = simulate_ode(crn, x, t_end=t_end, times=grid, store="outputs")
        times = convergence_times(trajectory, stable, epsilon=EPSILON)
        ordered = np.sort(stable, axis=1)
        unique = ordered[:, -1] - ordered[:, -2] > 1e-9 * np.maximum(1.0, np.abs(ordered[:, -1]))
        tied += int((~unique).sum())
        settle.append(times.argmax[unique])
        epsilon.append(times.epsilon)
    s = summarize(np.concatenate(settle))
    e = summarize(np.concatenate(epsilon))
    return CellResult(
        family,
        depth,
        width,
        len(networks),
        e["n"],
        tied,
        s["mean"],
        s["median"],
        s["p95"],
        s["converged"],
        e["mean"],
        e["median"],
        e["p95"],
        e["converged"],
        accuracy,
        time.perf_counter() - started,
    )


@dataclass(frozen=True)
class Fit:
    """A least-squares line ``y = intercept + slope · depth`` for one family and width."""

    family: str
    width: int
    quantity: str
    slope: float
    intercept: float
    depths: tuple[int, ...]

    def describe(self) -> str:
        if self.quantity == "log median ε-convergence":
            return f"× {math.exp(self.slope):.2f} per layer"
        return f"{self.slope:+.3g} per layer"


def fit_depth(cells: Sequence[CellResult], family: str, width: int) -> list[Fit]:
    """Fits of mean stabilization time and log median ε-convergence time against depth."""
    chosen = sorted((c for c in cells if c.family == family and c.width == width), key=lambda c: c.depth)
    fits = []
    for quantity, values in (
        ("mean stabilization", [c.stabilization_mean for c in chosen]),
        (
            "log median ε-convergence",
            [math.log(c.epsilon_median) if 0 < c.epsilon_median < math.inf else math.nan for c in chosen],
        ),
    ):
        depths = np.array([c.depth for c in chosen], dtype=float)
        y = np.array(values, dtype=float)
        ok = np.isfinite(y)
        if ok.sum() >= 2:
            slope, intercept = np.polyfit(depths[ok], y[ok], 1)
            fits.append(
                Fit(
                    family, width, quantity, float(slope), float(intercept), tuple(int(d) for d in depths[ok])
                )
            )
    return fits


@dataclass(frozen=True, eq=False)
class DepthStudyResult:
    cells: tuple[CellResult, ...]
    fits: tuple[Fit, ...]
    settings: dict[str, Any]
    notes: tuple[str, ...]
    seconds: float


def parse_depths(text: str) -> tuple[int, ...]:
    """``"1-5"`` or ``"1,2,4"`` → depths (1 to 10)."""
    values: list[int] = []
    for piece in text.split(","):
        piece = piece.strip()
        try:
            if "-" in piece:
                low, high = (int(part) for part in piece.split("-", 1))
                values.extend(range(low, high + 1))
            else:
                values.append(int(piece))
        except ValueError:
            raise InputDataError(
                f"--depths: {piece!r} is not a depth or a range; give e.g. 1-5 or 1,2,4"
            ) from None
    if not values or any(not 1 <= value <= 10 for value in values):
        raise InputDataError(f"--depths: depths must be between 1 and 10, got {text!r}")
    return tuple(sorted(set(values)))


def parse_widths(text: str) -> tuple[int, ...]:
    """``"2,4,8,16"`` → widths (1 to 64)."""
    try:
        values = [int(piece) for piece in text.split(",") if piece.strip()]
    except ValueError:
        raise InputDataError(
            f"--widths: {text!r} is not a comma-separated list of integers, e.g. 2,4,8,16"
        ) from None
    if not values or any(not 1 <= value <= 64 for value in values):
        raise InputDataError(f"--widths: widths must be between 1 and 64, got {text!r}")
    return tuple(sorted(set(values)))


def _torch_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None and importlib.util.find_spec("sklearn") is not None


def run_depth_study(
    *,
    depths: Sequence[int] = DEFAULT_DEPTHS,
    widths: Sequence[int] = DEFAULT_WIDTHS,
    seed: int = 0,
    networks: int = 16,
    inputs: int = 32,
    t_end: float = 200.0,
    trained: bool | None = None,
    epochs: int = 200,
    restarts: int = 3,
    log: Log | None = None,
) -> DepthStudyResult:
    """Measure settling times versus depth and width.

    Parameters
    ----------
    depths, widths : sequence of int
        Hidden layers and their width for the random networks.
    seed : int
        Seeds the networks, the inputs and the training.
    networks : int
        Random networks per (depth, width).
    inputs : int
        Random inputs per network (uniform in [−1, 1]², shared by all networks).
    t_end : float
        End of the ODE simulations.
    trained : bool or None
        Also train width-8 networks on the heart pattern at each depth. None: if PyTorch is installed.
    epochs : int
        Training epochs of the trained networks.
    restarts : int
        Trainings (seeds ``seed``, ``seed + 1``, ...) per depth; the most accurate network is kept.
    log : callable, optional

    Returns
    -------
    DepthStudyResult
    """
    if networks < 1 or inputs < 1:
        raise InputDataError("networks and inputs must be >= 1")
    say = log or (lambda message: None)
    started = time.perf_counter()
    notes: list[str] = []
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    x = rng.uniform(-1.0, 1.0, size=(inputs, 2))
    cells: list[CellResult] = []
    for width in widths:
        for depth in depths:
            nets = [random_study_network(depth, width, seed, index) for index in range(networks)]
            cell = _cell("random", depth, width, nets, [x] * networks, t_end)
            cells.append(cell)
            say(
                f"random width {width} depth {depth}: stabilization mean {cell.stabilization_mean:.3g}, "
                f"ε-convergence median {format_time(cell.epsilon_median)} ({cell.seconds:.1f} s)"
            )
    if trained is None:
        trained = _torch_available()
        if not trained:
            notes.append("Trained networks skipped: PyTorch is not installed (pip install 'nn2crn[train]').")
    if trained:
        from ..nn.train import TrainConfig, train_network

        heart = heart_dataset()
        for depth in depths:
            result = None
            for restart in range(max(1, restarts)):
                config = TrainConfig(
                    hidden=(TRAINED_WIDTH,) * depth,
                    weights="ternary",
                    threshold=0.05,
                    epochs=epochs,
                    batch_size=16,
                    lr_start=0.01,
                    lr_end=1e-4,
                    seed=seed + restart,
                )
                candidate = train_network(heart, config)
                if result is None or candidate.accuracies["test"] > result.accuracies["test"]:
                    result = candidate
            network = result.network
            features = network.transform(heart.test.x)
            cell = _cell(
                "trained", depth, TRAINED_WIDTH, [network], [features], t_end, result.accuracies["test"]
            )
            cells.append(cell)
            say(
                f"trained heart width {TRAINED_WIDTH} depth {depth}: accuracy {result.accuracies['test']:.1%}, "
                f"stabilization mean {cell.stabilization_mean:.3g}"
            )
    fits: list[Fit] = []
    for width in widths:
        fits.extend(fit_depth(cells, "random", width))
    if trained:
        fits.extend(fit_depth(cells, "trained", TRAINED_WIDTH))
    settings = {
        "depths": list(depths),
        "widths": list(widths),
        "seed": seed,
        "networks": networks,
        "inputs": inputs,
        "t_end": t_end,
        "epsilon": EPSILON,
        "trained": bool(trained),
        "epochs": epochs,
        "restarts": restarts,
    }
    return DepthStudyResult(tuple(cells), tuple(fits), settings, tuple(notes), time.perf_counter() - started)


def plot_depth_study(result: DepthStudyResult, path: str | os.PathLike[str]) -> Path:
    """Mean stabilization and median ε-convergence time versus depth, one line per width (log y axis)."""
    from matplotlib.figure import Figure

    from .plots import _colors, check_plot_path

    path = check_plot_path(path)
    figure = Figure(figsize=(11.0, 4.2), layout="constrained")
    left, right = figure.subplots(1, 2)
    widths = sorted({c.width for c in result.cells if c.family == "random"})
    palette = _colors(max(len(widths), 1))
    series = [("random", width, color, "-", "o") for width, color in zip(widths, palette, strict=True)]
    if any(c.family == "trained" for c in result.cells):
        series.append(("trained", TRAINED_WIDTH, "black", "--", "s"))
    for family, width, color, style, marker in series:
        chosen = sorted(
            (c for c in result.cells if c.family == family and c.width == width), key=lambda c: c.depth
        )
        depths = [c.depth for c in chosen]
        label = f"random, width {width}" if family == "random" else f"trained heart, width {width}"
        left.plot(
            depths, [c.stabilization_mean for c in chosen], style, marker=marker, color=color, label=label
        )
        medians = [c.epsilon_median if math.isfinite(c.epsilon_median) else np.nan for c in chosen]
        right.plot(depths, medians, style, marker=marker, color=color, label=label)
    paper = sorted(PAPER_HEART)
    paper_values = [0.75, 1.3, 2.3, 10.5, 13.0]
    left.plot(paper, paper_values, ":", marker="x", color="grey", label="paper, heart width 8 (mid-range)")
    for axis, what in ((left, "mean stabilization time"), (right, f"median ε = {EPSILON} convergence time")):
        axis.set_yscale("log")
        axis.set_xlabel("hidden layers")
        axis.set_ylabel(what)
        axis.set_xticks(sorted({c.depth for c in result.cells}))
        axis.grid(alpha=0.3)
    left.set_title("argmax settled (eventual winner stays on top)", fontsize=10)
    right.set_title("every output within ε of its stable value", fontsize=10)
    left.legend(fontsize=8)
    figure.suptitle(
        f"Settling time versus depth (mass action, all rates 1, t_end = {result.settings['t_end']:g})"
    )
    from .._writing import open_output

    with open_output(path, binary=True) as handle:
        figure.savefig(handle, format=Path(path).suffix.lower().lstrip("."), dpi=120)
    return path


TABLE_HEADER = (
    "family",
    "width",
    "depth",
    "networks × inputs",
    "tied",
    "stabilization mean",
    "median",
    "p95",
    "ε-convergence median",
    "p95",
    "ε settled",
    "accuracy",
)


def table_rows(result: DepthStudyResult) -> tuple[tuple[str, ...], ...]:
    rows = []
    for c in result.cells:
        rows.append(
            (
                c.family,
                str(c.width),
                str(c.depth),
                f"{c.networks} × {c.rows // c.networks}",
                str(c.tied),
                format_time(c.stabilization_mean),
                format_time(c.stabilization_median),
                format_time(c.stabilization_p95),
                format_time(c.epsilon_median),
                format_time(c.epsilon_p95),
                f"{c.epsilon_settled:.0%}",
                f"{c.accuracy:.1%}" if c.accuracy is not None else "",
            )
        )
    return tuple(rows)


def scaling_sentences(result: DepthStudyResult) -> list[str]:
    """Plain statements of the fitted scaling, one per family and width."""
    lines = []
    keys = sorted({(c.family, c.width) for c in result.cells}, key=lambda k: (k[0] != "random", k[1]))
    for family, width in keys:
        parts = [
            f"{f.quantity} {f.describe()}" for f in result.fits if f.family == family and f.width == width
        ]
        if not parts:
            parts = ["too few depths with settled inputs to fit"]
        lines.append(f"{family} networks, width {width}: " + "; ".join(parts) + ".")
    return lines


def depth_study_sections(result: DepthStudyResult, folder: Path, command: str) -> list[doc.Section]:
    """Write the study's files into `folder` and return the report sections."""
    with open_output(folder / "depth-study.csv") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        fields = list(CellResult.__dataclass_fields__)
        writer.writerow(fields)
        for cell in result.cells:
            writer.writerow([getattr(cell, name) for name in fields])
    record = {
        "generated_by": f"nn2crn {package_version()}",
        "settings": result.settings,
        "cells": [
            {
                key: (value if not (isinstance(value, float) and not math.isfinite(value)) else None)
                for key, value in asdict(cell).items()
            }
            for cell in result.cells
        ],
        "fits": [asdict(fit) for fit in result.fits],
    }
    write_output((folder / "depth-study.json"), json.dumps(record, indent=1) + "\n")
    blocks: list[doc.Block] = [
        doc.Paragraph(
            "Networks with 1–5 hidden layers are compiled (Algorithm 1) and simulated with mass-action kinetics, all "
            "rate constants 1. Stabilization is the time from which the eventual argmax stays strictly on top; "
            f"ε-convergence the time from which every output is within ε = {EPSILON} (absolute) of its stable value. "
            "Random networks: ternary weights, hidden biases N(0, 1), output biases 0 (so the outputs start tied), 2 "
            "inputs uniform in [−1, 1]², 2 outputs. Trained networks: width 8, ternary (threshold 0.05), trained on "
            "the 17×15-pixel heart pattern (best of a few seeds), simulated on all 255 pixels. Inputs whose stable "
            "outputs tie (no unique winner, column 'tied') are left out of the stabilization statistics."
        ),
        *(doc.Note(note) for note in result.notes),
        doc.Table(
            TABLE_HEADER,
            table_rows(result),
            caption="Settling times per depth and width (inf: not settled by "
            "t_end, shown as 'not settled'; means over settled inputs).",
        ),
        doc.Paragraph(
            "Measured scaling (least-squares fits against depth): " + " ".join(scaling_sentences(result))
        ),
        doc.Paragraph(
            "The paper (PNAS 2022, heart networks of width 8) reports the mean time until the eventual winner stays "
            "on top as "
            + ", ".join(f"{PAPER_HEART[d]} for {d} layer{'s' if d > 1 else ''}" for d in sorted(PAPER_HEART))
            + ", and the time to 90% production growing about 2.5–3 per layer: settling slows with depth. Compare "
            "the direction and rough size, not the digits: their networks, inputs and thresholds differ from these."
        ),
    ]
    if can_plot():
        plot_depth_study(result, folder / "depth-study.png")
        blocks.append(
            doc.Figure(
                "depth-study.png",
                "Settling time versus depth, one line per width (log scale); "
                "grey: the paper's heart networks.",
            )
        )
    else:
        blocks.append(doc.Note("Plot skipped: matplotlib is not installed (pip install 'nn2crn[plot]')."))
    blocks.append(
        doc.Links(
            (
                ("depth-study.csv", "one row per (family, depth, width)"),
                ("depth-study.json", "settings, cells and fits"),
            )
        )
    )
    return [
        doc.Section("Settling time versus depth and width", tuple(blocks)),
        how_made_section(command, result.seconds),
    ]


def write_depth_study(
    result: DepthStudyResult, output: str | os.PathLike[str], *, force: bool = False, command: str = ""
) -> Path:
    """Write the CSV, JSON, plot and HTML/Markdown report of `result` into the folder `output`."""
    from ._folder import staged_folder

    with staged_folder(output, force=force) as folder:
        sections = depth_study_sections(result, folder, command or "nn2crn depth-study")
        report = doc.Report(
            "nn2crn: settling time versus depth and width",
            tuple(sections),
            footer=f"Generated by nn2crn {package_version()}.",
        )
        doc.write_report(report, folder)
    return Path(output)
