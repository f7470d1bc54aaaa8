"""``nn2crn.torch``: quantized PyTorch modules and :func:`from_torch` (needs the ``train`` extra).

Re-exported from :mod:`nn2crn.nn.torch`, where they are documented.
"""

from .nn.torch import Abs as Abs
from .nn.torch import IntConv2d as IntConv2d
from .nn.torch import IntLinear as IntLinear
from .nn.torch import TernaryConv2d as TernaryConv2d
from .nn.torch import TernaryLinear as TernaryLinear
from .nn.torch import clip_shadow_weights as clip_shadow_weights
from .nn.torch import from_torch as from_torch
from .nn.torch import integer_levels as integer_levels
from .nn.torch import ternarize as ternarize
from .nn.torch import to_torch as to_torch
