"""The CRN type, the `.crn` text format, SBML, OMEX and CRNSimulator files, and structural checks.

Each name is imported from its module on first use (PEP 562), so that commands which
only read a `.crn` file do not pay for the readers and checks they never call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

# public name -> defining module
_LAZY: dict[str, str] = {
    "CheckReport": "checks",
    "check_crn": "checks",
    "reaction_levels": "checks",
    "require_nc_feed_forward": "checks",
    "CRN": "crn",
    "RawInputs": "crn",
    "Reaction": "crn",
    "Signal": "crn",
    "format_terms": "crn",
    "make_terms": "crn",
    "parse_sbml": "sbml_read",
    "read_sbml": "sbml_read",
    "format_crn": "text",
    "parse_crn": "text",
    "read_crn": "text",
    "write_crn": "text",
    "format_wls": "wls",
    "parse_wls": "wls",
    "read_wls": "wls",
}

__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


if TYPE_CHECKING:
    from .checks import CheckReport as CheckReport
    from .checks import check_crn as check_crn
    from .checks import reaction_levels as reaction_levels
    from .checks import require_nc_feed_forward as require_nc_feed_forward
    from .crn import CRN as CRN
    from .crn import RawInputs as RawInputs
    from .crn import Reaction as Reaction
    from .crn import Signal as Signal
    from .crn import format_terms as format_terms
    from .crn import make_terms as make_terms
    from .sbml_read import parse_sbml as parse_sbml
    from .sbml_read import read_sbml as read_sbml
    from .text import format_crn as format_crn
    from .text import parse_crn as parse_crn
    from .text import read_crn as read_crn
    from .text import write_crn as write_crn
    from .wls import format_wls as format_wls
    from .wls import parse_wls as parse_wls
    from .wls import read_wls as read_wls
