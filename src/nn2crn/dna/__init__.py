"""DNA strand-displacement implementations of CRNs: translate, cost, verify, simulate.

The translators (SSW 2010, the default, and QSW 2011) turn a CRN whose reactions
have at most two reactants into a frozen :class:`DSDSystem`. peppercornenumerator
and crnverifier (extra ``nn2crn[dna]``) are imported only by verification and
kinetics.
"""

from .concentrations import Concentrations as Concentrations
from .concentrations import load_concentrations as load_concentrations
from .system import SCHEMES as SCHEMES
from .system import DomainLengths as DomainLengths
from .system import DSDComplex as DSDComplex
from .system import DSDSystem as DSDSystem
from .system import Module as Module
from .translate import order_reactants as order_reactants
from .translate import translate as translate
from .writers import format_pil as format_pil
from .writers import format_strands as format_strands
from .writers import strand_rows as strand_rows
