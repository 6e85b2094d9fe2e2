"""Annotation cases for the label tests: an image of a stored study as a case with k slots, one
of them given to an annotator, as the queue would leave it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from annotations.models import AnnotationBatch, AnnotationCase, CaseSlot
from ml.core.tasks import CHEST_XRAY_PNEUMONIA
from tests.triage.studies import waiting_study

TASK = CHEST_XRAY_PNEUMONIA.name
POSITIVE = CHEST_XRAY_PNEUMONIA.positive_class.key
NEGATIVE = CHEST_XRAY_PNEUMONIA.negative_class.key
REGION = "opacity"  # the box and mask class schema version 1 seeds


def case_make(n: int = 0, *, k: int = 2, probability: float = 0.8, model_version: Any = None):
    """Image `n` of the test chest images as an open case of TASK with `k` free slots."""
    study = waiting_study(n)
    batch = AnnotationBatch.objects.create(
        task=TASK,
        strategy="random",
        model_version=model_version,
        pool_size=10,
        size=3,
        labels_required=k,
    )
    case = AnnotationCase.objects.create(
        task=TASK,
        pseudonym=f"case-{n:04d}",
        batch=batch,
        rank=0,
        study=study,
        instance=study.series.get().instances.get(),
        frame_number=1,
        strategy="random",
        pick={"rank": 0, "image_score": {"probability": probability}},
        labels_required=k,
    )
    CaseSlot.objects.bulk_create([CaseSlot(case=case, number=n) for n in range(1, k + 1)])
    return case


def slot_give(case: AnnotationCase, annotator: Any, *, minutes: float = 15) -> CaseSlot:
    """The case's first free slot, locked for `annotator` for `minutes` (negative: expired)."""
    slot = case.slots.filter(status=CaseSlot.Status.FREE).order_by("number").first()
    now = timezone.now()
    slot.status = CaseSlot.Status.LOCKED
    slot.annotator = annotator
    slot.locked_until = now + dt.timedelta(minutes=minutes)
    slot.started_at = now - dt.timedelta(minutes=1)
    slot.save()
    return slot


def box(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "box",
        "value": {"class": REGION, "x": 2, "y": 3, "width": 10, "height": 8, **overrides},
    }


def mask(rows: int, columns: int, **overrides: Any) -> dict[str, Any]:
    """A mask with one run of region pixels in the middle of the first row."""
    pixels = rows * columns
    rle = [5, 4, pixels - 9]
    return {
        "kind": "mask",
        "value": {"class": REGION, "rows": rows, "columns": columns, "rle": rle, **overrides},
    }
