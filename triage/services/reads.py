"""Reading a study: the reader's one-key answer to the AI becomes a label with its provenance,
stored in annotations' label store (annotations.services.labels).

"AI right" / "AI wrong" on a study the model judged gives the study a label (the model's answer,
or its opposite) that retraining can use; a study the model could not judge is read without one.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from annotations.models import Label
from annotations.services.labels import label_record
from archive.models import Study
from config.errors import Conflict, DomainError
from triage.models import StudyRead, WorklistEntry, WorklistEvent
from triage.services.claims import claim_is_live
from triage.services.events import worklist_event_record
from triage.services.worklist import TRIAGE_SPEC, TRIAGE_TASK

logger = logging.getLogger(__name__)

JUDGED = (WorklistEntry.AiStatus.POSITIVE, WorklistEntry.AiStatus.NEGATIVE)


def worklist_entry_read(
    *, entry: WorklistEntry, user: AbstractBaseUser, verdict: StudyRead.Verdict | None
) -> StudyRead:
    """Record `user`'s read of the study with their verdict on the AI; releases the claim.

    The verdict is required when the model gave an answer and refused when it did not. Conflict
    when the study was read already or another reader holds it.
    """
    judged = entry.ai_status in JUDGED
    if judged and verdict is None:
        raise DomainError("Say whether the AI is right or wrong: this study has an AI result.")
    if not judged and verdict is not None:
        raise DomainError(
            f"There is no AI result to judge here ({entry.get_ai_status_display()}); "
            "read it without a verdict."
        )
    now = timezone.now()
    with transaction.atomic():
        entry = WorklistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status == WorklistEntry.Status.READ:
            raise Conflict("This study has already been read.")
        if claim_is_live(entry, now=now) and entry.claimed_by_id != user.pk:
            holder = entry.claimed_by.get_username() if entry.claimed_by else "another reader"
            raise Conflict(f"{holder} is reading this study.")
        opened = _opened_at(entry, user, now)
        scoring = entry.scoring if judged else None
        read = StudyRead.objects.create(
            entry=entry,
            reader=user,
            opened_at=opened,
            read_at=now,
            duration_seconds=round((now - opened).total_seconds(), 1),
            verdict=verdict or "",
            ai_status=entry.ai_status,
            ai_probability=scoring.urgency if scoring else None,
            model_version=scoring.model_version if scoring else None,
        )
        if judged:
            _label_store(read, entry.study, _label(entry, verdict))
        WorklistEntry.objects.filter(pk=entry.pk).update(
            status=WorklistEntry.Status.READ,
            read_at=now,
            first_opened_at=entry.first_opened_at or opened,
            claimed_by=None,
            claimed_at=None,
            claim_expires_at=None,
        )
        worklist_event_record(
            kind=WorklistEvent.Kind.READ,
            study_instance_uid=entry.study.study_instance_uid,
            actor=user.get_username(),
        )
    logger.info("study_read study_id=%s verdict=%s", entry.study_id, verdict or "none")
    return read


def _opened_at(entry: WorklistEntry, user: AbstractBaseUser, now: dt.datetime) -> dt.datetime:
    """When this reader started: their claim, else the first opening, else now (a blind read)."""
    if entry.claimed_by_id == user.pk and entry.claimed_at is not None:
        return entry.claimed_at
    return entry.first_opened_at or now


def _label_store(read: StudyRead, study: Study, value: str) -> None:
    """The read's label into the label store, with what the reader was shown; the read API
    finds it again by reader and time (annotations.services.labels.read_label_get)."""
    label_record(
        task=TRIAGE_TASK,
        study=study,
        value=value,
        source=Label.Source.RADIOLOGIST_READ,
        author=read.reader,
        model_version=read.model_version,
        model_probability=read.ai_probability,
        seconds_spent=read.duration_seconds,
        created_at=read.read_at,
    )


def _label(entry: WorklistEntry, verdict: StudyRead.Verdict | None) -> str:
    ai_positive = entry.ai_status == WorklistEntry.AiStatus.POSITIVE
    finding_present = ai_positive if verdict == StudyRead.Verdict.AI_RIGHT else not ai_positive
    return TRIAGE_SPEC.class_for(positive=finding_present).key
