"""MNIST: the bundled sample, full IDX files, and the download path (never the network)."""

from __future__ import annotations

import gzip
import hashlib
import struct
import urllib.error

import numpy as np
import pytest

from nn2crn import DatasetError
from nn2crn.datasets import download_mnist, load_mnist
from nn2crn.datasets import mnist as mnist_module


@pytest.fixture(autouse=True)
def no_default_folders(tmp_path, monkeypatch):
    """Keep the real cache and $NN2CRN_DATA out of these tests."""
    monkeypatch.delenv("NN2CRN_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def idx_gz(array: np.ndarray) -> bytes:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def test_sample_split_and_pixels():
    dataset = load_mnist(source="sample")
    assert dataset.split_sizes == {"train": 8000, "val": 1000, "test": 1000}
    assert dataset.n_features == 196 and dataset.feature_names[:2] == ("px0_0", "px0_1")
    assert dataset.class_names == tuple(f"digit_{d}" for d in range(10))
    assert 0.0 <= dataset.x_train.min() and dataset.x_train.max() <= 1.0
    counts = sum(np.bincount(split.y, minlength=10) for split in dataset.splits().values())
    assert counts.tolist() == [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    assert dataset.options == {"source": "sample", "image_size": 14}


def test_downscale_is_the_mean_of_2x2_blocks():
    full = load_mnist(source="sample", downscale_to_14=False)
    small = load_mnist(source="sample")
    assert full.n_features == 784
    images = full.x_test[:5].reshape(5, 28, 28)
    expected = (
        images[:, 0::2, 0::2] + images[:, 1::2, 0::2] + images[:, 0::2, 1::2] + images[:, 1::2, 1::2]
    ) / 4
    np.testing.assert_allclose(small.x_test[:5], expected.reshape(5, 196), rtol=0, atol=1e-15)


def test_auto_without_files_or_download_uses_the_sample_and_says_so():
    dataset = load_mnist(download=False)
    assert dataset.options["source"] == "sample"
    assert any("bundled 10,000-digit sample" in note for note in dataset.notes)


def test_full_without_files_explains_where_it_looked(tmp_path):
    with pytest.raises(DatasetError, match=r"not in any of .*data_dir=DIR or set NN2CRN_DATA"):
        load_mnist(source="full", data_dir=tmp_path / "empty", download=False)


def write_fake_full(folder, rng, n_train=12, n_test=5):
    folder.mkdir(parents=True, exist_ok=True)
    train = rng.integers(0, 256, size=(n_train, 28, 28))
    test = rng.integers(0, 256, size=(n_test, 28, 28))
    (folder / "train-images-idx3-ubyte.gz").write_bytes(idx_gz(train))
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(idx_gz(np.arange(n_train) % 10))
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(idx_gz(test))
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(idx_gz(np.arange(n_test) % 10))
    return train, test


def test_full_files_from_data_dir_and_env(tmp_path, rng, monkeypatch):
    monkeypatch.setattr(mnist_module, "FULL_VALIDATION", 4)
    train, test = write_fake_full(tmp_path / "data" / "mnist", rng)
    for kwargs in ({"data_dir": tmp_path / "data"}, {}):
        if not kwargs:
            monkeypatch.setenv("NN2CRN_DATA", str(tmp_path / "data"))
        dataset = load_mnist(source="full", downscale_to_14=False, download=False, **kwargs)
        assert dataset.split_sizes == {"train": 8, "val": 4, "test": 5}
        assert dataset.options["source"] == "full" and not dataset.notes
        np.testing.assert_allclose(dataset.x_val * 255, train[8:].reshape(4, 784))
        np.testing.assert_allclose(dataset.x_test * 255, test.reshape(5, 784))


def test_corrupt_full_file_is_an_error_not_a_silent_fallback(tmp_path, rng):
    write_fake_full(tmp_path, rng)
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-6])
    with pytest.raises(DatasetError, match=r"t10k-labels-idx1-ubyte\.gz"):
        load_mnist(data_dir=tmp_path, download=False)


def test_download_without_network_fails_cleanly_and_auto_falls_back(tmp_path, monkeypatch):
    attempts = []

    def offline(url, target, progress):
        attempts.append(url)
        raise urllib.error.URLError("Name or service not known")

    with pytest.raises(DatasetError, match="could not download train-images-idx3-ubyte.gz .*Name or service"):
        download_mnist(tmp_path, fetch=offline)
    assert len(attempts) == len(mnist_module.MIRRORS)  # each mirror tried once, then given up

    def offline_download(folder, *, progress=False):
        return download_mnist(folder, progress=progress, fetch=offline)

    monkeypatch.setattr(mnist_module, "download_mnist", offline_download)
    dataset = load_mnist(data_dir=tmp_path / "new")
    assert dataset.options["source"] == "sample"
    assert any("download" in note for note in dataset.notes)
    with pytest.raises(DatasetError, match="could not download"):
        load_mnist(source="full", data_dir=tmp_path / "new")


def test_download_verifies_checksums_and_skips_bad_mirrors(tmp_path, rng, monkeypatch):
    contents = {stem: idx_gz(rng.integers(0, 10, size=3)) for stem in mnist_module.FILES}
    monkeypatch.setattr(
        mnist_module, "FILES", {stem: hashlib.md5(data).hexdigest() for stem, data in contents.items()}
    )
    calls = []

    def fetch(url, target, progress):
        calls.append(url)
        if url.startswith("https://broken/"):
            raise OSError("connection reset")
        stem = target.name[: -len(".gz")]
        data = contents[stem] if url.startswith("https://good/") else b"not the file"
        target.write_bytes(data)

    paths = download_mnist(
        tmp_path, mirrors=("https://broken/", "https://tampered/", "https://good/"), fetch=fetch
    )
    assert set(paths) == set(contents)
    for stem, path in paths.items():
        assert path.read_bytes() == contents[stem]
    # the broken mirror is dropped after its first failure; the tampered one fails its checksum each time
    assert sum(url.startswith("https://broken/") for url in calls) == 1
    assert sum(url.startswith("https://tampered/") for url in calls) == 4
    again = []
    download_mnist(tmp_path, fetch=lambda url, target, progress: again.append(url))
    assert again == []  # verified files are kept


def test_unknown_source():
    with pytest.raises(DatasetError, match="unknown source 'cifar'"):
        load_mnist(source="cifar")
