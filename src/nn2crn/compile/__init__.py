"""Network -> CRN compilation (Algorithm 1) and reduction (Algorithm 2).

Each name is imported from its module on first use (PEP 562): compiling a dense network
needs numpy only, while the reduction (and with it scipy.sparse) loads when it is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

# public name -> defining module
_LAZY: dict[str, str] = {
    "compile_network": "network_to_crn",
    "accuracy_loss": "quantize",
    "quantize_network": "quantize",
    "reduce_crn": "reduce",
}

__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


if TYPE_CHECKING:
    from .network_to_crn import compile_network as compile_network
    from .quantize import accuracy_loss as accuracy_loss
    from .quantize import quantize_network as quantize_network
    from .reduce import reduce_crn as reduce_crn
