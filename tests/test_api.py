"""The flat public API: lazy names, `__all__`, `__dir__`, one version, py.typed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import nn2crn

FLAT = (
    "compile_network",
    "reduce_crn",
    "check_crn",
    "read_crn",
    "write_crn",
    "to_sbml",
    "stable_outputs",
    "simulate_ode",
    "simulate_ssa",
    "load_network",
    "train_network",
)


def test_import_nn2crn_stays_light():
    script = (
        "import sys, nn2crn\n"
        "print(sorted(m for m in ('numpy', 'scipy', 'torch', 'numba', 'click', 'rich') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("name", FLAT)
def test_flat_names_resolve_to_the_package_functions(name):
    value = getattr(nn2crn, name)
    assert callable(value) and value.__name__ == name
    assert name in nn2crn.__all__ and name in dir(nn2crn)


def test_every_public_name_resolves_and_unknown_names_raise():
    for name in nn2crn.__all__:
        getattr(nn2crn, name)
    with pytest.raises(AttributeError, match="module 'nn2crn' has no attribute 'compile_crn'"):
        nn2crn.compile_crn  # noqa: B018


def test_version_is_written_once_and_py_typed_ships():
    root = Path(__file__).resolve().parents[1]
    pyproject = (root / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and "nn2crn._version.__version__" in pyproject
    assert '"py.typed"' in pyproject and (root / "src" / "nn2crn" / "py.typed").is_file()
    from nn2crn._version import __version__

    assert nn2crn.__version__ == __version__
