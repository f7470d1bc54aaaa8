"""PEP 517 build backend: setuptools, plus numba's kernel cache warmed during an editable install.

``pip install -e .`` runs :func:`build_editable` in the source tree, which is also where
the installed package's numba kernels are cached (``src/nn2crn/simulate/__pycache__``).
After setuptools has built the editable wheel (and the C SSA kernel), this backend runs
``nn2crn.simulate.warmup.warm_kernels`` once from the source tree, so that the first
``nn2crn simulate`` after installing loads the ODE and tau-leaping kernels from the cache
instead of compiling them (about 20 s of CPU). numba accepts a cache only from its own
version, so the build environment asks for the numba the project depends on; the
runtime check in numba makes a mismatch cost a compile, never a wrong result.

Warming never fails the install: any error, a missing dependency or a time-out is
reported in pip's verbose log and the install goes on (the CLI then warms the cache in
the background, ``nn2crn._kernel_cache``). ``NN2CRN_NO_INSTALL_WARMUP=1`` skips it.
A regular (non-editable) ``pip install .`` is plain setuptools: the wheel's files get
new modification times when installed, which would invalidate a cache shipped in it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 - every hook not overridden here

ROOT = Path(__file__).resolve().parents[1]
WARM_UP_REQUIRES = ["numpy>=1.24", "scipy>=1.10", "numba>=0.58"]
"""The runtime dependencies the warm-up imports (pyproject.toml [project] dependencies)."""
WARM_UP_SECONDS = 900.0


def get_requires_for_build_editable(config_settings=None):
    requires = list(_setuptools.get_requires_for_build_editable(config_settings))
    if os.environ.get("NN2CRN_NO_INSTALL_WARMUP") != "1":
        requires += WARM_UP_REQUIRES
    return requires


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    name = _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)
    if os.environ.get("NN2CRN_NO_INSTALL_WARMUP") != "1":
        warm_numba_cache()
    return name


def warm_numba_cache(timeout: float = WARM_UP_SECONDS) -> bool:
    """Compile the numba kernels into their cache beside the sources; True on success, never raises."""
    source = ROOT / "src"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    env["NN2CRN_NO_AUTO_WARMUP"] = "1"
    code = (
        "from nn2crn.simulate.warmup import warm_kernels\n"
        "import numba\n"
        "seconds = warm_kernels()\n"
        "print('nn2crn: numba', numba.__version__, 'kernels cached:', "
        "', '.join(f'{k} {v:.1f} s' for k, v in seconds.items()))\n"
    )
    start = time.perf_counter()
    try:
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=str(ROOT),
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except (OSError, subprocess.SubprocessError) as error:
        print(
            f"nn2crn: warming numba's kernel cache failed ({error}); the CLI warms it later", file=sys.stderr
        )
        return False
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        print(
            f"nn2crn: warming numba's kernel cache failed ({last}); the CLI warms it later", file=sys.stderr
        )
        return False
    print(f"{result.stdout.strip()} (in {time.perf_counter() - start:.0f} s)", file=sys.stderr)
    return True
