"""Recording labels: the one door for reads, annotators, adjudication and imports."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from annotations.models import SCHEMA_VERSION, Label
from archive.models import Instance, Study

if TYPE_CHECKING:  # annotations uses ml/core only; the model version is just a foreign key here
    from ml.models import ModelVersion

logger = logging.getLogger(__name__)


def label_record(
    *,
    task: str,
    study: Study,
    value: Any,
    source: Label.Source,
    author: User | None,
    kind: Label.Kind = Label.Kind.CLASS,
    instance: Instance | None = None,
    frame_number: int | None = None,
    model_version: ModelVersion | None = None,
    model_probability: float | None = None,
    seconds_spent: float | None = None,
    created_at: dt.datetime | None = None,
) -> Label:
    """Store one label of `task` for the study (or one of its images, or a frame of it).

    The task must be registered (ml.core.tasks) and, for kind "class", `value` one of its class
    keys; anything else raises django's ValidationError naming the field, and nothing is written.
    Runs in its own transaction (a savepoint inside the caller's), so a caller that writes more in
    the same transaction gets all or nothing. Not idempotent: each call adds a label.
    """
    label = Label(
        task=task,
        schema_version=SCHEMA_VERSION,
        study=study,
        instance=instance,
        frame_number=frame_number,
        kind=kind,
        value=value,
        source=source,
        author=author,
        created_at=created_at or timezone.now(),
        model_version=model_version,
        model_probability=model_probability,
        seconds_spent=seconds_spent,
    )
    label.full_clean()
    with transaction.atomic():
        label.save()
    logger.info(
        "label_recorded label_id=%s study_id=%s task=%s source=%s",
        label.pk,
        study.pk,
        task,
        source,
    )
    return label
