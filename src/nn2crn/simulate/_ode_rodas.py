"""Stiffly accurate Rosenbrock methods used by :func:`nn2crn.simulate.ode.simulate_ode`.

Both are written in the "transformed" form of Hairer & Wanner (*Solving ODEs II*,
Sect. IV.7). With ``E = I / (h gamma) - J`` and ``f_t`` the time derivative of
the right-hand side at ``(t, y)``, stage ``i`` solves

    E k_i = f(t + c_i h, y + sum_{l<i} a_il k_l) + sum_{l<i} (C_il / h) k_l + h d_i f_t

The methods are stiffly accurate: ``y_new = y + sum_l a_sl k_l + k_s`` (the last
stage's point plus its increment) and the last increment ``k_s`` is the embedded
error estimate. Dense output on ``[t, t + h]`` with ``theta = (s - t) / h`` and
``K_r = sum_i H_ri k_i``:

    y(theta) = (1 - theta) y + theta (y_new + (1 - theta) (K_1 + theta (K_2 + theta K_3 ...)))

- **RODAS5P** (Steinebach 2023): 8 stages, order 5, embedded order 4, dense
  output of order 4. The default: on compiled networks at rtol 1e-6 it takes
  about 2.2 times fewer steps than RODAS4.
- **RODAS4** (Hairer & Wanner, ``rodas.f``): 6 stages, order 4, embedded order 3,
  dense output of order 3.

Coefficients as published (RODAS4 in ``rodas.f``; RODAS5P in Steinebach,
"Construction of Rosenbrock–Wanner method Rodas5P and numerical benchmarks
within the Julia Differential Equations package", BIT 2023).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


class KernelTableau(NamedTuple):
    """The coefficients of a :class:`Tableau` as the kernels take them (C-ordered float64 arrays)."""

    gamma: float
    a: np.ndarray  # (s, s)
    c_coupling: np.ndarray  # (s, s)
    c: np.ndarray  # (s,)
    d: np.ndarray  # (s,)
    dense: np.ndarray  # (m, s)


@dataclass(frozen=True, eq=False)
class Tableau:
    """A stiffly accurate Rosenbrock method in transformed form (see the module docstring)."""

    name: str
    gamma: float
    a: np.ndarray  # (s, s) strictly lower triangular
    c_coupling: np.ndarray  # (s, s) strictly lower triangular ("C_il")
    c: np.ndarray  # (s,) stage times
    d: np.ndarray  # (s,) time-derivative weights
    dense: np.ndarray  # (m, s) dense-output rows H
    embedded_order: int

    @property
    def stages(self) -> int:
        return int(self.c.shape[0])

    @property
    def exponent(self) -> float:
        """Step-size controller exponent ``1 / (embedded order + 1)``."""
        return 1.0 / (self.embedded_order + 1)

    def kernel(self) -> KernelTableau:
        """The coefficients as data for the kernels (not module globals, which numba's
        on-disk cache would freeze)."""

        def array(values: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(values, dtype=np.float64)

        return KernelTableau(
            float(self.gamma),
            array(self.a),
            array(self.c_coupling),
            array(self.c),
            array(self.d),
            array(self.dense),
        )


def _stiffly_accurate(a: np.ndarray, given: int) -> np.ndarray:
    """Fill the rows after the first `given` ones: stage i + 1 starts where stage i ends."""
    for i in range(given, a.shape[0]):
        a[i, :i] = a[i - 1, :i]
        a[i, i - 1] = 1.0
    return a


def _rodas4() -> Tableau:
    a = np.zeros((6, 6))
    a[1, 0] = 1.544
    a[2, :2] = [0.9466785280815826, 0.2557011698983284]
    a[3, :3] = [3.314825187068521, 2.896124015972201, 0.9986419139977817]
    a[4, :4] = [1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950]
    a = _stiffly_accurate(a, 5)
    c_coupling = np.zeros((6, 6))
    c_coupling[1, 0] = -5.6688
    c_coupling[2, :2] = [-2.430093356833875, -0.2063599157091915]
    c_coupling[3, :3] = [-0.1073529058151375, -9.594562251023355, -20.47028614809616]
    c_coupling[4, :4] = [7.496443313967647, -10.24680431464352, -33.99990352819905, 11.70890893206160]
    c_coupling[5, :5] = [
        8.083246795921522,
        -7.981132988064893,
        -31.52159432874371,
        16.31930543123136,
        -6.058818238834054,
    ]
    dense = np.zeros((2, 6))
    dense[0, :5] = [
        10.12623508344586,
        -7.487995877610167,
        -34.80091861555747,
        -7.992771707568823,
        1.025137723295662,
    ]
    dense[1, :5] = [
        -0.6762803392801253,
        6.087714651680015,
        16.43084320892478,
        24.76722511418386,
        -6.594389125716872,
    ]
    return Tableau(
        name="RODAS4",
        gamma=0.25,
        a=a,
        c_coupling=c_coupling,
        c=np.array([0.0, 0.386, 0.21, 0.63, 1.0, 1.0]),
        d=np.array([0.25, -0.1043, 0.1035, -0.0362, 0.0, 0.0]),
        dense=dense,
        embedded_order=3,
    )


def _rodas5p() -> Tableau:
    a = np.zeros((8, 8))
    a[1, 0] = 3.0
    a[2, :2] = [2.849394379747939, 0.45842242204463923]
    a[3, :3] = [-6.954028509809101, 2.489845061869568, -10.358996098473584]
    a[4, :4] = [2.8029986275628964, 0.5072464736228206, -0.3988312541770524, -0.04721187230404641]
    a[5, :5] = [
        -7.502846399306121,
        2.561846144803919,
        -11.627539656261098,
        -0.18268767659942256,
        0.030198172008377946,
    ]
    a = _stiffly_accurate(a, 6)
    c_coupling = np.zeros((8, 8))
    c_coupling[1, 0] = -14.155112264123755
    c_coupling[2, :2] = [-17.97296035885952, -2.859693295451294]
    c_coupling[3, :3] = [147.12150275711716, -1.41221402718213, 71.68940251302358]
    c_coupling[4, :4] = [165.43517024871676, -0.4592823456491126, 42.90938336958603, -5.961986721573306]
    c_coupling[5, :5] = [
        24.854864614690072,
        -3.0009227002832186,
        47.4931110020768,
        5.5814197821558125,
        -0.6610691825249471,
    ]
    c_coupling[6, :6] = [
        30.91273214028599,
        -3.1208243349937974,
        77.79954646070892,
        34.28646028294783,
        -19.097331116725623,
        -28.087943162872662,
    ]
    c_coupling[7, :7] = [
        37.80277123390563,
        -3.2571969029072276,
        112.26918849496327,
        66.9347231244047,
        -40.06618937091002,
        -54.66780262877968,
        -9.48861652309627,
    ]
    dense = np.array(
        [
            [
                25.948786856663858,
                -2.5579724845846235,
                10.433815404888879,
                -2.3679251022685204,
                0.524948541321073,
                1.1241088310450404,
                0.4272876194431874,
                -0.17202221070155493,
            ],
            [
                -9.91568850695171,
                -0.9689944594115154,
                3.0438037242978453,
                -24.495224566215796,
                20.176138334709044,
                15.98066361424651,
                -6.789040303419874,
                -6.710236069923372,
            ],
            [
                11.419903575922262,
                2.8879645146136994,
                72.92137995996029,
                80.12511834622643,
                -52.072871366152654,
                -59.78993625266729,
                -0.15582684282751913,
                4.883087185713722,
            ],
        ]
    )
    return Tableau(
        name="RODAS5P",
        gamma=0.21193756319429014,
        a=a,
        c_coupling=c_coupling,
        c=np.array(
            [
                0.0,
                0.6358126895828704,
                0.4095798393397535,
                0.9769306725060716,
                0.4288403609558664,
                1.0,
                1.0,
                1.0,
            ]
        ),
        d=np.array(
            [
                0.21193756319429014,
                -0.42387512638858027,
                -0.3384627126235924,
                1.8046452872882734,
                2.325825639765069,
                0.0,
                0.0,
                0.0,
            ]
        ),
        dense=dense,
        embedded_order=4,
    )


TABLEAUS = {"rodas5p": _rodas5p(), "rodas4": _rodas4()}
