"""Labelled-dataset snapshots of a task: every label as JSON (which import reads back), or COCO.

Our masks are stored as row-major run lengths starting with a run of 0s; COCO's uncompressed
RLE is column-major (Fortran order), so masks are decoded and re-encoded, never copied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from django.db.models import QuerySet
from django.utils import timezone

from annotations.models import Label, LabelSchema
from ml.core.agreement import rle_decode
from ml.core.tasks import task_get

JSON_FORMAT = "imaging-triage-labels"
JSON_FORMAT_VERSION = 1


def mask_decode(value: dict[str, Any]) -> np.ndarray:
    """A mask label's value as a (rows, columns) bool array.

    ValueError when the run lengths are not whole numbers >= 0 or do not cover the mask exactly.
    """
    rows, columns, counts = int(value["rows"]), int(value["columns"]), value["rle"]
    if rows < 1 or columns < 1:
        raise ValueError("A mask has at least one row and one column.")
    if not isinstance(counts, list) or not all(
        isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts
    ):
        raise ValueError("A mask's rle is a list of run lengths, whole numbers from 0.")
    if sum(counts) != rows * columns:
        raise ValueError(f"A mask's run lengths sum to {sum(counts)}, not rows*columns.")
    return rle_decode(counts, rows, columns)


def rle_encode(flat: np.ndarray) -> list[int]:
    """Run lengths of a flat bool array, starting with a run of 0s (0 when it starts with a 1)."""
    flat = np.asarray(flat, dtype=bool).ravel()
    if flat.size == 0:
        return []
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], changes, [flat.size]))
    counts = np.diff(bounds).tolist()
    return [0, *counts] if flat[0] else counts


def mask_encode(mask: np.ndarray) -> dict[str, Any]:
    """The mask label value (row-major RLE) of a (rows, columns) array, without its class."""
    rows, columns = mask.shape
    return {"rows": int(rows), "columns": int(columns), "rle": rle_encode(mask.ravel(order="C"))}


def labels_for_export(*, task: str, sources: Sequence[str] | None = None) -> QuerySet[Label]:
    """The task's labels (optionally only of some sources) with their targets, oldest first."""
    task_get(task)  # ValueError for an unregistered task
    labels = Label.objects.filter(task=task)
    if sources:
        labels = labels.filter(source__in=list(sources))
    return labels.select_related("study", "instance__series", "author", "case").order_by("id")


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def label_as_json(label: Label) -> dict[str, Any]:
    """One label as the snapshot (and the JSON import) writes it; its target by UIDs."""
    instance = label.instance
    return {
        "id": label.pk,
        "task": label.task,
        "schema_version": label.schema_version,
        "study_instance_uid": label.study.study_instance_uid,
        "series_instance_uid": instance.series.series_instance_uid if instance else None,
        "sop_instance_uid": instance.sop_instance_uid if instance else None,
        "frame": label.frame_number,
        "kind": label.kind,
        "value": label.value,
        "source": label.source,
        "author": label.author.get_username() if label.author else None,
        "created_at": _iso(label.created_at),
        "updated_at": _iso(label.updated_at),
        "provenance": label.provenance,
        "model_version": label.model_version_id,
        "model_probability": label.model_probability,
        "seconds_spent": label.seconds_spent,
        "case": label.case.pseudonym if label.case else None,
    }


def dataset_export_json(*, task: str, sources: Sequence[str] | None = None) -> dict[str, Any]:
    """The task's labels as one JSON document: {"format", "format_version", "task",
    "exported_at", "labels": [...]}. Read-only; the same labels give the same "labels"."""
    return {
        "format": JSON_FORMAT,
        "format_version": JSON_FORMAT_VERSION,
        "task": task,
        "exported_at": _iso(timezone.now()),
        "labels": [label_as_json(label) for label in labels_for_export(task=task, sources=sources)],
    }


def _categories(task: str, labels: Iterable[Label]) -> list[dict[str, Any]]:
    """Box and mask classes of the task's schema versions, newest version's first; a key keeps
    the id it got first, so a class renamed in a later version is still one category."""
    versions = {label.schema_version for label in labels}
    schemas = LabelSchema.objects.filter(task=task).order_by("-version")
    latest = schemas.first()
    categories: dict[str, dict[str, Any]] = {}
    for schema in schemas:
        if schema is not latest and schema.version not in versions:
            continue
        for kind, classes in (("box", schema.box_classes), ("mask", schema.mask_classes)):
            for spec in classes:
                category = categories.setdefault(
                    spec["key"],
                    {
                        "id": len(categories) + 1,
                        "name": spec["key"],
                        "display_name": spec.get("display_name", spec["key"]),
                        "supercategory": task,
                        "colour": spec.get("colour"),
                        "kinds": [],
                    },
                )
                if kind not in category["kinds"]:
                    category["kinds"].append(kind)
    return list(categories.values())


def _coco_image(label: Label, image_id: int) -> dict[str, Any]:
    instance = label.instance
    if instance is None:
        raise ValueError("a COCO image is an image: this label is on a whole study")
    return {
        "id": image_id,
        "file_name": instance.sop_instance_uid,
        "width": instance.columns,
        "height": instance.rows,
        "frame": label.frame_number or 1,
        "study_instance_uid": label.study.study_instance_uid,
        "series_instance_uid": instance.series.series_instance_uid,
    }


def _coco_annotation(label: Label, image_id: int, category_id: int) -> dict[str, Any]:
    value = label.value
    common = {"image_id": image_id, "category_id": category_id, "iscrowd": 0, "label_id": label.pk}
    if label.kind == Label.Kind.BOX:
        x, y, w, h = (float(value[k]) for k in ("x", "y", "width", "height"))
        polygon = [x, y, x + w, y, x + w, y + h, x, y + h]
        return {**common, "bbox": [x, y, w, h], "area": w * h, "segmentation": [polygon]}
    mask = mask_decode(value)
    ys, xs = np.nonzero(mask)
    bbox = (
        [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]
        if xs.size
        else [0, 0, 0, 0]
    )
    rows, columns = mask.shape
    segmentation = {"size": [int(rows), int(columns)], "counts": rle_encode(mask.ravel(order="F"))}
    return {**common, "bbox": bbox, "area": int(mask.sum()), "segmentation": segmentation}


def dataset_export_coco(*, task: str, sources: Sequence[str] | None = None) -> dict[str, Any]:
    """The task's labels as a COCO dataset.

    images: one per labelled image (frame), file_name = its SOP Instance UID; categories: the
    schema's box and mask classes; annotations: boxes (bbox, their rectangle as a polygon) and
    masks (uncompressed column-major RLE), iscrowd 0. COCO has no image- or study-level class,
    so class labels go to "image_labels" (on an image) and "study_labels" (on a whole study),
    with the schema's classes in "image_classes". Read-only.
    """
    labels = list(labels_for_export(task=task, sources=sources))
    categories = _categories(task, labels)
    category_ids = {category["name"]: category["id"] for category in categories}
    images: dict[tuple[int, int], dict[str, Any]] = {}
    annotations: list[dict[str, Any]] = []
    image_labels: list[dict[str, Any]] = []
    study_labels: list[dict[str, Any]] = []
    for label in labels:
        if label.instance is None:
            study_labels.append(
                {
                    "study_instance_uid": label.study.study_instance_uid,
                    "class": label.value,
                    "source": label.source,
                    "label_id": label.pk,
                }
            )
            continue
        key = (label.instance.pk, label.frame_number or 1)
        if key not in images:
            images[key] = _coco_image(label, len(images) + 1)
        image_id = images[key]["id"]
        if label.kind == Label.Kind.CLASS:
            image_labels.append(
                {"image_id": image_id, "class": label.value, "source": label.source,
                 "label_id": label.pk}
            )  # fmt: skip
            continue
        category_id = category_ids.get(label.value.get("class"))
        if category_id is None:
            continue  # a class no schema version of the task has: not exportable as COCO
        annotations.append(_coco_annotation(label, image_id, category_id))
    for number, annotation in enumerate(annotations, start=1):
        annotation["id"] = number
    latest = LabelSchema.objects.filter(task=task).order_by("-version").first()
    return {
        "info": {"description": f"{task} labels", "date_created": _iso(timezone.now())},
        "images": list(images.values()),
        "categories": categories,
        "annotations": annotations,
        "image_classes": latest.classes if latest else [],
        "image_labels": image_labels,
        "study_labels": study_labels,
    }
