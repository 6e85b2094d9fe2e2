from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from ml.core.data import ClassificationData, is_internal_test, load_pneumoniamnist
from tests.ml.core.helpers import PNEUMONIAMNIST


@pytest.fixture(scope="module")
def data() -> ClassificationData:
    return load_pneumoniamnist(PNEUMONIAMNIST)


def pixel_hashes(images: np.ndarray) -> set[bytes]:
    return {hashlib.sha256(image.tobytes()).digest() for image in images}


def test_validation_is_the_official_val_split_unchanged(data: ClassificationData) -> None:
    with np.load(PNEUMONIAMNIST) as npz:
        np.testing.assert_array_equal(data.splits["validation"].images, npz["val_images"])
        np.testing.assert_array_equal(data.splits["validation"].labels, npz["val_labels"][:, 0])


def test_train_and_test_partition_the_official_train_split(data: ClassificationData) -> None:
    train, test = data.splits["train"], data.splits["test"]

    assert len(train) + len(test) == 4708
    assert 0.12 < len(test) / 4708 < 0.18
    assert train.images.dtype == np.uint8
    assert train.labels.shape == (len(train),)
    assert not pixel_hashes(train.images) & pixel_hashes(test.images)


def test_the_split_depends_on_pixels_not_position() -> None:
    image = np.arange(784, dtype=np.uint8).reshape(28, 28)

    assert is_internal_test(image) == is_internal_test(image.copy())
    with np.load(PNEUMONIAMNIST) as npz:
        images = npz["train_images"][:200]
    shuffled = images[::-1]
    assert [is_internal_test(i) for i in images][::-1] == [is_internal_test(i) for i in shuffled]


def test_exact_duplicates_land_in_the_same_split(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (40, 28, 28), dtype=np.uint8)
    images = np.concatenate([images, images])  # every image twice
    labels = np.zeros((80, 1), np.uint8)
    path = tmp_path / "dupes.npz"
    np.savez(
        path, train_images=images, train_labels=labels, val_images=images[:2], val_labels=labels[:2]
    )

    loaded = load_pneumoniamnist(path)

    assert loaded.snapshot()["exact_duplicates_across_splits"]["test/train"] == 0
    assert len(loaded.splits["test"]) % 2 == 0


def test_the_snapshot_records_file_counts_and_rule(data: ClassificationData) -> None:
    snapshot = json.loads(json.dumps(data.snapshot()))

    assert snapshot["source_sha256"] == hashlib.sha256(PNEUMONIAMNIST.read_bytes()).hexdigest()
    assert snapshot["splits"]["validation"]["per_class"] == {"normal": 135, "pneumonia": 389}
    train, test = snapshot["splits"]["train"], snapshot["splits"]["test"]
    assert train["per_class"]["normal"] + test["per_class"]["normal"] == 1214
    assert "official test split not available" in snapshot["split_rule"]


def test_a_file_without_the_expected_arrays_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.npz"
    np.savez(path, images=np.zeros((1, 28, 28), np.uint8))

    with pytest.raises(ValueError, match="lacks"):
        load_pneumoniamnist(path)
