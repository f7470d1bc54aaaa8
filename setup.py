"""The optional C extensions, compiled ahead of time by ``pip install``: the exact SSA kernel,
the ODE kernel (with the strongly connected components of its plan), the `.crn`
reaction-line scanner and the numeric CSV scanner.

Everything else is in pyproject.toml. ``optional=True``: without a working C compiler the
install still succeeds; the SSA and the ODE then run on numba's kernels (the ODE plan uses
scipy) and the readers on numpy.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "nn2crn.simulate._ssa_ckernel",
            sources=["src/nn2crn/simulate/_ssa_ckernel.c"],
            extra_compile_args=["-O2", "-ffp-contract=off", "-std=c99"],
            optional=True,
        ),
        Extension(
            "nn2crn.simulate._ode_ckernel",
            sources=["src/nn2crn/simulate/_ode_ckernel.c"],
            # -O3 vectorizes the row loops (2x faster than -O2 here); element-wise SIMD without
            # contraction rounds exactly as the scalar code and the numba kernel do.
            extra_compile_args=["-O3", "-ffp-contract=off", "-std=c99"],
            optional=True,
        ),
        Extension(
            "nn2crn.crn._crn_cparse",
            sources=["src/nn2crn/crn/_crn_cparse.c"],
            extra_compile_args=["-O2", "-std=c99"],
            optional=True,
        ),
        Extension(
            "nn2crn._ccsv",
            sources=["src/nn2crn/_ccsv.c"],
            # no contraction or reassociation: the fast path is one exactly rounded operation
            extra_compile_args=["-O2", "-ffp-contract=off", "-std=c99"],
            optional=True,
        ),
    ]
)
