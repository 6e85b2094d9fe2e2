"""Recording labels: the one door for reads, annotators, adjudication and imports.

`label_record` stores one label; `case_labels_save` replaces an annotator's labels on the case
they were given (autosave and submit); `label_update` / `label_delete` change one of the
caller's own labels. Every label is checked against the schema version it is made under
(Label.clean, annotations.validation) before anything is written.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractBaseUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from annotations.models import (
    SCHEMA_VERSION,
    AnnotationCase,
    CaseSlot,
    Label,
    LabelSchema,
    QueueSettings,
)
from archive.models import Instance, Study
from config.errors import Conflict, DomainError, NotFound

if TYPE_CHECKING:  # annotations uses ml/core only; the model version is just a foreign key here
    from ml.models import ModelVersion

logger = logging.getLogger(__name__)

PRE_ANNOTATION_CHOICES = ("kept", "edited", "none")
DEFAULT_LOCK_SECONDS = QueueSettings._meta.get_field("lock_seconds").get_default()
MAX_LABELS_PER_SAVE = 100


class NotYours(DomainError):
    """Someone else's label: refused whatever the caller's role."""

    status = 403
    code = "forbidden"


def label_schema_version_current(task: str) -> int:
    """The task's highest schema version (the first one when it has none yet)."""
    latest = LabelSchema.objects.filter(task=task).aggregate(version=Max("version"))["version"]
    return latest or SCHEMA_VERSION


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
    schema_version: int | None = None,
    case: AnnotationCase | None = None,
    provenance: dict[str, Any] | None = None,
) -> Label:
    """Store one label of `task` for the study (or one of its images, or a frame of it).

    It is made under `schema_version` (default: the task's current one) and must be valid
    under it: a class of its classes, or a box / mask of its box / mask classes that fits the
    image; without multi_label, one class per author and target. Anything else raises django's
    ValidationError naming the field, and nothing is written. Runs in its own transaction (a
    savepoint inside the caller's), so a caller that writes more in the same transaction gets
    all or nothing. Not idempotent: each call adds a label.
    """
    label = Label(
        task=task,
        schema_version=schema_version or label_schema_version_current(task),
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
        case=case,
        provenance=provenance or {},
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


def read_label_get(*, study: Study, reader: AbstractBaseUser, read_at: dt.datetime) -> Label | None:
    """The label a radiologist's read gave the study: source radiologist_read, by the reader,
    made at the read's time (reads and migration triage 0004 store it so)."""
    return (
        Label.objects.filter(
            study=study,
            source=Label.Source.RADIOLOGIST_READ,
            author_id=reader.pk,
            created_at=read_at,
        )
        .order_by("-pk")
        .first()
    )


def case_labels_save(
    *,
    case: AnnotationCase,
    user: AbstractBaseUser,
    labels: list[dict[str, Any]],
    seconds_spent: float | None,
    pre_annotation: str,
    submit: bool,
) -> AnnotationCase:
    """Replace `user`'s labels on the case they were given with `labels` ([{kind, value}]);
    with `submit`, mark their slot submitted, and the case labelled once all its k are.

    The caller must hold a slot of the case: NotFound when the case was never theirs, Conflict
    when their lock expired and another annotator has the slot now, or when the case has been
    reviewed. A save renews the caller's lock (also an expired one still theirs). Every label
    is validated under the task's current schema version before the save counts: one bad label
    refuses the whole save (DomainError with {"errors": [{"index", "field", "message"}]}) and
    nothing changes, the old labels and the lock included. Labels record the model version and
    probability the case showed, `seconds_spent` and {"pre_annotation": ...} as provenance.
    Safe to retry: the same call gives the same labels.
    """
    if pre_annotation not in PRE_ANNOTATION_CHOICES:
        raise DomainError(f"pre_annotation must be one of {', '.join(PRE_ANNOTATION_CHOICES)}.")
    if submit and not labels:
        raise DomainError("Nothing to submit: give at least one label, or skip the case.")
    if len(labels) > MAX_LABELS_PER_SAVE:
        raise DomainError(f"At most {MAX_LABELS_PER_SAVE} labels per case.")
    now = timezone.now()
    with transaction.atomic():
        case = AnnotationCase.objects.select_for_update().get(pk=case.pk)
        slot = _slot_of(case, user)
        Label.objects.filter(case=case, author_id=user.pk, source=Label.Source.ANNOTATOR).delete()
        new = [_case_label(case, user, item, seconds_spent, pre_annotation, now) for item in labels]
        _check_all(new)
        Label.objects.bulk_create(new)
        _slot_keep(slot, case=case, now=now, seconds_spent=seconds_spent, submit=submit)
    logger.info(
        "case_labels_saved case_id=%s user_id=%s labels=%s submit=%s",
        case.pk,
        user.pk,
        len(new),
        submit,
    )
    return case


def _slot_of(case: AnnotationCase, user: AbstractBaseUser) -> CaseSlot:
    """The caller's slot of the case (locked for this transaction), if they may still work it."""
    slot = CaseSlot.objects.select_for_update().filter(case=case, annotator_id=user.pk).first()
    if slot is None:
        # The queue records who lost a slot to a takeover (and removes their drafts then);
        # labels left on the case by a holder from before that record are the older sign.
        lost = CaseSlot.objects.filter(case=case, previous_annotator_id=user.pk).exists()
        if lost or Label.objects.filter(case=case, author_id=user.pk).exists():
            raise Conflict(
                "This case was given to someone else after your lock expired; nothing was saved."
            )
        raise NotFound("No such case among the ones you were given.")
    if case.status == AnnotationCase.Status.ADJUDICATED:
        raise Conflict("This case has been reviewed; its labels can no longer change.")
    return slot


def _case_label(
    case: AnnotationCase,
    user: AbstractBaseUser,
    item: dict[str, Any],
    seconds_spent: float | None,
    pre_annotation: str,
    now: dt.datetime,
) -> Label:
    # What the workspace showed: the pool score the case was picked by (the queue keeps it).
    shown = case.pick.get("image_score") if isinstance(case.pick, dict) else None
    probability = shown.get("probability") if isinstance(shown, dict) else None
    return Label(
        task=case.task,
        schema_version=label_schema_version_current(case.task),
        study_id=case.study_id,
        instance=case.instance,
        frame_number=case.frame_number,
        kind=str(item.get("kind", "")),
        value=item.get("value"),
        source=Label.Source.ANNOTATOR,
        author_id=user.pk,
        created_at=now,
        model_version_id=case.batch.model_version_id,
        model_probability=probability,
        seconds_spent=seconds_spent,
        case=case,
        provenance={"pre_annotation": pre_annotation},
    )


def _check_all(labels: list[Label]) -> None:
    """Validate every label (the caller's old ones are already gone in this transaction), and
    the set: one class unless the schema is multi-label, no class twice. Raises on any."""
    errors: list[dict[str, Any]] = []
    for index, label in enumerate(labels):
        try:
            label.full_clean(exclude=["case"])
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors += [{"index": index, "field": field, "message": m} for m in messages]
    classes = [label.value for label in labels if label.kind == Label.Kind.CLASS]
    if not errors and classes:
        schema = LabelSchema.objects.get(task=labels[0].task, version=labels[0].schema_version)
        twice = [key for key, count in Counter(map(str, classes)).items() if count > 1]
        if twice or (len(classes) > 1 and not schema.multi_label):
            message = (
                f"Class {twice[0]} is given twice."
                if twice
                else f"Give one class only: label schema version {schema.version} of "
                f"{schema.task} is not multi-label (got {', '.join(map(str, classes))})."
            )
            errors.append({"index": None, "field": "labels", "message": message})
    if errors:
        first = errors[0]
        where = f"Label {first['index'] + 1}: " if first["index"] is not None else ""
        raise DomainError(f"{where}{first['message']}", {"errors": errors})


def _slot_keep(
    slot: CaseSlot,
    *,
    case: AnnotationCase,
    now: dt.datetime,
    seconds_spent: float | None,
    submit: bool,
) -> None:
    """Renew the caller's lock; on submit mark the slot, and the case once all k are."""
    settings = QueueSettings.objects.filter(task=case.task).first()
    lock_seconds = settings.lock_seconds if settings else DEFAULT_LOCK_SECONDS
    if slot.status != CaseSlot.Status.SUBMITTED:
        slot.status = CaseSlot.Status.LOCKED
        slot.locked_until = now + dt.timedelta(seconds=lock_seconds)
    slot.started_at = slot.started_at or now
    if seconds_spent is not None:
        slot.seconds_spent = seconds_spent
    if submit and slot.status != CaseSlot.Status.SUBMITTED:
        slot.status = CaseSlot.Status.SUBMITTED
        slot.submitted_at = now
    slot.save(
        update_fields=["status", "locked_until", "started_at", "seconds_spent", "submitted_at"]
    )
    if submit:
        submitted = case.slots.filter(status=CaseSlot.Status.SUBMITTED).count()
        if submitted >= case.labels_required:
            AnnotationCase.objects.filter(pk=case.pk, status=AnnotationCase.Status.OPEN).update(
                status=AnnotationCase.Status.LABELLED
            )


def label_update(*, label_id: int, user: AbstractBaseUser, value: Any) -> Label:
    """Change the value of one of `user`'s own labels, validated as a new one would be.

    NotFound for no such label; NotYours (403) for someone else's; on a case, the same rules as
    saving the case (the caller's slot, renewed; not once reviewed). Nothing changes on refusal.
    """
    with transaction.atomic():
        label = _own_label(label_id, user)
        label.value = value
        label.full_clean()
        label.save(update_fields=["value", "updated_at"])
    logger.info("label_updated label_id=%s user_id=%s", label.pk, user.pk)
    return label


def label_delete(*, label_id: int, user: AbstractBaseUser) -> None:
    """Delete one of `user`'s own labels (same refusals as label_update)."""
    with transaction.atomic():
        label = _own_label(label_id, user)
        label.delete()
    logger.info("label_deleted label_id=%s user_id=%s", label_id, user.pk)


def _own_label(label_id: int, user: AbstractBaseUser) -> Label:
    label = Label.objects.select_for_update().filter(pk=label_id).first()
    if label is None:
        raise NotFound("No such label.")
    if label.author_id != user.pk:
        raise NotYours("This label is someone else's; only its author may change it.")
    if label.case_id is not None:
        case = AnnotationCase.objects.select_for_update().get(pk=label.case_id)
        slot = _slot_of(case, user)
        _slot_keep(slot, case=case, now=timezone.now(), seconds_spent=None, submit=False)
    return label
