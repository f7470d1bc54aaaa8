"""The CRN type, the `.crn` text format, SBML, OMEX and CRNSimulator files, and structural checks."""

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
