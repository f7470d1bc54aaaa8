"""Shared fixtures: a seeded `rng`, and helpers to run the CLI in-process."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

# The CLI starts the kernels' warm-up in a background process when numba's cache is cold;
# tests that run the CLI must not leave such processes behind (tests/test_kernel_cache.py
# tests it on its own cache directory).
os.environ["NN2CRN_NO_AUTO_WARMUP"] = "1"

# A test run started in the background by a non-interactive shell (`.ci/run &`) inherits
# SIGINT ignored, and so would every CLI process the tests start: Python then installs no
# KeyboardInterrupt handler, and the tests that interrupt a command with SIGINT would see
# it run on. A handled signal is reset to the default on exec, so handling it here gives
# the children the default disposition.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20200713)


@pytest.fixture
def run_cli(capsys):
    """Run ``nn2crn ARGS...`` in-process; returns (exit_code, stdout, stderr)."""
    from nn2crn.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
