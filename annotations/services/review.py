"""Review: the reviewer's queue (disagreements first), a case with every annotator's labels, and
the decision (accept / edit / reject) that turns a labelled case into ground truth.

The adjudicated labels are written through label_record (the one door, with the same checks
as annotators' labels), carry source "adjudicated", the case, and in `provenance` the
annotators, the reviewer, the decision and whether the model's suggested class was kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, User
from django.db import transaction
from django.utils import timezone

from annotations.models import (
    SCHEMA_VERSION,
    AnnotationCase,
    CaseSlot,
    Label,
    LabelSchema,
    ReviewDecision,
)
from annotations.serializers import case_common_data, label_data, pre_annotation
from annotations.services.agreement import CaseRatings, case_agreement, case_ratings, majority
from annotations.services.labels import label_record
from config.errors import Conflict, DomainError, NotFound
from ml.core.tasks import task_get

logger = logging.getLogger(__name__)


class NoMajority(DomainError):
    code = "no_majority"


@dataclass(frozen=True)
class LabelInput:
    """One label as the reviewer sends it: {"kind": "class"|"box"|"mask", "value": ...}."""

    kind: str
    value: Any


def review_queue(*, task: str) -> list[dict[str, Any]]:
    """Cases of `task` whose every slot is submitted and that no reviewer has decided, the most
    disputed first: by the fraction of annotators not giving the most common class answer, then
    by the lowest box IoU, then the lowest mask Dice, then the oldest. Reads only."""
    task_get(task)
    cases = (
        AnnotationCase.objects.filter(
            task=task, status=AnnotationCase.Status.LABELLED, review__isnull=True
        )
        .select_related("instance")
        .order_by("pk")
    )
    items = [(ratings, case_agreement(ratings)) for ratings in case_ratings(cases)]
    items.sort(key=_dispute_order)
    return [
        {
            "id": ratings.case.pseudonym,
            "task": ratings.case.task,
            "annotators": agreement["annotators"],
            "agreement": agreement,
            "created_at": ratings.case.created_at,
        }
        for ratings, agreement in items
    ]


def _dispute_order(item: tuple[CaseRatings, dict[str, Any]]) -> tuple[float, float, float, int]:
    ratings, agreement = item
    iou = agreement["box_iou"]
    dice = agreement["mask_dice"]
    return (
        -agreement["class_disagreement"],
        1.0 if iou is None else iou,
        1.0 if dice is None else dice,
        ratings.case.pk,
    )


def review_case_get(*, pseudonym: str) -> AnnotationCase:
    """The case a reviewer asked for by its pseudonym; NotFound if there is none."""
    case = (
        AnnotationCase.objects.select_related("instance", "batch")
        .filter(pseudonym=pseudonym)
        .first()
    )
    if case is None:
        raise NotFound("There is no annotation case with this id.")
    return case


def review_case_detail(*, case: AnnotationCase) -> dict[str, Any]:
    """The case as reviewers see it: the image (de-identified endpoints), the model's
    pre-annotation, every annotator's labels with their name, the agreement, and the decision
    and adjudicated labels if it has them. Reads only."""
    ratings = case_ratings([case])[0]
    annotators: dict[int, dict[str, Any]] = {}
    slots = CaseSlot.objects.filter(case=case, annotator__isnull=False).select_related("annotator")
    for slot in slots.order_by("number"):
        assert slot.annotator is not None
        annotators[slot.annotator.pk] = {
            "annotator": slot.annotator.get_username(),
            "slot": slot.number,
            "status": slot.status,
            "seconds_spent": slot.seconds_spent,
            "labels": [],
        }
    adjudicated = []
    for label in case.labels.select_related("author").order_by("pk"):
        data = label_data(label)
        if label.source == Label.Source.ADJUDICATED:
            adjudicated.append(data)
        elif label.source == Label.Source.ANNOTATOR and label.author_id is not None:
            entry = annotators.setdefault(
                label.author_id,
                {
                    "annotator": label.author.get_username() if label.author else "",
                    "slot": None,
                    "status": None,
                    "seconds_spent": None,
                    "labels": [],
                },
            )
            entry["labels"].append(data)
    decision = ReviewDecision.objects.filter(case=case).select_related("reviewer").first()
    return {
        **_case_data(case),
        "labels": adjudicated,
        "annotations": list(annotators.values()),
        "agreement": case_agreement(ratings),
        "decision": _decision_data(decision) if decision else None,
    }


def _decision_data(decision: ReviewDecision) -> dict[str, Any]:
    return {
        "decision": decision.decision,
        "reviewer": decision.reviewer.get_username(),
        "note": decision.note,
        "created_at": decision.created_at,
    }


def _case_data(case: AnnotationCase) -> dict[str, Any]:
    """What every viewer of the case is shown (annotations.serializers.case_common_data, so the
    reviewer sees the model's suggestion exactly as the annotators did), with the case's status
    and the schema version its labels were made under."""
    return {
        **case_common_data(case),
        "status": case.status,
        "schema_version": _schema_version(case),
    }


def _schema_version(case: AnnotationCase) -> int:
    """The version the annotators labelled under (the newest, if they differ), else the task's
    current version."""
    used = (
        Label.objects.filter(case=case, source=Label.Source.ANNOTATOR)
        .order_by("-schema_version")
        .values_list("schema_version", flat=True)
        .first()
    )
    if used is not None:
        return int(used)
    current = (
        LabelSchema.objects.filter(task=case.task)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    return int(current) if current is not None else SCHEMA_VERSION


def review_decide(
    *,
    case: AnnotationCase,
    reviewer: User | AbstractBaseUser,
    decision: str,
    labels: list[LabelInput] | None = None,
    note: str = "",
) -> ReviewDecision:
    """Decide a labelled case, once.

    - accept: `labels` become the truth; without them, the majority's class (NoMajority, 400,
      when more than half of the annotators agree on no answer);
    - edit: the reviewer's own `labels` (at least one) become the truth;
    - reject: no truth; a `note` saying why is required.
    Conflict (409) if the case is not yet labelled by all its annotators or already decided.
    Writes the decision, the adjudicated labels and the case's status in one transaction: a label
    refused by validation leaves nothing. Not idempotent: a second call is a Conflict.
    """
    if decision not in ReviewDecision.Decision.values:
        raise DomainError(f"{decision!r} is not a decision (accept, edit or reject).")
    with transaction.atomic():
        case = AnnotationCase.objects.select_for_update().select_related("instance").get(pk=case.pk)
        _check_decidable(case)
        ratings = case_ratings([case])[0]
        truth = _truth(decision, ratings, labels or [], note)
        record = ReviewDecision(
            case=case,
            reviewer=reviewer,  # type: ignore[misc]
            decision=decision,
            note=note.strip(),
        )
        record.full_clean()
        record.save()
        provenance = {
            "annotators": sorted(ratings.annotators),
            "reviewer": reviewer.pk,
            "decision": decision,
            "suggestion_kept": _suggestion_kept(case, truth),
        }
        schema_version = _schema_version(case)
        for item in truth:
            _adjudicated_record(case, reviewer, item, provenance, schema_version)
        case.status = AnnotationCase.Status.ADJUDICATED
        case.save(update_fields=["status"])
    logger.info(
        "case_reviewed case_id=%s decision=%s reviewer_id=%s labels=%d",
        case.pk,
        decision,
        reviewer.pk,
        len(truth),
    )
    return record


def _check_decidable(case: AnnotationCase) -> None:
    if ReviewDecision.objects.filter(case=case).exists():
        decided = ReviewDecision.objects.select_related("reviewer").get(case=case)
        when = timezone.localtime(decided.created_at).strftime("%Y-%m-%d %H:%M")
        raise Conflict(
            f"This case was already decided ({decided.decision}) by "
            f"{decided.reviewer.get_username()} at {when}."
        )
    if case.status != AnnotationCase.Status.LABELLED:
        raise Conflict("This case is not labelled by all its annotators yet; it cannot be decided.")


def _truth(
    decision: str, ratings: CaseRatings, labels: list[LabelInput], note: str
) -> list[LabelInput]:
    if decision == ReviewDecision.Decision.REJECT:
        if not note.strip():
            raise DomainError("A rejection needs a note saying why.", {"field": "note"})
        if labels:
            raise DomainError("A rejection keeps no labels; send none.", {"field": "labels"})
        return []
    if labels:
        return labels
    if decision == ReviewDecision.Decision.EDIT:
        raise DomainError("An edit needs the reviewer's labels.", {"field": "labels"})
    agreed = majority(ratings.classes.values())
    if agreed is None:
        raise NoMajority(
            "The annotators have no majority class; choose the labels to accept.",
            {"field": "labels"},
        )
    return [LabelInput(kind=Label.Kind.CLASS, value=key) for key in agreed]


def _suggestion_kept(case: AnnotationCase, truth: list[LabelInput]) -> bool | None:
    """Whether the final class is the model's suggested one; None when either is missing."""
    suggested = pre_annotation(case)["class"]
    final = [str(item.value) for item in truth if item.kind == Label.Kind.CLASS]
    if suggested is None or not final:
        return None
    return final == [suggested]


def _adjudicated_record(
    case: AnnotationCase,
    reviewer: User | AbstractBaseUser,
    item: LabelInput,
    provenance: dict[str, Any],
    schema_version: int,
) -> Label:
    if item.kind not in Label.Kind.values:
        raise DomainError(f"{item.kind!r} is not a label kind (class, box or mask).")
    return label_record(
        task=case.task,
        study=case.study,
        instance=case.instance,
        frame_number=case.frame_number,
        kind=Label.Kind(item.kind),
        value=item.value,
        source=Label.Source.ADJUDICATED,
        author=reviewer,  # type: ignore[arg-type]
        schema_version=schema_version,
        case=case,
        provenance=provenance,
    )
