"""nn2crn: compile binary/ternary-weight ReLU networks into rate-independent CRNs.

The pipeline is ``datasets -> nn -> compile -> crn -> simulate -> report -> cli``.
Importing :mod:`nn2crn` imports numpy and scipy only.
"""

from ._errors import CompileError as CompileError
from ._errors import CRNFormatError as CRNFormatError
from ._errors import CRNStructureError as CRNStructureError
from ._errors import DatasetError as DatasetError
from ._errors import InputDataError as InputDataError
from ._errors import ModelFileError as ModelFileError
from ._errors import NN2CRNError as NN2CRNError
from ._errors import OutputError as OutputError
from ._errors import SBMLExportError as SBMLExportError
from ._errors import SimulationError as SimulationError
from .crn import CRN as CRN
from .crn import Reaction as Reaction
from .crn import Signal as Signal
from .nn import Layer as Layer
from .nn import Network as Network
from .nn import load_network as load_network
from .nn import save_network as save_network

__version__ = "0.1.0"
