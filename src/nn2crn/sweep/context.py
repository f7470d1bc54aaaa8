"""What every task of a sweep shares: the CRN, the input rows, their labels and exact stable outputs.

The context is built once, in the driver, and sent to the workers once (Dask
scatters it), so workers need neither the spec's files nor the datasets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._errors import NN2CRNError
from .spec import SweepSpec, SweepSpecError


@dataclass(frozen=True, eq=False)
class SweepContext:
    """Data shared by the tasks of one sweep.

    Attributes
    ----------
    crn : CRN or None
        The compiled (or given) CRN; None for the train study.
    inputs : ndarray of shape (n_rows, n_inputs)
        CRN input values of every input row (after the model's input transform).
    labels : int ndarray of shape (n_rows,) or None
        True classes as output positions, when the dataset's classes are the CRN's outputs.
    stable : ndarray of shape (n_rows, n_outputs)
        Exact stable outputs of every row.
    dataset : Dataset or None
        The training data of the train study.
    fingerprint : str
        SHA-256 of everything the results depend on besides the parameter values:
        the study, the spec seed, the CRN and the input rows (or the dataset).
    """

    crn: Any
    inputs: np.ndarray
    labels: np.ndarray | None
    stable: np.ndarray
    dataset: Any
    fingerprint: str

    @property
    def n_rows(self) -> int:
        return int(self.inputs.shape[0])


def _load_dataset(spec: SweepSpec) -> Any:
    from ..datasets import load_dataset

    try:
        return load_dataset(spec.inputs.dataset, **dict(spec.inputs.options))
    except NN2CRNError as error:
        raise SweepSpecError(f"{spec.path}: inputs: {error}") from None


def load_context(spec: SweepSpec) -> SweepContext:
    """Load the model, CRN and inputs a spec names.

    Raises
    ------
    SweepSpecError
        The model, CRN and dataset do not fit together (wrong number of inputs), or
        a file named in the spec cannot be loaded; the message gives the key path.
    """
    digest = hashlib.sha256(f"{spec.study}\n{spec.seed}\n".encode())
    if spec.study_info.input_kind == "dataset":
        dataset = _load_dataset(spec)
        for split in (dataset.train, dataset.val, dataset.test):
            digest.update(np.ascontiguousarray(split.x).tobytes())
            digest.update(np.ascontiguousarray(split.y).tobytes())
        digest.update("\n".join((*dataset.feature_names, *dataset.class_names)).encode())
        empty = np.empty((0, 0))
        return SweepContext(None, empty, None, empty, dataset, digest.hexdigest())

    from ..compile import compile_network
    from ..crn import format_crn, read_crn
    from ..nn import load_network, load_shipped_model
    from ..simulate import stable_outputs

    model = spec.model
    if model is None:
        raise SweepSpecError(
            f"{spec.path}: [model]: missing section; the {spec.study} study needs a model or CRN"
        )
    network = None
    try:
        if model.shipped is not None:
            network = load_shipped_model(model.shipped)
        elif model.file is not None:
            network = load_network(model.file)
    except NN2CRNError as error:
        raise SweepSpecError(f"{spec.path}: model: {error}") from None
    try:
        crn = read_crn(model.crn) if model.crn is not None else compile_network(network)  # type: ignore[arg-type]
    except NN2CRNError as error:
        raise SweepSpecError(f"{spec.path}: model.crn: {error}") from None
    if crn.n_outputs == 0:
        raise SweepSpecError(
            f"{spec.path}: model.crn: the CRN declares no outputs; a sweep compares its outputs"
        )
    dataset = _load_dataset(spec)
    raw, labels = _split_rows(dataset, spec.inputs.split)
    if spec.inputs.limit is not None:
        raw, labels = raw[: spec.inputs.limit], labels[: spec.inputs.limit]
    if network is not None and network.n_inputs != crn.n_inputs:
        raise SweepSpecError(
            f"{spec.path}: model: the model has {network.n_inputs} inputs but the CRN declares {crn.n_inputs}; "
            f"was the CRN compiled from this model?"
        )
    if raw.shape[1] != crn.n_inputs:
        raise SweepSpecError(
            f"{spec.path}: inputs.dataset: {spec.inputs.dataset} has {raw.shape[1]} features but the CRN "
            f"declares {crn.n_inputs} inputs; they must agree"
        )
    inputs = network.transform(raw) if network is not None else np.asarray(raw, dtype=np.float64)
    classes = tuple(dataset.class_names)
    names_match = network is None or tuple(network.output_names) == classes
    label_index = labels.astype(np.int64) if names_match and len(classes) == crn.n_outputs else None
    try:
        # The reference for kinetics: float64 rounding of deep networks' rails (below 1e-6
        # relative even at depth 8) is far below what is compared with it: no bound check.
        stable = stable_outputs(crn, inputs, rtol=None)
    except NN2CRNError as error:
        raise SweepSpecError(f"{spec.path}: model: {error}") from None
    digest.update("\n".join(format_crn(crn).splitlines()[1:]).encode())  # line 1 names the version
    digest.update(np.ascontiguousarray(inputs).tobytes())
    if label_index is not None:
        digest.update(label_index.tobytes())
    return SweepContext(crn, inputs, label_index, stable, None, digest.hexdigest())


def _split_rows(dataset: Any, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Raw features and labels of a split; ``"all"`` joins the distinct splits (IRIS shares one)."""
    if split != "all":
        part = getattr(dataset, split)
        return part.x, part.y
    parts: list[Any] = []
    for part in (dataset.train, dataset.val, dataset.test):
        if not any(np.array_equal(part.x, seen.x) for seen in parts):
            parts.append(part)
    return np.concatenate([p.x for p in parts]), np.concatenate([p.y for p in parts])
