"""A case as its annotator sees it (the {case} of the HTTP contract): the pseudonym, never a UID
or a database id of the study, and the de-identified image endpoints."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from rest_framework import serializers

from annotations.models import AnnotationCase, CaseSlot, ImageScore, Label
from annotations.selectors import (
    case_labels_of,
    case_slot_of,
    image_size_of,
    schema_version_of,
    slot_progress,
)
from ml.core.spec import Calibration
from ml.core.tasks import task_get


def case_data(slot: CaseSlot) -> dict[str, Any]:
    """The {case} JSON of the caller's slot (slot.annotator is the caller)."""
    case = slot.case
    return {
        **case_common_data(case),
        "labels": [
            label_data(label)
            for label in case_labels_of(slot, fresh=getattr(slot, "just_taken", False))
        ],
        "slot": {
            "number": slot.number,
            "status": slot.status,
            "locked_until": slot.locked_until,
            "started_at": slot.started_at,
        },
        "progress": slot_progress(slot=slot),
    }


def label_data(label: Label) -> dict[str, Any]:
    """One label as the case views and the label API show it (CaseLabelSerializer)."""
    return {
        "id": label.pk,
        "kind": label.kind,
        "value": label.value,
        "provenance": label.provenance,
        "updated_at": label.updated_at,
    }


def case_data_for_user(case: AnnotationCase, user: AbstractBaseUser) -> dict[str, Any]:
    """case_data of `user`'s slot of the case (NotFound when they hold none)."""
    return case_data(case_slot_of(user=user, pseudonym=case.pseudonym))


def case_common_data(case: AnnotationCase) -> dict[str, Any]:
    """What every viewer of a case is shown, whoever they are (an annotator's own labels, slot
    and progress are added by case_data; a reviewer's view adds everyone's labels)."""
    base = f"/api/annotate/cases/{case.pseudonym}"
    rows, columns = image_size_of(case)
    return {
        "id": case.pseudonym,
        "task": case.task,
        "schema_version": schema_version_of(case),
        "rows": rows,
        "columns": columns,
        "frame": case.frame_number,
        "image": {
            "metadata_url": f"{base}/dicom/metadata",
            "frame_url": f"{base}/dicom/frames/{case.frame_number}",
            "rendered_url": f"{base}/dicom/rendered",
        },
        "pre_annotation": pre_annotation(case),
    }


def pre_annotation(case: AnnotationCase) -> dict[str, Any]:
    """The model's suggestion: the class its calibrated probability stands for against the
    version's threshold (as triage decides "positive"), the raw probability the queue ranked
    by, and, when that class is the positive one, the box pool scoring put around the hot region
    of the image's class activation map (ImageScore.hot_box, in the frame's pixels). A negative
    suggestion carries no box: the map then points at evidence the model itself outweighed, and
    the annotator would only have to delete it."""
    version = case.batch.model_version
    score = (
        case.pre_score  # read with the case (selectors.slot_case_read)
        if hasattr(case, "pre_score")
        else ImageScore.objects.filter(
            task=case.task,
            model_version_id=case.batch.model_version_id,
            instance_id=case.instance_id,
            frame_number=case.frame_number,
        )
        .values("probability", "hot_box")
        .first()
        if version is not None
        else None
    )
    if score is None or version is None:
        return {"class": None, "probability": None, "model_version": None, "box": None}
    probability = score["probability"]
    calibrated = float(Calibration.from_dict(version.calibration).apply(np.array([probability]))[0])
    positive = calibrated >= version.threshold
    box = score["hot_box"] if positive else None
    return {
        "class": task_get(case.task).class_for(positive=positive).key,
        "probability": probability,
        "model_version": version.pk,
        "box": {key: box[key] for key in ("x", "y", "width", "height")} if box else None,
    }


class CaseImageSerializer(serializers.Serializer):
    metadata_url = serializers.CharField()
    frame_url = serializers.CharField()
    rendered_url = serializers.CharField()


class PreAnnotationSerializer(serializers.Serializer):
    # "class" is a Python keyword; the field is declared below under its JSON name.
    probability = serializers.FloatField(allow_null=True)
    model_version = serializers.IntegerField(allow_null=True)
    box = serializers.DictField(allow_null=True)


PreAnnotationSerializer._declared_fields["class"] = serializers.CharField(allow_null=True)


class CaseLabelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    value = serializers.JSONField()
    provenance = serializers.JSONField()
    updated_at = serializers.DateTimeField()


class CaseSlotSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    status = serializers.CharField()
    locked_until = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)


class CaseProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    batch_size = serializers.IntegerField()
    position = serializers.IntegerField()


class CaseSerializer(serializers.Serializer):
    """The shape of case_data, for the API schema."""

    id = serializers.CharField()
    task = serializers.CharField()
    schema_version = serializers.IntegerField()
    rows = serializers.IntegerField(allow_null=True)
    columns = serializers.IntegerField(allow_null=True)
    frame = serializers.IntegerField()
    image = CaseImageSerializer()
    pre_annotation = PreAnnotationSerializer()
    labels = CaseLabelSerializer(many=True)
    slot = CaseSlotSerializer()
    progress = CaseProgressSerializer()
