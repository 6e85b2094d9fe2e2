"""Helpers, not tests (the name keeps the file among review's): annotation cases in the states
review needs, built directly (the queue's own services are tested elsewhere): a chest image
stored through ingest, a batch, k submitted slots, each annotator's labels via label_record."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from accounts.services import user_create
from annotations.models import AnnotationBatch, AnnotationCase, CaseSlot, Label
from annotations.services.labels import label_record
from ml.core.tasks import CHEST_XRAY_PNEUMONIA
from tests.triage.studies import chest_images, dx_bytes, store

TASK = CHEST_XRAY_PNEUMONIA.name
NEGATIVE = CHEST_XRAY_PNEUMONIA.negative_class.key
POSITIVE = CHEST_XRAY_PNEUMONIA.positive_class.key
REGION = "opacity"  # the box and mask class seeded in schema version 1


def annotator(n: int) -> Any:
    return user_create(username=f"annotator-{n}", password=None, roles=["annotator"])


def labelled_case(
    n: int,
    votes: list[str],
    *,
    regions: dict[int, list[dict[str, Any]]] | None = None,
    status: str = AnnotationCase.Status.LABELLED,
    model_version: Any = None,
) -> AnnotationCase:
    """Case `n` on chest image `n`, labelled by annotators 0..len(votes)-1 with those classes
    (their box/mask labels in `regions`, by annotator number). With status "open" the last
    slot is still locked and unlabelled."""
    study = store(dx_bytes(chest_images()[n]))
    instance = study.series.get().instances.get()
    batch = AnnotationBatch.objects.create(
        task=TASK,
        strategy="random",
        model_version=model_version,
        pool_size=40,
        size=1,
        labels_required=len(votes),
    )
    case = AnnotationCase.objects.create(
        task=TASK,
        pseudonym=f"case-{n:04d}",
        batch=batch,
        rank=0,
        study=study,
        instance=instance,
        strategy="random",
        labels_required=len(votes),
        status=status,
    )
    for number, vote in enumerate(votes):
        user = annotator(number)
        pending = status == AnnotationCase.Status.OPEN and number == len(votes) - 1
        CaseSlot.objects.create(
            case=case,
            number=number + 1,
            status=CaseSlot.Status.LOCKED if pending else CaseSlot.Status.SUBMITTED,
            annotator=user,
            started_at=timezone.now(),
            submitted_at=None if pending else timezone.now(),
            locked_until=timezone.now() + timezone.timedelta(minutes=5) if pending else None,
            seconds_spent=None if pending else 12.0,
        )
        if pending:
            continue
        labels = [{"kind": "class", "value": vote}, *(regions or {}).get(number, [])]
        for label in labels:
            label_record(
                task=TASK,
                study=study,
                instance=instance,
                frame_number=1,
                kind=Label.Kind(label["kind"]),
                value=label["value"],
                source=Label.Source.ANNOTATOR,
                author=user,
                case=case,
                provenance={"pre_annotation": "none"},
            )
    return case


def box(x: float, y: float, width: float, height: float) -> dict[str, Any]:
    return {
        "kind": "box",
        "value": {"class": REGION, "x": x, "y": y, "width": width, "height": height},
    }


def mask(rle: list[int], rows: int = 256, columns: int = 256) -> dict[str, Any]:
    return {
        "kind": "mask",
        "value": {"class": REGION, "rows": rows, "columns": columns, "rle": rle},
    }
