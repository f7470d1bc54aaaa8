"""Where a report came from: the package version, the machine and the library versions."""

from __future__ import annotations

import os
import platform


def package_version() -> str:
    """The installed nn2crn version."""
    from .. import __version__

    return __version__


def machine_line() -> str:
    """``Python 3.11.7 on Linux x86_64, 2 CPUs``."""
    return f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"


def versions_line() -> str:
    """nn2crn's version and those of the installed numerical libraries."""
    import importlib.metadata as metadata

    names = ("numpy", "scipy", "numba", "matplotlib", "torch", "python-libsbml")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return f"nn2crn {package_version()}; " + ", ".join(found)
