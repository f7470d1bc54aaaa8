"""How many steps do the deep networks' trajectories need at the least? Fewest polynomial pieces.

Issue 12's deep-network row (benchmarks/README.md, "bench_ode.py --deep") asks the ODE time
to grow no faster than the product terms. The solver's step count grows ~1.7x per layer.
This script measures what the *exact* trajectory demands, independently of any integrator:

- A tight SciPy Radau solve (rtol 1e-11, atol 1e-14, dense output) of one standard-normal
  row of the W = 64 random ternary network of each depth stands in for the exact solution.
- Greedily from t = 0 to t_end = 200, each piece is the longest interval (found by doubling,
  then 6 bisections) on which the degree-p interpolant at p + 1 Chebyshev nodes follows the
  reference within the solver's tolerance at 41 test points: the weighted error
  |p(t) - y(t)| / (atol + rtol |y(t)|), atol 1e-9, rtol 1e-6, in the solver's norm (RMS over
  the species, max over the test points) for a set of species, or its own for one species.
- An ideal one-step method of order p, one step per piece, needs no fewer steps than pieces:
  a step whose dense output is no better than this interpolant fails the same test.

Printed per depth: product terms; the solver's accepted steps for that row (nn2crn's default,
RODAS5P, rtol 1e-6, atol 1e-9); the pieces for all species together (degree 5 and 8); for
the species of each hidden layer alone; and, sampled (8 species per kind and layer), the
pieces each species needs on its own. Last, the fitted growth exponents against the product
terms of: ideal shared-step time (pieces x terms) and ideal per-species multirate time (each
species' pieces x the rate terms of its own derivative, summed over species), over all the
depths and from depth 2 on (depth 1 has no hidden layer, so no ReLU pair).

``--reduced``: the same networks' reduced CRNs (inputs kept; species m, z- and the outputs).

    python benchmarks/deep_min_pieces.py [--reduced] [DEPTH ...]    (default 1..6; ~5 min)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ode import ATOL, RTOL, T_END, _deep_case, scipy_rhs_jac  # noqa: E402
from nn2crn.compile import reduce_crn  # noqa: E402
from nn2crn.simulate import simulate_ode  # noqa: E402

TEST_POINTS = np.linspace(-1.0, 1.0, 41)
KINDS = ("z+", "z-", "m", "h+", "h-")


def interpolation_matrix(degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Chebyshev nodes on [-1, 1] and the matrix taking node values to test-point values."""
    nodes = np.cos(np.pi * (2 * np.arange(degree + 1) + 1) / (2 * degree + 2))
    return nodes, np.vander(TEST_POINTS, degree + 1) @ np.linalg.inv(np.vander(nodes, degree + 1))


def count_pieces(dense, species: np.ndarray, degree: int) -> int:
    """Fewest pieces of degree `degree` (greedy) that follow `dense` on `species` over [0, T_END]."""
    nodes, to_test = interpolation_matrix(degree)

    def follows(start: float, stop: float) -> bool:
        middle, half = (start + stop) / 2, (stop - start) / 2
        at_nodes = dense(middle + half * nodes)[species]
        exact = dense(middle + half * TEST_POINTS)[species]
        weighted = np.abs(at_nodes @ to_test.T - exact) / (ATOL + RTOL * np.abs(exact))
        return float(np.sqrt((weighted**2).mean(axis=0)).max()) <= 1.0

    t, length, pieces = 0.0, 1e-3, 0
    while t < T_END:
        length = min(length, T_END - t)
        if follows(t, t + length):
            while t + 2 * length <= T_END and follows(t, t + 2 * length):
                length *= 2
            low, high = length, min(2 * length, T_END - t)
        else:
            while not follows(t, t + length / 2):
                length /= 2
            low, high = length / 2, length
        for _ in range(6):
            middle = (low + high) / 2
            low, high = (middle, high) if follows(t, t + middle) else (low, middle)
        t, length, pieces = t + low, low, pieces + 1
    return pieces


def tight_reference(crn, row: np.ndarray):
    """SciPy Radau at rtol 1e-11, atol 1e-14 from `row`'s initial state, with dense output: the exact solution's stand-in."""
    rhs, jac = scipy_rhs_jac(crn)
    return solve_ivp(
        rhs,
        (0.0, T_END),
        crn.initial_state(row[None, :])[0],
        method="Radau",
        rtol=1e-11,
        atol=1e-14,
        jac=jac,
        dense_output=True,
    )


def floor_pieces(crn, row: np.ndarray) -> int:
    """The floor for one input row: the fewest degree-5 pieces for all species together."""
    return count_pieces(tight_reference(crn, row).sol, np.arange(crn.n_species), 5)


def species_kind(name: str) -> tuple[int, str] | None:
    """(hidden layer, kind) of a compiled network's species name; None for inputs and outputs."""
    if name[0] not in "zmh":
        return None
    layer, _, rest = name[1:].partition("_")
    if name[0] == "m":
        return int(layer), "m"
    return int(layer), f"{name[0]}{'+' if rest.endswith('p') else '-'}"


def fitted_exponent(terms: list[int], cost: list[float]) -> float:
    return float(np.polyfit(np.log(terms), np.log(cost), 1)[0])


def measure(depth: int, rng: np.random.Generator, reduced: bool) -> dict:
    crn, inputs = _deep_case(depth, 64, 1)
    if reduced:
        crn = reduce_crn(crn, keep_inputs=True)
    started = time.perf_counter()
    reference = tight_reference(crn, inputs[0])
    seconds = time.perf_counter() - started
    solver_steps = simulate_ode(
        crn, inputs, t_end=T_END, n_points=2, rtol=RTOL, atol=ATOL, n_threads=1
    ).stats.steps
    names = list(crn.species)
    kinds = [species_kind(name) for name in names]
    everything = np.arange(crn.n_species)
    layer_alone = [
        count_pieces(reference.sol, np.flatnonzero([k is not None and k[0] == layer for k in kinds]), 5)
        for layer in range(1, depth)
    ]
    # The rate terms of each species' own derivative: reactant slots of the reactions changing it.
    stoichiometry = crn.stoichiometry.tocsc() if hasattr(crn.stoichiometry, "tocsc") else crn.stoichiometry
    reactant_slots = (crn.reactant_columns >= 0).sum(axis=1)
    derivative_terms = np.zeros(crn.n_species)
    for column in range(crn.n_species):
        changing = stoichiometry[:, [column]].nonzero()[0]
        derivative_terms[column] = reactant_slots[changing].sum()
    sampled: dict[tuple[int, str], float] = {}
    for layer in range(1, depth):
        for kind in KINDS:
            members = np.flatnonzero([k == (layer, kind) for k in kinds])
            if not members.size:  # the reduced CRN keeps only the pairs m, z-
                continue
            chosen = rng.choice(members, min(8, len(members)), replace=False)
            sampled[layer, kind] = float(
                np.mean([count_pieces(reference.sol, np.array([s]), 5) for s in chosen])
            )
    inputs_outputs = np.flatnonzero([k is None for k in kinds])
    outputs = np.flatnonzero([name.startswith("y") for name in names])
    output_pieces = float(np.mean([count_pieces(reference.sol, np.array([s]), 5) for s in outputs[:8]]))
    per_species = np.array([sampled[k] if k is not None else output_pieces for k in kinds])
    per_species[inputs_outputs[~np.isin(inputs_outputs, outputs)]] = 0.0  # inputs decay in closed form
    return {
        "depth": depth,
        "terms": int(crn.product_terms.nnz + crn.reactant_terms.nnz),
        "reference": (len(reference.t) - 1, seconds),
        "solver": solver_steps,
        "all5": count_pieces(reference.sol, everything, 5),
        "all8": count_pieces(reference.sol, everything, 8),
        "layers": layer_alone,
        "sampled": {
            layer: [round(sampled[layer, kind]) for kind in KINDS if (layer, kind) in sampled]
            for layer in range(1, depth)
        },
        "outputs": output_pieces,
        "multirate": float((per_species * derivative_terms).sum()),
    }


def main() -> None:
    reduced = "--reduced" in sys.argv[1:]
    depths = [int(arg) for arg in sys.argv[1:] if arg != "--reduced"] or [1, 2, 3, 4, 5, 6]
    rng = np.random.default_rng(0)
    rows = []
    print(f"{'reduced (inputs kept)' if reduced else 'compiled'} CRNs", flush=True)
    for depth in depths:
        row = measure(depth, rng, reduced)
        rows.append(row)
        print(
            f"depth {depth}: {row['terms']:,} terms; reference {row['reference'][0]} steps "
            f"({row['reference'][1]:.0f} s); solver {row['solver']} steps; pieces, all species: "
            f"degree 5 {row['all5']}, degree 8 {row['all8']}; each hidden layer alone {row['layers']}; "
            f"one species alone, mean of 8 per layer and kind ({', '.join(KINDS)}, those present): "
            f"{row['sampled']}, outputs "
            f"{row['outputs']:.0f}",
            flush=True,
        )
    print(
        "ideal per-species multirate cost (pieces x rate terms, summed): "
        + ", ".join(f"depth {row['depth']} {row['multirate']:,.0f}" for row in rows)
    )
    for first in sorted({rows[0]["depth"], 2}):
        fitted = [row for row in rows if row["depth"] >= first]
        if len(fitted) < 2:
            continue
        terms = [row["terms"] for row in fitted]
        print(
            f"fitted exponents against product terms, depth {fitted[0]['depth']}-{fitted[-1]['depth']}: "
            f"solver steps x terms {fitted_exponent(terms, [r['solver'] * r['terms'] for r in fitted]):.2f}; "
            f"ideal shared steps (degree-5 pieces x terms) "
            f"{fitted_exponent(terms, [r['all5'] * r['terms'] for r in fitted]):.2f}; degree 8 "
            f"{fitted_exponent(terms, [r['all8'] * r['terms'] for r in fitted]):.2f}; ideal per-species multirate "
            f"{fitted_exponent(terms, [r['multirate'] for r in fitted]):.2f}"
        )


if __name__ == "__main__":
    main()
