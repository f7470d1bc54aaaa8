"""Network -> CRN compilation (Algorithm 1) and reduction (Algorithm 2)."""

from .network_to_crn import compile_network as compile_network
from .reduce import reduce_crn as reduce_crn
