"""The automatic warm-up: a cold numba cache is detected, filled once in the background, then used."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nn2crn import _kernel_cache


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    return tmp_path / "numba"


def test_cache_directory_follows_numba_cache_dir(fresh_cache):
    directory = _kernel_cache.cache_directory()
    assert directory is not None and directory.parent == fresh_cache
    assert directory.name.startswith("simulate_")


def test_an_empty_cache_is_cold(fresh_cache):
    assert _kernel_cache.kernels_are_cached() is False
    assert not _kernel_cache.warm_up_running()


def test_a_stale_lock_does_not_count_as_running(fresh_cache):
    lock = _kernel_cache.cache_directory() / _kernel_cache.LOCK_NAME
    lock.parent.mkdir(parents=True)
    lock.touch()
    assert _kernel_cache.warm_up_running()
    old = os.stat(lock).st_mtime - 2 * _kernel_cache.LOCK_SECONDS
    os.utime(lock, (old, old))
    assert not _kernel_cache.warm_up_running()


@pytest.mark.slow
def test_background_warm_up_fills_the_cache_once(fresh_cache):
    assert _kernel_cache.start_background_warm_up()
    assert _kernel_cache.warm_up_running()
    assert not _kernel_cache.start_background_warm_up()  # one at a time
    _kernel_cache.wait_for_background_warm_up()
    assert not _kernel_cache.warm_up_running()
    assert _kernel_cache.kernels_are_cached() is True
    assert not _kernel_cache.start_background_warm_up()  # warm: nothing to do
    # a fresh process now loads every kernel from the cache: no compile
    code = (
        "from nn2crn.simulate._ode_numba import integrate_chunk\n"
        "from nn2crn.simulate.warmup import warm_kernels\n"
        "warm_kernels()\n"
        "print(sum(integrate_chunk.stats.cache_misses.values()), sum(integrate_chunk.stats.cache_hits.values()))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["0", "1"]


def test_the_cli_starts_it_only_for_session_commands(fresh_cache, tmp_path, monkeypatch):
    from nn2crn.cli import STARTS_WARM_UP, WAITS_FOR_WARM_UP

    assert "compile" in STARTS_WARM_UP and "simulate" in WAITS_FOR_WARM_UP
    assert not STARTS_WARM_UP & WAITS_FOR_WARM_UP
    monkeypatch.setenv("NN2CRN_NO_AUTO_WARMUP", "1")
    from nn2crn.cli import _automatic_warm_up

    _automatic_warm_up("compile")  # opted out: no process, no lock
    assert not _kernel_cache.warm_up_running()
