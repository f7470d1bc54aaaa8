"""``nn2crn warm-up``: compile the numba kernels into numba's cache once, after installing."""

from __future__ import annotations

import click


@click.command("warm-up")
@click.option("-q", "--quiet", is_flag=True, help="No line per kernel on stderr.")
def warmup_command(quiet: bool) -> None:
    """Compile the simulation kernels (SSA, tau-leaping, ODE) into numba's on-disk cache.

    Run once after installing (or upgrading) nn2crn: later commands then load the
    kernels in well under a second instead of compiling them on their first run.
    The cache is next to the installed sources (__pycache__), or under
    NUMBA_CACHE_DIR when that is set. An editable install (pip install -e .) has
    already done this; the exact SSA's C kernel (built by pip install) needs no
    warm-up.
    """
    from ..simulate.warmup import warm_kernels
    from ._output import echo_err

    warm_kernels(report=None if quiet else echo_err)
