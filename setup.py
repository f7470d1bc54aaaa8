"""The optional C extensions, compiled ahead of time by ``pip install``: the exact SSA kernel,
the `.crn` reaction-line scanner and the numeric CSV scanner.

Everything else is in pyproject.toml. ``optional=True``: without a working C compiler the
install still succeeds; the SSA then runs on numba's kernel and the readers on numpy.
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
