"""Network type, model files and (with the ``train`` extra) training."""

from .model_file import load_network as load_network
from .model_file import network_from_dict as network_from_dict
from .model_file import network_to_dict as network_to_dict
from .model_file import save_network as save_network
from .network import InputTransform as InputTransform
from .network import Layer as Layer
from .network import Network as Network
from .network import random_ternary_network as random_ternary_network
from .shipped import load_shipped_model as load_shipped_model
from .shipped import shipped_model_names as shipped_model_names
from .shipped import shipped_model_path as shipped_model_path
