"""Which species force the deep networks' ODE steps? Error control on subsets of species.

Issue 12's deep-network row (benchmarks/README.md, "bench_ode.py --deep"): SciPy's Radau
(analytic sparse Jacobian, rtol 1e-6) on one standard-normal row of the W = 64 random ternary
network of each depth, with the error of three sets of species controlled (atol 1e-9) and
the others left free (atol 1e30):

- all species (what nn2crn's solver does);
- all but the ReLU pairs ``M``, ``Z-`` (the two reactants of each ``M + Z- -> Y-``, whose
  switches sharpen per layer);
- the output species only.

Each run is compared at t_end with a tight Radau solve (rtol 1e-10, atol 1e-12), in units of
the largest |output|. An independent solver, so that the finding is not this project's kernel.

    python benchmarks/deep_error_subsets.py [DEPTH ...]    (default 2 3 4 5 6; ~3 min)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ode import _deep_case, scipy_rhs_jac  # noqa: E402


def error_subsets(depth: int) -> None:
    crn, inputs = _deep_case(depth, 64, 1)
    rhs, jac = scipy_rhs_jac(crn)
    first, second = crn.reactant_columns[:, 0], crn.reactant_columns[:, 1]
    bimolecular = second >= 0
    y0 = crn.initial_state(inputs)[0]
    paired = np.zeros(crn.n_species, dtype=bool)
    paired[first[bimolecular]] = True
    paired[second[bimolecular]] = True
    outputs = np.any(crn.output_matrix != 0, axis=0)
    tight = solve_ivp(rhs, (0.0, 200.0), y0, method="Radau", rtol=1e-10, atol=1e-12, jac=jac)
    reference = crn.output_matrix @ tight.y[:, -1]
    scale = np.abs(reference).max()
    for label, free in (
        ("all", np.zeros_like(paired)),
        ("all but pairs", paired),
        ("outputs only", ~outputs),
    ):
        started = time.process_time()
        solution = solve_ivp(
            rhs, (0.0, 200.0), y0, method="Radau", rtol=1e-6, atol=np.where(free, 1e30, 1e-9), jac=jac
        )
        error = np.abs(crn.output_matrix @ solution.y[:, -1] - reference).max() / scale
        print(
            f"depth {depth}  {label:13s}  steps {len(solution.t) - 1:5d}  "
            f"CPU {time.process_time() - started:5.1f} s  t_end error {error:.1e}",
            flush=True,
        )


if __name__ == "__main__":
    for depth in [int(arg) for arg in sys.argv[1:]] or [2, 3, 4, 5, 6]:
        error_subsets(depth)
