"""Fuzz targets: one function per reader, taking raw bytes; the contract is *load or NN2CRNError*.

Every target writes the bytes to a real file and calls the public reader on it, so the
size, encoding and line limits are exercised too. Any exception other than an
:class:`nn2crn.NN2CRNError` subclass is a finding (``run.py`` adds: a case over 5 s or
over 1 GB of memory).

Readers that branches not yet merged add have no target here but an entry in
:data:`PENDING` (``sweep-toml``: sweep TOML; ``pil``: .pil writing from a fuzzed
`.crn`); ``run.py`` names the reason when one is asked for.
"""

from __future__ import annotations

import gzip
import os
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from nn2crn import NN2CRNError

ROOT = Path(__file__).resolve().parents[2]


def _with_file(data: bytes, suffix: str, read: Callable[[Path], object]) -> None:
    descriptor, name = tempfile.mkstemp(suffix=suffix, prefix="nn2crn-fuzz-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        try:
            read(Path(name))
        except NN2CRNError as error:
            if not str(error):
                raise AssertionError(f"{type(error).__name__} without a message") from None
    finally:
        os.unlink(name)


def fuzz_crn(data: bytes) -> None:
    from nn2crn.crn import check_crn, format_crn, parse_crn, read_crn

    def read(path: Path) -> None:
        crn = read_crn(path)
        # What loads must also check and round-trip through the writer.
        check_crn(crn)
        again = parse_crn(format_crn(crn))
        if again != crn:  # CRN equality: same species set, reactions, initial amounts and signals
            raise AssertionError("format_crn/parse_crn round trip changed the CRN")

    _with_file(data, ".crn", read)


def fuzz_model(data: bytes) -> None:
    from nn2crn.nn import load_network

    _with_file(data, ".json", load_network)


def fuzz_inputs_csv(data: bytes) -> None:
    from nn2crn.cli._inputs import read_inputs_csv

    _with_file(data, ".csv", lambda path: read_inputs_csv(path, ("x0", "x1", "x2", "x3"), ("a", "b")))


def fuzz_dataset_csv(data: bytes) -> None:
    from nn2crn.datasets import load_dataset

    _with_file(data, ".csv", lambda path: load_dataset(str(path), label="label"))


def fuzz_idx(data: bytes) -> None:
    from nn2crn.datasets.idx import read_idx

    _with_file(data, ".idx", read_idx)


def fuzz_onnx(data: bytes) -> None:
    from nn2crn.nn.onnx_io import read_onnx

    _with_file(data, ".onnx", read_onnx)


def fuzz_wls(data: bytes) -> None:
    from nn2crn.crn import read_wls

    _with_file(data, ".wls", read_wls)


def fuzz_sbml(data: bytes) -> None:
    from nn2crn.crn import read_sbml

    _with_file(data, ".xml", read_sbml)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "crn": fuzz_crn,
    "model": fuzz_model,
    "inputs-csv": fuzz_inputs_csv,
    "dataset-csv": fuzz_dataset_csv,
    "idx": fuzz_idx,
    "onnx": fuzz_onnx,
    "wls": fuzz_wls,
    "sbml": fuzz_sbml,
}
READY = tuple(TARGETS)
PENDING: dict[str, str] = {
    "sweep-toml": "the sweep TOML reader comes with the sweep branch, merged later",
    "pil": ".pil writing comes with the DNA branch, merged later",
}


def _idx(array: np.ndarray, code: int) -> bytes:
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def seeds(target: str) -> list[bytes]:
    """A seed corpus built now from the shipped models and the golden files (never committed)."""
    from nn2crn.compile import compile_network, reduce_crn
    from nn2crn.crn import format_crn
    from nn2crn.nn import load_network

    models = sorted((ROOT / "src" / "nn2crn" / "models").glob("*.json"))
    if target == "model":
        return [path.read_bytes() for path in models]
    if target == "crn":
        corpus = [path.read_bytes() for path in sorted((ROOT / "tests" / "data").glob("*.crn"))]
        small = [path for path in models if path.stat().st_size < 10_000]
        for path in small:
            crn = compile_network(load_network(path))
            corpus.append(format_crn(crn).encode())
            corpus.append(format_crn(reduce_crn(crn), plain=True).encode())
        return corpus
    if target == "inputs-csv":
        return [b"x0,x1,x2,x3,label\n1,2,3,4,cat\n-1.5,0,1e-3,2,dog\n", b"b,a\n1,2\n"]
    if target == "dataset-csv":
        return [b"f0,f1,label\n1,2,a\n2,3,b\n3,4,a\n4,5,b\n5,6,a\n6,7,b\n7,8,a\n8,9,b\n9,1,a\n0,2,b\n"]
    if target == "idx":
        images = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
        plain = _idx(images, 0x08)
        corpus = [
            plain,
            gzip.compress(plain),
            _idx(np.array([1.5, -2.0]), 0x0E),
            _idx(np.array([7, 1]), 0x0C),
        ]
        sample = ROOT / "src" / "nn2crn" / "datasets" / "data" / "mnist" / "mnist-sample-labels-idx1-ubyte.gz"
        corpus.append(gzip.compress(gzip.decompress(sample.read_bytes())[:200]))
        return corpus
    small_networks = [load_network(path) for path in models if path.stat().st_size < 10_000]
    if target == "onnx":
        from nn2crn.nn.onnx_io import network_to_onnx

        return [network_to_onnx(network).SerializeToString() for network in small_networks]
    if target == "wls":
        from nn2crn.crn import format_wls

        return [format_wls(compile_network(network), "net").encode() for network in small_networks]
    if target == "sbml":
        from nn2crn.crn.sbml import to_sbml

        return [to_sbml(reduce_crn(compile_network(network))).encode() for network in small_networks]
    raise KeyError(f"no seeds for {target!r}; the targets are {', '.join(TARGETS)}")
