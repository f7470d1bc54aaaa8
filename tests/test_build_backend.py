"""The in-tree PEP 517 backend: setuptools plus numba's cache warmed by editable installs, never failing."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from nn2crn import _kernel_cache

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def backend():
    spec = importlib.util.spec_from_file_location("nn2crn_backend", ROOT / "_build" / "nn2crn_backend.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pyproject_uses_the_in_tree_backend() -> None:
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]
    assert build["build-backend"] == "nn2crn_backend" and build["backend-path"] == ["_build"]


# setuptools warns about pyproject's `license` table while it reads the project.
@pytest.mark.filterwarnings("ignore:.*project.license")
def test_the_build_environment_gets_the_runtime_numba(backend, monkeypatch) -> None:
    # numba loads a cache only from its own version: the build env must resolve numba as the
    # runtime does, from the same requirement as the project's dependency.
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    monkeypatch.delenv("NN2CRN_NO_INSTALL_WARMUP", raising=False)
    requires = backend.get_requires_for_build_editable()
    for requirement in backend.WARM_UP_REQUIRES:
        assert requirement in dependencies and requirement in requires
    monkeypatch.setenv("NN2CRN_NO_INSTALL_WARMUP", "1")
    assert not set(backend.WARM_UP_REQUIRES) & set(backend.get_requires_for_build_editable())
    # a regular wheel build is plain setuptools
    assert "numba>=0.58" not in backend.get_requires_for_build_wheel()


def test_a_failing_warm_up_does_not_fail_the_install(backend, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PYTHONPATH", "")
    monkeypatch.setattr(backend, "ROOT", tmp_path / "missing")
    assert backend.warm_numba_cache() is False  # no such directory: an OSError, caught
    assert "failed" in capsys.readouterr().err
    broken = tmp_path / "src" / "nn2crn"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('a broken tree')\n")
    monkeypatch.setattr(backend, "ROOT", tmp_path)  # the warm-up process exits 1
    assert backend.warm_numba_cache() is False
    assert "ImportError: a broken tree" in capsys.readouterr().err
    monkeypatch.setattr(backend, "ROOT", ROOT)
    assert backend.warm_numba_cache(timeout=0.01) is False  # a time-out, caught
    assert "failed" in capsys.readouterr().err


@pytest.mark.slow
def test_the_install_time_warm_up_fills_the_cache_a_fresh_process_loads(
    backend, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    assert _kernel_cache.kernels_are_cached() is False
    assert backend.warm_numba_cache() is True
    assert _kernel_cache.kernels_are_cached() is True
    code = (
        "from nn2crn.simulate._ode_numba import integrate_chunk\n"
        "from nn2crn.simulate.warmup import warm_kernels\n"
        "warm_kernels()\n"
        "print(sum(integrate_chunk.stats.cache_misses.values()), sum(integrate_chunk.stats.cache_hits.values()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert result.stdout.split() == ["0", "1"]
