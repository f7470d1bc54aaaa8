"""Reader for the IDX format of the MNIST files (optionally gzip-compressed).

An IDX file is: two zero bytes, a type code, the number of dimensions ``d``,
then ``d`` big-endian uint32 sizes, then the values in big-endian C order.
"""

from __future__ import annotations

import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from .._errors import DatasetError
from .._limits import MAX_ARRAY_ELEMENTS, MAX_INFLATED_BYTES

# type code -> big-endian numpy dtype
IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of an (uncompressed) IDX file.

    Parameters
    ----------
    data : bytes
    source : str
        Name used in error messages.

    Returns
    -------
    ndarray
        Shape as declared in the header, native byte order.

    Raises
    ------
    DatasetError
        If the header is malformed or the data length disagrees with the header.
    """
    hint = "; the file is corrupt or not an IDX file: delete it and download it again"
    if len(data) < 4:
        raise DatasetError(f"{source}: {len(data)} bytes is too short for an IDX header (4 bytes){hint}")
    zero, type_code, n_dims = struct.unpack(">HBB", data[:4])
    if zero != 0:
        raise DatasetError(
            f"{source}: bad IDX magic number 0x{data[:4].hex()} (must start with 0x0000){hint}"
        )
    if type_code not in IDX_TYPES:
        raise DatasetError(f"{source}: unknown IDX type code 0x{type_code:02x}{hint}")
    if n_dims == 0:
        raise DatasetError(f"{source}: IDX header declares 0 dimensions{hint}")
    header_size = 4 + 4 * n_dims
    if len(data) < header_size:
        raise DatasetError(
            f"{source}: truncated IDX header: {n_dims} dimensions need {header_size} bytes, file has "
            f"{len(data)}{hint}"
        )
    shape = struct.unpack(f">{n_dims}I", data[4:header_size])
    dtype = IDX_TYPES[type_code]
    elements = math.prod(shape)  # Python ints: a hostile header cannot overflow int64 here
    # numpy refuses a shape whose non-zero sizes overflow, even when a 0 makes it empty.
    if math.prod(size for size in shape if size) > MAX_ARRAY_ELEMENTS:
        raise DatasetError(
            f"{source}: IDX header declares shape {shape} ({elements:,} values), above the limit of "
            f"{MAX_ARRAY_ELEMENTS:,}{hint}"
        )
    expected = elements * dtype.itemsize
    actual = len(data) - header_size
    if actual < expected:
        raise DatasetError(
            f"{source}: truncated IDX data: header declares shape {shape} ({expected} bytes), file has "
            f"{actual}{hint}"
        )
    if actual > expected:
        raise DatasetError(
            f"{source}: {actual - expected} unexpected bytes after the IDX data of shape {shape}{hint}"
        )
    values = np.frombuffer(data, dtype=dtype, count=expected // dtype.itemsize, offset=header_size)
    return values.reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file, gzip-compressed or not (detected from its first bytes).

    Parameters
    ----------
    path : path of e.g. ``train-images-idx3-ubyte.gz``

    Returns
    -------
    ndarray
        E.g. shape (60000, 28, 28) uint8 for MNIST training images.

    Raises
    ------
    DatasetError
        If the file is missing, truncated or corrupt; the message names the file.
    """
    path = Path(path)
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_INFLATED_BYTES + 1)
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except OSError as error:
        raise DatasetError(f"{path}: cannot read ({error})") from None
    if len(raw) > MAX_INFLATED_BYTES:
        raise DatasetError(f"{path}: larger than the limit of {MAX_INFLATED_BYTES:,} bytes for an IDX file")
    if raw[:2] == GZIP_MAGIC:
        raw = inflate_gzip(raw, str(path))
    return parse_idx(raw, str(path))


def inflate_gzip(raw: bytes, source: str, limit: int = MAX_INFLATED_BYTES) -> bytes:
    """Inflate gzip members, refusing output beyond `limit` bytes (a gzip bomb) before it is allocated."""
    hint = "; delete the file and download it again"
    pieces: list[bytes] = []
    total = 0
    data = raw
    while data:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            while data:
                piece = inflater.decompress(data, limit + 1 - total)
                total += len(piece)
                pieces.append(piece)
                if total > limit:
                    raise DatasetError(
                        f"{source}: inflates to more than the limit of {limit:,} bytes; not an MNIST file{hint}"
                    )
                data = inflater.unconsumed_tail
                if inflater.eof:
                    break
        except zlib.error as error:
            raise DatasetError(f"{source}: corrupt or truncated gzip data ({error}){hint}") from None
        if not inflater.eof:
            raise DatasetError(f"{source}: corrupt or truncated gzip data (it ends early){hint}")
        data = inflater.unused_data.lstrip(b"\0")
    return b"".join(pieces)
