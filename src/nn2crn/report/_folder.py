"""Output folders of the report commands: refuse to overwrite, build aside, then move into place.

The implementation lives in :mod:`nn2crn._writing`, which owns every output.
"""

from __future__ import annotations

from .._writing import check_output_folder, staged_folder

__all__ = ["check_output_folder", "staged_folder"]
