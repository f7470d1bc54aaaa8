"""Network -> CRN compilation (Algorithm 1) and reduction (Algorithm 2)."""

from .network_to_crn import compile_network as compile_network
from .quantize import accuracy_loss as accuracy_loss
from .quantize import quantize_network as quantize_network
from .reduce import reduce_crn as reduce_crn
