"""IDX parsing: round trips, and clear errors for truncated or corrupt files."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from nn2crn import DatasetError
from nn2crn.datasets import parse_idx, read_idx


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    header = struct.pack(">HBB", 0, type_code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def test_round_trip_uint8_images(rng):
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    parsed = parse_idx(idx_bytes(images))
    assert parsed.dtype == np.uint8 and parsed.shape == (5, 28, 28)
    np.testing.assert_array_equal(parsed, images)


def test_round_trip_big_endian_floats(rng):
    values = rng.normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_array_equal(parse_idx(idx_bytes(values, 0x0D)), values)


def test_read_idx_plain_and_gzip(tmp_path, rng):
    labels = rng.integers(0, 10, size=17, dtype=np.uint8)
    (tmp_path / "plain").write_bytes(idx_bytes(labels))
    (tmp_path / "packed.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    np.testing.assert_array_equal(read_idx(tmp_path / "plain"), labels)
    np.testing.assert_array_equal(read_idx(tmp_path / "packed.gz"), labels)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x00", "too short for an IDX header"),
        (b"\x12\x34\x08\x01" + b"\x00" * 8, "bad IDX magic number 0x12340801"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x02", "truncated IDX header: 3 dimensions need 16 bytes"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02", r"truncated IDX data: header declares shape \(5,\)"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x01\x01\x02", "1 unexpected bytes after the IDX data"),
    ],
)
def test_corrupt_bytes_are_rejected_with_a_reason(data, message):
    with pytest.raises(DatasetError, match=message):
        parse_idx(data, "labels.idx")


def test_every_truncation_is_rejected():
    data = idx_bytes(np.arange(18, dtype=np.uint8).reshape(2, 3, 3))
    for cut in range(len(data)):
        with pytest.raises(DatasetError, match="labels.idx: .*(short|truncated)"):
            parse_idx(data[:cut], "labels.idx")


def test_truncated_gzip_names_the_file_and_the_fix(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    packed = gzip.compress(idx_bytes(np.zeros((4, 28, 28), dtype=np.uint8)))
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(
        DatasetError, match=r"train-images-idx3-ubyte\.gz: corrupt or truncated gzip.*download it again"
    ):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(DatasetError, match="no such file"):
        read_idx(tmp_path / "nothing.gz")
