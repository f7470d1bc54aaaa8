"""The CRN type, the `.crn` text format, SBML export and structural checks."""

from .crn import CRN as CRN
from .crn import Reaction as Reaction
from .crn import Signal as Signal
from .crn import format_terms as format_terms
from .crn import make_terms as make_terms
