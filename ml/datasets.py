"""What a retraining round trains and is tested on: the seed data plus usable archive labels,
split once and for all, with the lineage stored on the run and the version it registers.

Usable labels and the frames they label: ml.training_labels (one label per target, the
adjudicated one first; frames read from the archive through inference's own preparation).

Split: an archive image goes to the split of its patient (ml.core.splits); a test-split label
never trains and goes to the fixed test set. The seed data keeps its own rule
(ml.core.data.SPLIT_RULE). Images the demo wrapped from the seed data (their study UIDs are
derived from the seed image) are left out: they are seed images already, and their patient
hash could put a seed training image in the test set.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings

from ml.core.splits import SPLIT_RULE, SplitName, split_of
from ml.core.tasks import task_get
from ml.training_labels import (
    DEMO_WRAPPED,
    LABEL_RULE,
    USABLE_SOURCES,
    ArchiveLabels,
    archive_labels,
    usable_labels_new_count,
)

if TYPE_CHECKING:
    from ml.core.data import ClassificationData
    from ml.core.spec import InputSpec

SPLITS: tuple[SplitName, ...] = ("train", "validation", "test")

__all__ = [
    "DEMO_WRAPPED",
    "LABEL_RULE",
    "USABLE_SOURCES",
    "TestSet",
    "TrainingSnapshot",
    "fixed_test_set",
    "split_of",
    "training_snapshot",
    "usable_labels_new_count",
]


@dataclass(frozen=True)
class TestSet:
    """The task's fixed test set: seed internal test images then archive test-split frames.

    keys are stable names of the images, in order; sha256 fingerprints keys and labels together,
    so two evaluations with the same sha256 are paired image by image."""

    keys: list[str]
    images: np.ndarray  # float32 (N, S, S, 1)
    labels: np.ndarray  # int64 (N,)
    sha256: str
    counts: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.keys)


@dataclass(frozen=True)
class TrainingSnapshot:
    """train / validation (and the fixed test set as "test") arrays, plus the lineage JSON."""

    arrays: dict[str, tuple[np.ndarray, np.ndarray]]
    lineage: dict[str, Any]
    test_set: TestSet

    @property
    def data(self) -> Any:
        """ml.core.training.PreparedData of the arrays (imports TensorFlow's side lazily)."""
        from ml.core.training import PreparedData, PreparedSplit

        return PreparedData(
            splits={
                name: PreparedSplit(images=images, labels=labels)
                for name, (images, labels) in self.arrays.items()
            },
            snapshot=self.lineage,
        )

    def size(self, split: str) -> int:
        return len(self.arrays[split][1]) if split in self.arrays else 0


# --- seed data -----------------------------------------------------------------------------------


def seed_npz_path() -> Path:
    from archive.services.demo import PNEUMONIA_NPZ

    return Path(settings.DEMO_DATA_DIR) / PNEUMONIA_NPZ


@lru_cache(maxsize=2)
def _seed(path: Path, spec: InputSpec) -> tuple[ClassificationData, dict[str, np.ndarray]]:
    """The seed data and its images prepared as training prepares them (cached per process)."""
    from ml.core.data import load_pneumoniamnist
    from ml.core.preprocessing import preprocess_batch
    from ml.core.training import TRAINING_META

    data = load_pneumoniamnist(path)
    prepared = {
        name: preprocess_batch(list(split.images), TRAINING_META, spec)
        for name, split in data.splits.items()
    }
    return data, prepared


def _seed_test_keys(data: ClassificationData) -> list[str]:
    """Stable names of the seed test images: their index in the official train split."""
    prefix = data.source_sha256[:12]
    return [f"seed:{prefix}:train/{i}" for i in _seed_test_indices(seed_npz_path())]


@lru_cache(maxsize=2)
def _seed_test_indices(path: Path) -> tuple[int, ...]:
    """Indices of the official train images load_pneumoniamnist puts in "test" (same rule)."""
    from ml.core.data import is_internal_test

    with np.load(path) as npz:
        return tuple(i for i, image in enumerate(npz["train_images"]) if is_internal_test(image))


def _has_seed(task: str) -> bool:
    from ml.core.tasks import CHEST_XRAY_PNEUMONIA

    return task == CHEST_XRAY_PNEUMONIA.name and seed_npz_path().is_file()


def _seed_limit(images: np.ndarray, labels: np.ndarray, limit: int) -> tuple[Any, Any]:
    """The first `limit` images (TRAINING_SEED_LIMIT, for fast test runs; 0 = all)."""
    if limit <= 0 or limit >= len(labels):
        return images, labels
    return images[:limit], labels[:limit]


@lru_cache(maxsize=1)
def _demo_study_uids(path: Path) -> frozenset[str]:
    """Study UIDs the demo gives the seed images it wraps (archive.services.demo)."""
    from archive.services.demo import SPLITS as DEMO_SPLITS
    from archive.services.demo import WrappedImage

    uids = set()
    with np.load(path) as npz:
        for split in DEMO_SPLITS:
            for index in range(len(npz[f"{split}_labels"])):
                uids.add(WrappedImage(split, index, np.zeros(0), 0).uid("study"))
    return frozenset(uids)


# --- the two entry points -------------------------------------------------------------------------


def _demo_uids(task: str) -> frozenset[str]:
    return _demo_study_uids(seed_npz_path()) if _has_seed(task) else frozenset()


def _spec_for(task: str, spec: InputSpec | None) -> InputSpec:
    if spec is not None:
        return spec
    from ml.core.chest_xray import ChestXrayConfig

    return ChestXrayConfig().spec


def fixed_test_set(task: str, *, spec: InputSpec | None = None) -> TestSet:
    """The seed data's internal test split, then every usable archive frame whose patient hashes
    to "test" (sorted by key): the same set for every version of the task until new test labels
    arrive. Reads the archive's files; seconds for thousands of frames."""
    spec = _spec_for(task, spec)
    return _test_set(task, spec, archive_labels(task, spec, demo_study_uids=_demo_uids(task)))


def _test_set(task: str, spec: InputSpec, found: ArchiveLabels) -> TestSet:
    keys: list[str] = []
    images: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    counts: dict[str, Any] = {"seed": 0, "archive": 0}
    if _has_seed(task):
        data, prepared = _seed(seed_npz_path(), spec)
        keys += _seed_test_keys(data)
        images.append(prepared["test"])
        labels.append(data.splits["test"].labels.astype(np.int64))
        counts["seed"] = len(data.splits["test"])
    archive = sorted((e for e in found.examples if e.split == "test"), key=lambda e: e.key)
    keys += [e.key for e in archive]
    if archive:
        images.append(np.stack([e.image for e in archive]).astype(np.float32))
        labels.append(np.array([e.label for e in archive], dtype=np.int64))
    counts["archive"] = len(archive)
    stacked_images = (
        np.concatenate(images)
        if images
        else np.zeros((0, spec.image_size, spec.image_size, spec.channels), np.float32)
    )
    stacked_labels = np.concatenate(labels) if labels else np.zeros(0, np.int64)
    counts["size"] = len(keys)
    counts["positives"] = int(stacked_labels.sum())
    return TestSet(
        keys=keys,
        images=stacked_images,
        labels=stacked_labels,
        sha256=test_set_sha256(keys, stacked_labels),
        counts=counts,
    )


def test_set_sha256(keys: list[str], labels: np.ndarray) -> str:
    """sha256 over "<key>\\t<label>\\n" in order: equal only for the same images, labels, order."""
    digest = hashlib.sha256()
    for key, label in zip(keys, labels.tolist(), strict=True):
        digest.update(f"{key}\t{int(label)}\n".encode())
    return digest.hexdigest()


def training_snapshot(
    task: str,
    *,
    spec: InputSpec | None = None,
    seed_limit: int | None = None,
    on_phase: Callable[[str], Any] | None = None,
    up_to_label_id: int | None = None,
) -> TrainingSnapshot:
    """The arrays a retraining round fits on (train), selects on (validation) and reports on
    ("test" = fixed_test_set), and the lineage JSON saying exactly what went in. Read-only.
    `on_phase("preprocessing")` is called once the labels are chosen and images are read.
    `up_to_label_id` leaves out labels made later (a resumed run trains on what it started
    with, so its checkpoint still fits its data)."""
    spec = _spec_for(task, spec)
    limit = settings.TRAINING_SEED_LIMIT if seed_limit is None else seed_limit
    found = archive_labels(
        task,
        spec,
        on_phase=on_phase,
        up_to_label_id=up_to_label_id,
        demo_study_uids=_demo_uids(task),
    )
    arrays: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {s: ([], []) for s in SPLITS}
    seed_lineage: dict[str, Any] | None = None
    if _has_seed(task):
        data, prepared = _seed(seed_npz_path(), spec)
        for name in ("train", "validation"):
            images, labels = _seed_limit(prepared[name], data.splits[name].labels, limit)
            arrays[name][0].append(images)
            arrays[name][1].append(labels.astype(np.int64))
        seed_lineage = {**data.snapshot(), "limit": limit}
        seed_lineage["used"] = {n: int(sum(len(a) for a in arrays[n][1])) for n in arrays}
    for name in ("train", "validation"):
        chosen = [e for e in found.examples if e.split == name]
        if chosen:
            arrays[name][0].append(np.stack([e.image for e in chosen]).astype(np.float32))
            arrays[name][1].append(np.array([e.label for e in chosen], dtype=np.int64))
    test_set = _test_set(task, spec, found)
    stacked = {
        name: (np.concatenate(images), np.concatenate(labels))
        for name, (images, labels) in arrays.items()
        if images
    }
    stacked["test"] = (test_set.images, test_set.labels)
    _require_both_classes(stacked)
    lineage = _lineage(task, found, seed_lineage, test_set, stacked)
    return TrainingSnapshot(arrays=stacked, lineage=lineage, test_set=test_set)


class NotEnoughData(ValueError):
    """The snapshot cannot train a model (a split empty or of one class)."""


def _require_both_classes(stacked: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    for name in ("train", "validation"):
        labels = stacked.get(name, (None, np.zeros(0)))[1]
        if len(np.unique(labels)) < 2:
            raise NotEnoughData(
                f"the {name} split has {len(labels)} images and needs both classes to train"
            )


def _lineage(
    task: str,
    found: ArchiveLabels,
    seed: dict[str, Any] | None,
    test_set: TestSet,
    stacked: dict[str, tuple[np.ndarray, np.ndarray]],
) -> dict[str, Any]:
    classes = task_get(task).class_keys
    trained = [e for e in found.examples if e.split != "test"]
    by: Counter[str] = Counter()
    for e in found.examples:
        by[f"{e.source}|{classes[e.label]}|{e.split}"] += 1
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for compound, n in sorted(by.items()):
        source, class_key, split = compound.split("|")
        counts.setdefault(source, {}).setdefault(class_key, {})[split] = n
    return {
        "task": task,
        "seed": seed,
        "archive": {
            "label_rule": LABEL_RULE,
            "split_rule": SPLIT_RULE,
            "label_ids": sorted({e.label_id for e in trained}),
            "test_label_ids": sorted({e.label_id for e in found.examples if e.split == "test"}),
            "labels_seen": found.labels_seen,
            "frames": {s: sum(1 for e in found.examples if e.split == s) for s in SPLITS},
            "counts": counts,
            "left_out": dict(sorted(found.left_out.items())),
            "max_label_id": found.max_label_id,
            "max_label_created_at": found.max_label_created_at,
        },
        "splits": {
            name: {
                "count": len(labels),
                "per_class": {classes[c]: int((labels == c).sum()) for c in range(len(classes))},
            }
            for name, (_, labels) in stacked.items()
        },
        "test_set": {"sha256": test_set.sha256, **test_set.counts},
    }


def lineage_max_label_id(data_snapshot: dict[str, Any] | None) -> int:
    """The highest label id a version's lineage saw (0 for a version trained on seed data only)."""
    archive = (data_snapshot or {}).get("archive") or {}
    return int(archive.get("max_label_id") or 0)
