"""Which archive labels a retraining round uses, and the frames they label, read from the archive.

Usable labels: the task's class labels from adjudicated annotations, radiologists' reads and
imports (annotators' single labels wait for adjudication; seed labels are the seed data's). One
label per target (study, image or frame): an adjudicated label beats a read, a read beats an
import, and between two of the same source the later one wins (then the higher id). A study
label applies to every eligible frame of the study and an image label to every frame of the
image; a frame takes its most specific label (frame, then image, then study). Frames are read
from the archive's stored files and prepared by the model config's `prepare`, the code
inference runs, so training and scoring see the same inputs. Images that cannot be used are
left out and counted by reason. Each frame goes to the split of its patient (ml.core.splits).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pydicom
from django.core.files.storage import default_storage

from ml.core.splits import SplitName, split_key, split_of
from ml.core.tasks import task_get

if TYPE_CHECKING:
    from annotations.models import Label
    from archive.models import Instance
    from ml.core.spec import InputSpec

logger = logging.getLogger(__name__)

# Highest rank first: which label a target keeps when several sources labelled it.
USABLE_SOURCES = ("adjudicated", "radiologist_read", "imported")
LABEL_RULE = (
    "class labels of sources adjudicated, radiologist_read, imported; one per target (study, "
    "image or frame): adjudicated > radiologist_read > imported, then the latest (created_at, "
    "id); a study label applies to every eligible frame of the study, an image label to each of "
    "its frames; a frame keeps its most specific label (frame > image > study)"
)
DEMO_WRAPPED = "a seed image wrapped as a demo study (already in the seed data)"


@dataclass(frozen=True)
class Example:
    """One archive frame with its label, ready for the model."""

    key: str  # "archive:<SOPInstanceUID>/<frame>"
    split: SplitName
    label: int
    label_id: int
    source: str
    image: np.ndarray  # float32 (S, S, 1)


@dataclass
class ArchiveLabels:
    """The usable archive examples of a task and what was left out."""

    examples: list[Example] = field(default_factory=list)
    left_out: Counter[str] = field(default_factory=Counter)
    labels_seen: int = 0
    max_label_id: int = 0
    max_label_created_at: str | None = None


def _rank(label: Label) -> tuple[int, Any, int]:
    return (-USABLE_SOURCES.index(label.source), label.created_at, label.pk)


def _usable_label_rows(task: str, up_to_label_id: int | None) -> Iterable[Label]:
    from annotations.models import Label

    rows = Label.objects.filter(task=task, kind=Label.Kind.CLASS, source__in=USABLE_SOURCES)
    if up_to_label_id is not None:
        rows = rows.filter(pk__lte=up_to_label_id)
    return rows.only(
        "id", "study_id", "instance_id", "frame_number", "value", "source", "created_at"
    ).order_by("id")


def usable_labels_new_count(*, task: str, after_id: int) -> int:
    """Usable labels of the task with an id above `after_id` (the "N new labels" trigger)."""
    from annotations.models import Label

    return Label.objects.filter(
        task=task, kind=Label.Kind.CLASS, source__in=USABLE_SOURCES, pk__gt=after_id
    ).count()


def _resolve(
    task: str, found: ArchiveLabels, up_to_label_id: int | None
) -> dict[tuple[int, int | None, int | None], Label]:
    """One label per target (see LABEL_RULE); records the highest label id and time seen."""
    best: dict[tuple[int, int | None, int | None], Label] = {}
    for label in _usable_label_rows(task, up_to_label_id):
        found.labels_seen += 1
        if label.pk > found.max_label_id:
            found.max_label_id = label.pk
            found.max_label_created_at = label.created_at.isoformat()
        target = (label.study_id, label.instance_id, label.frame_number)
        current = best.get(target)
        if current is None or _rank(label) > _rank(current):
            best[target] = label
    return best


def archive_labels(
    task: str,
    spec: InputSpec,
    *,
    on_phase: Callable[[str], Any] | None = None,
    up_to_label_id: int | None = None,
    demo_study_uids: frozenset[str] = frozenset(),
) -> ArchiveLabels:
    """Every usable archive frame of the task with its resolved label (reads the files);
    only labels with an id up to `up_to_label_id` when given. Studies in `demo_study_uids`
    (seed images the demo wrapped) are left out and counted."""
    from archive.models import Instance

    found = ArchiveLabels()
    targets = _resolve(task, found, up_to_label_id)
    if on_phase is not None:
        on_phase("preprocessing")
    if not targets:
        return found
    classes = task_get(task).class_keys
    by_study: dict[int, dict[tuple[int | None, int | None], Label]] = {}
    for (study_id, instance_id, frame), label in targets.items():
        by_study.setdefault(study_id, {})[(instance_id, frame)] = label
    instances = (
        Instance.objects.filter(series__study_id__in=list(by_study))
        .select_related("series__study__patient")
        .order_by("id")
    )
    for instance in instances:
        study = instance.series.study
        labels = {
            (inst, frame): label
            for (inst, frame), label in by_study[study.pk].items()
            if inst in (None, instance.pk)
        }
        if not labels:
            continue
        if study.study_instance_uid in demo_study_uids:
            found.left_out[DEMO_WRAPPED] += 1
            continue
        patient = study.patient
        key = split_key(
            patient_id=patient.patient_id,
            issuer=patient.issuer_of_patient_id,
            study_instance_uid=study.study_instance_uid,
        )
        _instance_examples(instance, labels, split_of(key), classes, spec, found)
    return found


def _instance_examples(
    instance: Instance,
    labels: dict[tuple[int | None, int | None], Label],
    split: SplitName,
    classes: tuple[str, ...],
    spec: InputSpec,
    found: ArchiveLabels,
) -> None:
    """Prepare the instance's frames as inference does; add each labelled one to `found`."""
    from ml.core.chest_xray import ChestXrayConfig, PreparedImage
    from ml.pool_tasks import header_dataset

    config = ChestXrayConfig(spec=spec)
    reason = config.eligibility(header_dataset(instance.metadata_json))
    if reason is not None:
        found.left_out[reason] += 1
        return
    try:
        with default_storage.open(instance.file.name, "rb") as fp:
            prepared = config.prepare(pydicom.dcmread(fp))
    except (OSError, pydicom.errors.InvalidDicomError) as error:
        logger.warning("training_image_unreadable instance_id=%s error=%s", instance.pk, error)
        found.left_out["the stored file could not be read"] += 1
        return
    for item in prepared:
        if not isinstance(item, PreparedImage):
            found.left_out[item.reason] += 1
            continue
        label = (
            labels.get((instance.pk, item.frame_number))
            or labels.get((instance.pk, None))
            or labels.get((None, None))
        )
        if label is None:
            continue
        if label.value not in classes:
            found.left_out[f"class {label.value!r} is not one of the model's classes"] += 1
            continue
        found.examples.append(
            Example(
                key=f"archive:{instance.sop_instance_uid}/{item.frame_number}",
                split=split,
                label=classes.index(label.value),
                label_id=label.pk,
                source=label.source,
                image=item.image,
            )
        )
