"""Fuzz targets: one function per reader, taking raw bytes; the contract is *load or NN2CRNError*.

Every target writes the bytes to a real file and calls the public reader on it, so the
size, encoding and line limits are exercised too. Any exception other than an
:class:`nn2crn.NN2CRNError` subclass is a finding (``run.py`` adds: a case over 5 s or
over 1 GB of memory).

``pil`` fuzzes a writer rather than a reader: the bytes are a few option bytes
(scheme, domain lengths, concentrations), a `.crn` and optionally a domain
sequence CSV; whatever translates must give `.pil` text that peppercorn's own
``read_pil`` reads back to the same complexes, lengths and concentrations, and a
strand list whose lengths and sequences agree with it.

A reader that a branch not yet merged adds has no target here but an entry in
:data:`PENDING`; ``run.py`` names the reason when one is asked for.
"""

from __future__ import annotations

import gzip
import os
import struct
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nn2crn import NN2CRNError
from tests.helpers import crn_fields

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
    from nn2crn.crn import text as text_module

    def outcome(path: Path) -> tuple[object, ...]:
        try:
            crn = read_crn(path)
        except NN2CRNError as error:
            return (type(error).__name__, str(error))
        return crn_fields(crn)

    def read(path: Path) -> None:
        # Read every case through the per-line reader and through each reader of big files
        # (their size threshold lowered to 0): the C scanner (when built) and the numpy
        # tokenizer (in small chunks), each without the other as fallback. All must agree:
        # the same CRN (species order included), or the same error and message.
        saved = text_module._VECTOR_MIN_REACTIONS, text_module._CHUNK_BYTES, text_module._FAST_READERS
        text_module._VECTOR_MIN_REACTIONS, text_module._CHUNK_BYTES = 0, 64
        try:
            outcomes = {}
            for reader in ("per-line", "native", "numpy"):
                text_module._FAST_READERS = () if reader == "per-line" else (reader,)
                outcomes[reader] = outcome(path)
        finally:
            text_module._VECTOR_MIN_REACTIONS, text_module._CHUNK_BYTES, text_module._FAST_READERS = saved
        for reader in ("native", "numpy"):
            if outcomes[reader] != outcomes["per-line"]:
                raise AssertionError(
                    f"the readers disagree: {reader} {outcomes[reader]!r}, per line {outcomes['per-line']!r}"
                )
        crn = read_crn(path)  # raises the per-line reader's error, which _with_file checks
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
    from nn2crn import _csv_native
    from nn2crn.cli import _inputs

    name_sets = (("x0", "x1", "x2", "x3"), ("a", "b"))

    def outcome(path: Path) -> tuple[object, ...]:
        try:
            table = _inputs.read_inputs_csv(path, *name_sets)
        except NN2CRNError as error:
            return (type(error).__name__, str(error))
        return (table.values.shape, table.values.tobytes(), table.labels, table.names)

    def read(path: Path) -> None:
        # Every case through the general reader alone and through each fast reader before
        # it: the C scanner (when built; in one piece and split in two at the middle, as
        # big files are) and numpy. All must agree: the same bits, labels and names, or
        # the same error and message.
        saved = _inputs._FAST_READERS, _csv_native._THREAD_BYTES
        try:
            outcomes = {}
            for reader, fast, thread_bytes in (
                ("general", (), saved[1]),
                ("native", ("native",), saved[1]),
                ("native split", ("native",), 0),
                ("numpy", ("numpy",), saved[1]),
            ):
                _inputs._FAST_READERS, _csv_native._THREAD_BYTES = fast, thread_bytes
                outcomes[reader] = outcome(path)
        finally:
            _inputs._FAST_READERS, _csv_native._THREAD_BYTES = saved
        for reader, result in outcomes.items():
            if result != outcomes["general"]:
                raise AssertionError(
                    f"the readers disagree: {reader} {result!r}, general {outcomes['general']!r}"
                )
        _inputs.read_inputs_csv(
            path, *name_sets
        )  # raises the general reader's error, which _with_file checks

    _with_file(data, ".csv", read)


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


# -- pil: the .pil and strand-list writers over a fuzzed .crn and fuzzed options -----------------

PIL_HEADER_BYTES = 6
SEQUENCES_MARK = b"\n%%sequences\n"
PIL_UNITS_NM = (10.0, 1.0, 1e-3, 1e6, 1.5, 1e300, 1e-300, 5e-324)
PIL_EXCESS = (10.0, 1.0, 2.0, 100.0, 1e300, 1e-300)
PIL_INPUT_VALUES = (0.0, 1.0, 0.5, 3.0, 1e12, 1e-300)
PEPPERCORN_MAX_COMPLEXES = 600
"""Bigger systems are written but not parsed back: pyparsing takes seconds on them."""


@dataclass(frozen=True)
class PilOptions:
    """The options a ``pil`` case encodes in its first :data:`PIL_HEADER_BYTES` bytes."""

    scheme: str
    reorder: bool
    toehold: int
    long: int
    gate_toehold: int
    unit_nM: float
    fuel_excess: float
    input_value: float | None  # None: no input row (only the fixed initial amounts)

    @classmethod
    def decode(cls, header: bytes) -> PilOptions:
        header = header.ljust(PIL_HEADER_BYTES, b"\0")
        flags, toehold, long, gate, unit, excess = header[:PIL_HEADER_BYTES]
        from nn2crn.dna import SCHEMES

        return cls(
            scheme=SCHEMES[flags & 1],
            reorder=not flags & 2,
            toehold=toehold % 12,
            long=long % 40,
            gate_toehold=toehold % 12 if flags & 4 else gate % 12,
            unit_nM=PIL_UNITS_NM[unit % len(PIL_UNITS_NM)],
            fuel_excess=PIL_EXCESS[excess % len(PIL_EXCESS)],
            input_value=PIL_INPUT_VALUES[(excess >> 4) % len(PIL_INPUT_VALUES)] if flags & 8 else None,
        )


def pil_header(
    *,
    scheme: int = 0,
    reorder: bool = True,
    toehold: int = 6,
    long: int = 15,
    gate_toehold: int | None = None,
    unit: int = 0,
    excess: int = 0,
    input_value: int | None = 1,
) -> bytes:
    """The option bytes of a ``pil`` case; `unit`, `excess`, `input_value` index the tables above."""
    flags = (
        scheme
        | (0 if reorder else 2)
        | (4 if gate_toehold is None else 0)
        | (8 if input_value is not None else 0)
    )
    gate = toehold if gate_toehold is None else gate_toehold
    return bytes((flags, toehold, long, gate, unit, excess | ((input_value or 0) << 4)))


def pil_case(crn_text: str, *, sequences: str | None = None, **options: object) -> bytes:
    """The bytes of a ``pil`` case (for seeds and tests): header, `.crn` text, sequence CSV."""
    tail = b"" if sequences is None else SEQUENCES_MARK + sequences.encode()
    return pil_header(**options) + crn_text.encode() + tail  # type: ignore[arg-type]


def fuzz_pil(data: bytes) -> None:
    """Translate a fuzzed `.crn` and check what the writers make of it (see the module docstring)."""
    from nn2crn.crn import read_crn
    from nn2crn.dna import Concentrations, DomainLengths, load_concentrations, translate

    options = PilOptions.decode(data[:PIL_HEADER_BYTES])
    crn_bytes, _, sequence_bytes = data[PIL_HEADER_BYTES:].partition(SEQUENCES_MARK)

    def write(path: Path) -> None:
        crn = read_crn(path)
        lengths = DomainLengths(options.toehold, options.long, options.gate_toehold)
        system = translate(crn, options.scheme, lengths, reorder=options.reorder)
        values = None
        if options.input_value is not None and crn.inputs:
            values = np.full((1, crn.n_inputs), options.input_value)
        loaded = load_concentrations(system, values, Concentrations(options.unit_nM, options.fuel_excess))
        check_pil(system, loaded)
        if SEQUENCES_MARK in data:
            _with_file(sequence_bytes, ".csv", lambda csv_path: check_strands(system, loaded, csv_path))
        else:
            check_strands(system, loaded, None)

    _with_file(crn_bytes, ".crn", write)


def check_pil(system, loaded) -> None:
    """peppercorn reads `format_pil`'s text back to the system's complexes, lengths and amounts."""
    from peppercornenumerator.input import read_pil
    from peppercornenumerator.objects import clear_memory

    from nn2crn.dna import format_pil

    text = format_pil(system, loaded)
    if len(system.complexes) > PEPPERCORN_MAX_COMPLEXES:
        return
    amounts = loaded.row(system, 0)
    lengths = system.domain_length
    clear_memory()
    try:
        complexes, _ = read_pil(text)
        if set(complexes) != {c.name for c in system.complexes}:
            raise AssertionError("peppercorn reads other complexes than the system's from the .pil")
        for expected in system.complexes:
            found = complexes[expected.name]
            if " ".join(_spaced(found.kernel_string).split()) != " ".join(expected.kernel.split()):
                raise AssertionError(f"{expected.name}: peppercorn reads {found.kernel_string!r}")
            for domain in found.sequence:
                name = str(domain)
                if name != "+" and domain.length != lengths[name.rstrip("*")]:
                    raise AssertionError(
                        f"domain {name}: {domain.length} nt, the system says {lengths[name]}"
                    )
            kind, value, unit = found.concentration
            want = amounts.get(expected.name, 0.0) if expected.role == "signal" else loaded.fuel_nM
            wanted_kind = "initial" if expected.role == "signal" else "constant"
            if (kind, unit) != (wanted_kind, "nM") or not np.isclose(value, want, rtol=1e-5, atol=0.0):
                raise AssertionError(
                    f"{expected.name}: peppercorn reads {found.concentration}, wrote {want} nM"
                )
    finally:
        complexes = None  # type: ignore[assignment]
        clear_memory()


def _spaced(kernel: str) -> str:
    return kernel.replace("(", "( ").replace(")", " )").replace("+", " + ")


def check_strands(system, loaded, sequences_path: Path | None) -> None:
    """The strand list parses as CSV; lengths are the domains' sums; sequences have those lengths."""
    import csv
    import io

    from nn2crn.dna import format_strands, strand_rows
    from nn2crn.dna.writers import STRAND_HEADER, random_sequences, read_sequences

    rows = strand_rows(system, loaded)
    lengths = system.domain_length
    sequences = (
        random_sequences(system, 0) if sequences_path is None else read_sequences(sequences_path, system)
    )
    table = list(csv.reader(io.StringIO(format_strands(rows, sequences))))
    if tuple(table[0]) != (*STRAND_HEADER, "sequence") or len(table) != len(rows) + 1:
        raise AssertionError(
            f"strand list header {table[0]} or {len(table) - 1} rows for {len(rows)} strands"
        )
    for row, fields in zip(rows, table[1:], strict=True):
        domains = fields[3].split()
        total = sum(lengths[d.rstrip("*")] for d in domains)
        if tuple(domains) != row.domains or int(fields[4]) != total or len(fields[6]) != total:
            raise AssertionError(
                f"strand {row.name}: {fields[4]} nt, {len(fields[6])} bases, domains sum to {total}"
            )
        if set(fields[6]) - set("ACGT"):
            raise AssertionError(f"strand {row.name}: sequence {fields[6]!r} is not DNA")
        if not float(fields[5]) >= 0 or not np.isfinite(float(fields[5])):
            raise AssertionError(f"strand {row.name}: concentration {fields[5]} nM")


# -- sweep-toml: the sweep spec reader -----------------------------------------------------------


def fuzz_sweep_toml(data: bytes) -> None:
    """`load_spec` loads the spec or raises an NN2CRNError whose message names the spec file."""
    from nn2crn.sweep import load_spec

    with tempfile.TemporaryDirectory(prefix="nn2crn-fuzz-") as folder:
        path = Path(folder) / "spec.toml"
        path.write_bytes(data)
        try:
            spec = load_spec(path)
        except NN2CRNError as error:
            if str(path) not in str(error):
                raise AssertionError(f"{type(error).__name__} does not name the spec file: {error}") from None
            return
        for _, point in zip(range(3), spec.points(), strict=False):
            if len(point) != len(spec.study_info.parameters):
                raise AssertionError(
                    f"a point of {len(point)} values for {len(spec.study_info.parameters)} parameters"
                )


TARGETS: dict[str, Callable[[bytes], None]] = {
    "crn": fuzz_crn,
    "model": fuzz_model,
    "inputs-csv": fuzz_inputs_csv,
    "dataset-csv": fuzz_dataset_csv,
    "idx": fuzz_idx,
    "onnx": fuzz_onnx,
    "wls": fuzz_wls,
    "sbml": fuzz_sbml,
    "pil": fuzz_pil,
    "sweep-toml": fuzz_sweep_toml,
}
READY = tuple(TARGETS)
PENDING: dict[str, str] = {}


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
        return [
            b"x0,x1,x2,x3,label\n1,2,3,4,cat\n-1.5,0,1e-3,2,dog\n",
            b"b,a\n1,2\n",
            # the C scanner's cases: a BOM, CRLF, blanks, a label in the middle, exponents,
            # 17-digit reprs (strtod), trailing blank lines
            b"\xef\xbb\xbfx3,label,x1 ,x0,x2\r\n 0.1 ,a b, -2.5E+3,\t7,1.7976931348623157e308\r\n"
            b"0.30000000000000004,c,+.5,4.,5e-324\r\n\r\n , ,\n",
        ]
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
    if target == "pil":
        return pil_seeds()
    if target == "sweep-toml":
        return [path.read_bytes() for path in sorted((ROOT / "examples" / "sweeps").glob("*.toml"))] + [
            text.encode() for text in SWEEP_SEEDS
        ]
    raise KeyError(f"no seeds for {target!r}; the targets are {', '.join(TARGETS)}")


# The formal CRNs of the hand-verified DSD examples (tests/dna/data/README.md).
GOLDEN_DSD_CRNS = (
    "X -> Y + Z\nX @initial 1",
    "X + Y -> Z\nX @initial 1\nY @initial 1",
    "Zp -> M + Yp\nM + Zn -> Yn\nZp @initial 1\nZn @initial 0.5",
    "X -> Y\nY + X -> Z\nX @initial 2",
)


def pil_seeds() -> list[bytes]:
    """The golden files' CRNs and the tiny network's `.crn`s under both schemes, some with sequences."""
    from nn2crn.crn import parse_crn
    from nn2crn.dna import translate
    from nn2crn.dna.writers import random_sequences

    crns = [*GOLDEN_DSD_CRNS, *(path.read_text() for path in sorted((ROOT / "tests" / "data").glob("*.crn")))]
    corpus = []
    for scheme in (0, 1):
        for text in crns:
            corpus.append(pil_case(text, scheme=scheme))
        system = translate(parse_crn(crns[-1]), ("ssw2010", "qsw2011")[scheme])
        csv_text = "domain,sequence\n" + "".join(
            f"{name},{sequence}\n" for name, sequence in random_sequences(system, 1).items()
        )
        corpus.append(pil_case(crns[-1], scheme=scheme, sequences=csv_text))
    return corpus


# Specs of the sweep tests (tests/sweep, tests/cli/test_failure_injection.py): every study.
SWEEP_SEEDS = (
    """[sweep]
study = "ssa"
seed = 7
chunk = 10

[model]
shipped = "iris-4-8-3-binary"

[inputs]
dataset = "iris"
limit = 20

[grid]
volume = [10, 100]
seed = "0..2"

[fixed]
t_end = 20
""",
    """[sweep]
study = "train"
seed = 5

[inputs]
dataset = "iris"

[grid]
hidden = [2, 4]
seed = "0..1"

[fixed]
epochs = 2
weights = "ternary"
""",
    """[sweep]
study = "robustness"
chunk = 5

[model]
shipped = "iris-4-8-3-binary"

[inputs]
dataset = "iris"
split = "val"
limit = 5

[grid]
rate_seed = "0..1"
low = [0.1, 0.5]

[fixed]
rtol = 1e-6
""",
    """[sweep]
study = "ode"

[model]
crn = "net.crn"

[inputs]
dataset = "iris"

[grid]
rates = ["random:0:0.1:10", "as given"]
""",
)
