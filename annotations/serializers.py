"""A case as its annotator sees it (the {case} of the HTTP contract): the pseudonym, never a UID
or a database id of the study, and the de-identified image endpoints."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from rest_framework import serializers

from annotations.models import AnnotationCase, CaseSlot, Label
from annotations.selectors import (
    case_slot_of,
    image_score_of,
    image_size_of,
    schema_version_current,
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
            {
                "id": label.pk,
                "kind": label.kind,
                "value": label.value,
                "provenance": label.provenance,
                "updated_at": label.updated_at,
            }
            for label in Label.objects.filter(case=case, author_id=slot.annotator_id).order_by("pk")
        ],
        "slot": {
            "number": slot.number,
            "status": slot.status,
            "locked_until": slot.locked_until,
            "started_at": slot.started_at,
        },
        "progress": slot_progress(slot=slot),
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
        "schema_version": schema_version_current(task=case.task),
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
    version's threshold (as triage decides "positive"), and the raw probability the queue ranked
    by. No box: the heatmap a box would come from is triage's (annotations may not read it) and
    pool scoring keeps none."""
    probability = image_score_of(case)
    version = case.batch.model_version
    if probability is None or version is None:
        return {"class": None, "probability": None, "model_version": None, "box": None}
    calibrated = float(Calibration.from_dict(version.calibration).apply(np.array([probability]))[0])
    spec = task_get(case.task).class_for(positive=calibrated >= version.threshold)
    return {
        "class": spec.key,
        "probability": probability,
        "model_version": version.pk,
        "box": None,
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
