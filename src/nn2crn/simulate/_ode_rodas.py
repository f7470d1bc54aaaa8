"""Coefficients of RODAS4 (Hairer & Wanner, *Solving ODEs II*, 2nd ed., Sect. IV.7; code ``rodas.f``).

A 6-stage, L-stable, stiffly accurate Rosenbrock method of order 4 with an
embedded order-3 error estimate (the last stage increment) and a continuous
extension of order 3. "Transformed" form: with ``E = I / (h gamma) - J``,

    E k_i = f(t + c_i h, y + sum_j a_ij k_j) + sum_j (C_ij / h) k_j + h d_i f_t(t, y)

``y_new = y + a_61.. k + k_5 + k_6`` (stages 5 and 6 are at ``t + h``); the error
estimate is ``k_6``. Dense output on ``[t, t + h]`` with ``theta = (s - t) / h``:

    y(theta) = (1 - theta) y + theta (y_new + (1 - theta) (H1 + theta H2))

with ``H1 = sum_i h2i k_i`` and ``H2 = sum_i h3i k_i``.
"""

import numpy as np

GAMMA = 0.25
C2, C3, C4 = 0.386, 0.21, 0.63
D1, D2, D3, D4 = 0.25, -0.1043, 0.1035, -0.0362

A21 = 1.544
A31, A32 = 0.9466785280815826, 0.2557011698983284
A41, A42, A43 = 3.314825187068521, 2.896124015972201, 0.9986419139977817
A51, A52, A53, A54 = 1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950

C21 = -5.6688
C31, C32 = -2.430093356833875, -0.2063599157091915
C41, C42, C43 = -0.1073529058151375, -9.594562251023355, -20.47028614809616
C51, C52, C53, C54 = 7.496443313967647, -10.24680431464352, -33.99990352819905, 11.70890893206160
C61, C62, C63, C64, C65 = (
    8.083246795921522,
    -7.981132988064893,
    -31.52159432874371,
    16.31930543123136,
    -6.058818238834054,
)

H21, H22, H23, H24, H25 = (
    10.12623508344586,
    -7.487995877610167,
    -34.80091861555747,
    -7.992771707568823,
    1.025137723295662,
)
H31, H32, H33, H34, H35 = (
    -0.6762803392801253,
    6.087714651680015,
    16.43084320892478,
    24.76722511418386,
    -6.594389125716872,
)

ERROR_EXPONENT = 0.25  # 1 / (embedded order + 1)
SAFETY = 0.9
FACTOR_MIN = 0.2
FACTOR_MAX = 6.0

STATUS_OK = 0
STATUS_STEP_COLLAPSE = 1
STATUS_MAX_STEPS = 2

KERNEL_NAMES = (
    "GAMMA",
    "C2",
    "C3",
    "C4",
    "D1",
    "D2",
    "D3",
    "D4",
    "A21",
    "A31",
    "A32",
    "A41",
    "A42",
    "A43",
    "A51",
    "A52",
    "A53",
    "A54",
    "C21",
    "C31",
    "C32",
    "C41",
    "C42",
    "C43",
    "C51",
    "C52",
    "C53",
    "C54",
    "C61",
    "C62",
    "C63",
    "C64",
    "C65",
    "H21",
    "H22",
    "H23",
    "H24",
    "H25",
    "H31",
    "H32",
    "H33",
    "H34",
    "H35",
    "ERROR_EXPONENT",
    "SAFETY",
    "FACTOR_MIN",
    "FACTOR_MAX",
    "STATUS_OK",
    "STATUS_STEP_COLLAPSE",
    "STATUS_MAX_STEPS",
)
"""Order of the constants in :func:`kernel_table` (the numba kernel takes them as an array,
so that its on-disk compilation cache can never hold stale coefficients)."""


def kernel_table() -> np.ndarray:
    """The constants named in `KERNEL_NAMES`, as float64 of shape (len(KERNEL_NAMES),)."""
    return np.array([float(globals()[name]) for name in KERNEL_NAMES])
