"""nn2crn: compile binary/ternary-weight ReLU networks into rate-independent CRNs.

The pipeline is ``datasets -> nn -> compile -> crn -> simulate -> report -> cli``
(CONTRIBUTING.md has the picture). The functions and types below are the flat
public API; each is imported on first use (PEP 562), so ``import nn2crn`` loads
only the error classes and stays fast, without numpy, scipy, torch or click.

Examples
--------
>>> from nn2crn import compile_network, load_network, stable_outputs  # doctest: +SKIP
>>> crn = compile_network(load_network("model.json"))  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._errors import CompileError as CompileError
from ._errors import CRNFormatError as CRNFormatError
from ._errors import CRNStructureError as CRNStructureError
from ._errors import DatasetError as DatasetError
from ._errors import DNADesignError as DNADesignError
from ._errors import InputDataError as InputDataError
from ._errors import ModelFileError as ModelFileError
from ._errors import NN2CRNError as NN2CRNError
from ._errors import OutputError as OutputError
from ._errors import PrecisionLossError as PrecisionLossError
from ._errors import SBMLExportError as SBMLExportError
from ._errors import SimulationError as SimulationError
from ._version import __version__ as __version__

# public name -> module that defines it; imported on first attribute access
_LAZY: dict[str, str] = {
    "CRN": "nn2crn.crn",
    "Reaction": "nn2crn.crn",
    "Signal": "nn2crn.crn",
    "check_crn": "nn2crn.crn",
    "read_crn": "nn2crn.crn",
    "write_crn": "nn2crn.crn",
    "to_sbml": "nn2crn.crn.sbml",
    "Layer": "nn2crn.nn",
    "Network": "nn2crn.nn",
    "load_network": "nn2crn.nn",
    "save_network": "nn2crn.nn",
    "train_network": "nn2crn.nn.train",
    "compile_network": "nn2crn.compile",
    "reduce_crn": "nn2crn.compile",
    "verify_network": "nn2crn.compile.verify",
    "stable_outputs": "nn2crn.simulate",
    "simulate_ode": "nn2crn.simulate",
    "simulate_ssa": "nn2crn.simulate",
}

_ERRORS = (
    "CompileError",
    "CRNFormatError",
    "CRNStructureError",
    "DatasetError",
    "InputDataError",
    "ModelFileError",
    "NN2CRNError",
    "PrecisionLossError",
    "SBMLExportError",
    "SimulationError",
)

__all__ = [*_ERRORS, *_LAZY, "__version__"]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'nn2crn' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from .compile import compile_network as compile_network
    from .compile import reduce_crn as reduce_crn
    from .compile.verify import verify_network as verify_network
    from .crn import CRN as CRN
    from .crn import Reaction as Reaction
    from .crn import Signal as Signal
    from .crn import check_crn as check_crn
    from .crn import read_crn as read_crn
    from .crn import write_crn as write_crn
    from .crn.sbml import to_sbml as to_sbml
    from .nn import Layer as Layer
    from .nn import Network as Network
    from .nn import load_network as load_network
    from .nn import save_network as save_network
    from .nn.train import train_network as train_network
    from .simulate import simulate_ode as simulate_ode
    from .simulate import simulate_ssa as simulate_ssa
    from .simulate import stable_outputs as stable_outputs
