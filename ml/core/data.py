"""PneumoniaMNIST loading and the deterministic train / validation / internal-test split.

Split rule (also returned by `snapshot()`):
- "validation" is the official MedMNIST val split, unchanged (524 images).
- "test" is carved from the official train split: an image goes to test when the first 8 bytes
  of sha256(pixel bytes), read as a big-endian integer, modulo 10,000 fall below 1,500 (~15%).
  Hashing the pixels (not the position) keeps the rule independent of file order and puts exact
  duplicate images in the same split, so no duplicate straddles train and test.
- "train" is the rest of the official train split.
The official test split (624 images) is not available here, so "test" numbers are on images
from the same source split as train, and are NOT comparable to published MedMNIST results.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ml.core.tasks import CHEST_XRAY_PNEUMONIA

TEST_FRACTION_PER_10000 = 1500
SPLIT_RULE = (
    "validation = official val split unchanged; test = official train images whose "
    "int(sha256(pixel bytes)[:8], big-endian) % 10000 < 1500 (~15%, exact duplicates stay "
    "together); train = the other official train images; official test split not available"
)
# Index = the integer label in the file: 0 normal, 1 pneumonia (the registry keeps that order).
CLASS_NAMES = CHEST_XRAY_PNEUMONIA.class_keys


@dataclass(frozen=True)
class Split:
    """images: uint8 (N, 28, 28); labels: int64 (N,), 0 = normal, 1 = pneumonia."""

    images: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        if len(self.images) != len(self.labels):
            raise ValueError("images and labels differ in length")

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, indices: np.ndarray) -> Split:
        return Split(images=self.images[indices], labels=self.labels[indices])


@dataclass(frozen=True)
class ClassificationData:
    """Splits "train", "validation", "test" plus the sha256 of the file they came from."""

    splits: dict[str, Split]
    source_sha256: str

    def snapshot(self) -> dict[str, Any]:
        """JSON-safe description to store with a training run (what exactly it saw)."""
        return {
            "source_sha256": self.source_sha256,
            "split_rule": SPLIT_RULE,
            "class_names": list(CLASS_NAMES),
            "splits": {
                name: {
                    "count": len(split),
                    "per_class": {
                        CLASS_NAMES[c]: int((split.labels == c).sum())
                        for c in range(len(CLASS_NAMES))
                    },
                }
                for name, split in self.splits.items()
            },
            "exact_duplicates_across_splits": _duplicates_across(self.splits),
        }


def load_pneumoniamnist(path: Path) -> ClassificationData:
    """Read the MedMNIST npz (train_/val_ images and labels) and split it as documented above.

    Raises FileNotFoundError for a missing file and ValueError for unexpected contents.
    """
    path = Path(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with np.load(path) as npz:
        missing = {"train_images", "train_labels", "val_images", "val_labels"} - set(npz.files)
        if missing:
            raise ValueError(f"{path.name} lacks {sorted(missing)}")
        train = _split(npz["train_images"], npz["train_labels"])
        validation = _split(npz["val_images"], npz["val_labels"])
    in_test = np.array([is_internal_test(image) for image in train.images], dtype=bool)
    splits = {
        "train": train.subset(np.flatnonzero(~in_test)),
        "validation": validation,
        "test": train.subset(np.flatnonzero(in_test)),
    }
    return ClassificationData(splits=splits, source_sha256=digest)


def is_internal_test(image: np.ndarray) -> bool:
    """The split rule for one image (see module docstring)."""
    digest = hashlib.sha256(np.ascontiguousarray(image, dtype=np.uint8).tobytes()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 < TEST_FRACTION_PER_10000


def _split(images: np.ndarray, labels: np.ndarray) -> Split:
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"expected uint8 (N, H, W) images, got {images.dtype} {images.shape}")
    flat = labels.reshape(len(labels)).astype(np.int64)
    if not np.isin(flat, (0, 1)).all():
        raise ValueError("labels must be 0 (normal) or 1 (pneumonia)")
    return Split(images=images, labels=flat)


def _duplicates_across(splits: dict[str, Split]) -> dict[str, int]:
    """Number of images of each split pair whose exact pixels also occur in the other one."""
    hashes = {
        name: {hashlib.sha256(image.tobytes()).digest() for image in split.images}
        for name, split in splits.items()
    }
    names = sorted(hashes)
    return {
        f"{a}/{b}": len(hashes[a] & hashes[b]) for i, a in enumerate(names) for b in names[i + 1 :]
    }
