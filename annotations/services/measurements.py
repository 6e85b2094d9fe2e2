"""A reader's measurements (length, angle, ROI), saved as the viewer draws them, per user.

Moved from triage with the Measurement table; triage's measurement API calls these."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet

from annotations.models import Measurement
from archive.models import Instance, Study
from config.errors import DomainError, NotFound

# A measurement is a few handles and cached statistics; anything bigger is not one.
MAX_DATA_BYTES = 64 * 1024


def measurement_save(
    *,
    user: AbstractBaseUser,
    study: Study,
    annotation_uid: str,
    tool: str,
    series_instance_uid: str,
    sop_instance_uid: str,
    frame_number: int,
    data: dict[str, Any],
    summary: str,
) -> Measurement:
    """Create or replace the user's measurement `annotation_uid` on an image of `study`."""
    instance = (
        Instance.objects.filter(
            series__study=study,
            series__series_instance_uid=series_instance_uid,
            sop_instance_uid=sop_instance_uid,
        )
        .only("pk", "number_of_frames")
        .first()
    )
    if instance is None:
        raise NotFound("That image is not part of this study.")
    frames = instance.number_of_frames or 1
    if not 1 <= frame_number <= frames:
        raise DomainError(f"Frame {frame_number} does not exist; the image has {frames}.")
    if len(json.dumps(data)) > MAX_DATA_BYTES:
        raise DomainError("The measurement data is too large to be a measurement.")
    with transaction.atomic():
        measurement, _created = Measurement.objects.update_or_create(
            user=user,
            study=study,
            annotation_uid=annotation_uid,
            defaults={
                "tool": tool,
                "instance": instance,
                "frame_number": frame_number,
                "data": data,
                "summary": summary,
            },
        )
    return measurement


def measurement_list(*, study: Study, user: AbstractBaseUser) -> QuerySet[Measurement]:
    """`user`'s measurements on the study, oldest first (others' are never shown)."""
    return (
        Measurement.objects.filter(study=study, user=user)
        .select_related("instance", "instance__series")
        .order_by("created_at", "id")
    )


def measurement_delete(*, user: AbstractBaseUser, study: Study, annotation_uid: str) -> None:
    """Delete `user`'s measurement `annotation_uid` on the study; NotFound if they have none."""
    deleted, _ = Measurement.objects.filter(
        user=user, study=study, annotation_uid=annotation_uid
    ).delete()
    if not deleted:
        raise NotFound("You have no such measurement on this study.")
