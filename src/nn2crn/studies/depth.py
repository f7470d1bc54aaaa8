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

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._errors import InputDataError
from .._frozen import FrozenMapping
from ..datasets.base import Dataset, Split
from ..nn import Layer, Network, random_ternary_network
from .experiment import Log
from .kinetics import EPSILON, kinetics_grid

DEFAULT_DEPTHS = (1, 2, 3, 4, 5)
DEFAULT_WIDTHS = (2, 4, 8, 16)
TRAINED_WIDTH = 8
# The paper's heart networks (width 8): mean time until the eventual winner stays on top.
PAPER_HEART = {1: "≈ 0.75", 2: "≈ 1.3", 3: "≈ 2.3", 4: "≈ 9–12", 5: "≈ 11–15"}
PAPER_HEART_MIDPOINTS = {1: 0.75, 2: 1.3, 3: 2.3, 4: 10.5, 5: 13.0}
"""The same, one number per depth (the middle of a range), for plotting."""


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
    if not isinstance(last, Layer):  # random_ternary_network builds dense layers only
        raise TypeError(f"expected a dense last layer, got {last.kind}")
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
    from ..simulate.metrics import convergence_times, summarize, winners
    from ..simulate.ode import simulate_ode

    started = time.perf_counter()
    grid = kinetics_grid(t_end)
    settle, epsilon = [], []
    tied = 0
    for network, x in zip(networks, inputs, strict=True):
        crn = compile_network(network)
        # The reference for kinetics: float64 rounding of deep networks' rails (below 1e-6
        # relative even at depth 8) is far below what is compared with it: no bound check.
        stable = stable_outputs(crn, x, rtol=None)
        trajectory = simulate_ode(crn, x, t_end=t_end, times=grid, store="outputs")
        times = convergence_times(trajectory, stable, epsilon=EPSILON)
        unique = winners(stable).sum(axis=1) == 1
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
        int(e["n"]),
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

    @property
    def growth_factor(self) -> float:
        """``exp(slope)``: the factor per layer of a fit of a logarithm."""
        return math.exp(self.slope)


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
    """What :func:`run_depth_study` returns: one cell per (family, depth, width), the fits, the settings."""

    cells: tuple[CellResult, ...]
    fits: tuple[Fit, ...]
    settings: Mapping[str, Any]
    notes: tuple[str, ...]
    seconds: float


def _time_text(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else "not settled"


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
                f"ε-convergence median {_time_text(cell.epsilon_median)} ({cell.seconds:.1f} s)"
            )
    if trained is None:
        trained = _torch_available()
        if not trained:
            notes.append("Trained networks skipped: PyTorch is not installed (pip install 'nn2crn[train]').")
    if trained:
        from ..nn.train import TrainConfig, train_network

        heart = heart_dataset()
        for depth in depths:
            candidates = [
                train_network(
                    heart,
                    TrainConfig(
                        hidden=(TRAINED_WIDTH,) * depth,
                        weights="ternary",
                        threshold=0.05,
                        epochs=epochs,
                        batch_size=16,
                        lr_start=0.01,
                        lr_end=1e-4,
                        seed=seed + restart,
                    ),
                )
                for restart in range(max(1, restarts))
            ]
            # the first of the most accurate, as a strict ">" over the restarts in order picks
            result = max(candidates, key=lambda candidate: candidate.accuracies["test"])
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
    return DepthStudyResult(
        tuple(cells), tuple(fits), FrozenMapping(settings), tuple(notes), time.perf_counter() - started
    )
