"""Datasets as train/validation/test splits: IRIS, virus infection (GSE73072), MNIST, CSV files."""

from .base import Dataset as Dataset
from .base import Split as Split
from .csv_file import load_csv as load_csv
from .idx import parse_idx as parse_idx
from .idx import read_idx as read_idx
from .iris import load_iris as load_iris
from .mnist import download_mnist as download_mnist
from .mnist import load_mnist as load_mnist
from .registry import DATASETS as DATASETS
from .registry import DatasetInfo as DatasetInfo
from .registry import dataset_names as dataset_names
from .registry import load_dataset as load_dataset
from .virus import load_virus as load_virus
from .virus import virus_examples as virus_examples
