"""The optional C extension: the exact SSA kernel, compiled ahead of time by ``pip install``.

Everything else is in pyproject.toml. ``optional=True``: without a working C compiler the
install still succeeds and the SSA runs on numba's kernel instead.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "nn2crn.simulate._ssa_ckernel",
            sources=["src/nn2crn/simulate/_ssa_ckernel.c"],
            extra_compile_args=["-O2", "-ffp-contract=off", "-std=c99"],
            optional=True,
        )
    ]
)
