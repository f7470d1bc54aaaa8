"""Network -> CRN compilation (Algorithm 1) and reduction (Algorithm 2).

Each name is imported from its module on first use (PEP 562): compiling a dense network
needs numpy only, while the reduction (and with it scipy.sparse) loads when it is called.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> defining module
_LAZY: dict[str, str] = {
    "compile_network": "network_to_crn",
    "accuracy_loss": "quantize",
    "quantize_network": "quantize",
    "reduce_crn": "reduce",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module_name}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from .network_to_crn import compile_network as compile_network
    from .quantize import accuracy_loss as accuracy_loss
    from .quantize import quantize_network as quantize_network
    from .reduce import reduce_crn as reduce_crn
