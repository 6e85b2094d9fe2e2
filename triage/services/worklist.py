"""The worklist: a study's place (clinical priority, AI urgency, waiting time) and its reasons.

Every entry keeps two places, both earliest-deadline-first (triage.priority): one with the active
model's urgency and one without it. The selector sorts by the second whenever the model cannot
be used, so the queue falls back to first-in-first-out at once, without rewriting rows.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from pydicom.datadict import tag_for_keyword

from archive.models import Instance, Study
from ml.core.tasks import CHEST_XRAY_PNEUMONIA
from ml.models import ModelVersion
from ml.selectors import model_version_active
from triage.models import StudyScoring, WorklistEntry, WorklistEvent
from triage.policy import priority_policy, site_rules
from triage.priority import (
    DICOM_PRIORITY_SOURCES,
    ClinicalPriority,
    clinical_priority_from_dicom,
    format_probability,
    place,
)
from triage.services.events import worklist_event_record

logger = logging.getLogger(__name__)

# The task the worklist ranks by; one model family for now (chest radiographs).
TRIAGE_SPEC = CHEST_XRAY_PNEUMONIA
TRIAGE_TASK = TRIAGE_SPEC.name
# DICOM keywords carrying a request's priority, read besides those the site rules name.
PRIORITY_KEYWORDS = tuple(keyword for keyword, _label, _mapping in DICOM_PRIORITY_SOURCES)
REQUEST_SEQUENCE = "00400275"  # Request Attributes Sequence: where a request's priority often is


@dataclass(frozen=True)
class AiView:
    """What the model says about a study, for its place and its reasons."""

    status: WorklistEntry.AiStatus
    urgency: float | None
    note: str
    scoring: StudyScoring | None


def worklist_entry_place(*, study_id: int) -> WorklistEntry:
    """Create or refresh the study's entry: clinical priority, AI view, due times, reasons.

    Keeps the entry's status and opened/read timestamps. Safe to repeat; call it whenever the
    study's scoring or the active model changes.
    """
    study = Study.objects.get(pk=study_id)
    clinical, clinical_reason = study_clinical_priority(study=study)
    ai = _ai_view(study)
    policy = priority_policy()
    arrived = study.received_at
    with_ai = place(
        arrived_at=arrived,
        clinical_priority=clinical,
        clinical_reason=clinical_reason,
        urgency=ai.urgency,
        ai_note=ai.note,
        policy=policy,
    )
    fifo = place(
        arrived_at=arrived,
        clinical_priority=clinical,
        clinical_reason=clinical_reason,
        urgency=None,
        ai_note=None,
        policy=policy,
    )
    fields: dict[str, Any] = {
        "clinical_priority": str(clinical),
        "clinical_reason": clinical_reason[:256],
        "modality": study.modalities_in_study,
        "received_at": arrived,
        "stable_at": study.stable_at or timezone.now(),
        "due_at": with_ai.due_at,
        "reasons": with_ai.reasons,
        "fifo_due_at": fifo.due_at,
        "fifo_reasons": fifo.reasons,
        "ai_status": ai.status,
        "ai_note": ai.note[:256],
        "ai_sort_key": ai.urgency if ai.urgency is not None else -1.0,
        "scoring": ai.scoring,
    }
    if ai.scoring is not None and ai.scoring.finished_at is not None:
        fields["scored_at"] = ai.scoring.finished_at
    with transaction.atomic():
        before = (
            WorklistEntry.objects.select_for_update()
            .filter(study=study)
            .values(*PLACE_FIELDS)
            .first()
        )
        entry, created = WorklistEntry.objects.update_or_create(study=study, defaults=fields)
        if created or before != {name: getattr(entry, name) for name in PLACE_FIELDS}:
            kind = WorklistEvent.Kind.PLACED if created else WorklistEvent.Kind.MOVED
            worklist_event_record(kind=kind, study_instance_uid=study.study_instance_uid)
    return entry


# What browsers show of a place: a change to any of these is pushed to them.
PLACE_FIELDS = ("due_at", "fifo_due_at", "ai_status", "clinical_priority", "scored_at")


def study_clinical_priority(*, study: Study) -> tuple[ClinicalPriority, str]:
    """The clinical priority its request carries (DICOM) or a site rule gives, with its source."""
    rules = site_rules()
    keywords = set(PRIORITY_KEYWORDS) | {rule.keyword for rule in rules}
    first = (
        Instance.objects.filter(series__study=study).order_by("id").only("metadata_json").first()
    )
    values = _dicom_values(first.metadata_json if first else "{}", keywords)
    values.setdefault("StudyDescription", study.study_description or None)
    return clinical_priority_from_dicom(values, rules)


def _dicom_values(metadata_json: str, keywords: set[str]) -> dict[str, str | None]:
    """Top-level values of `keywords`, else those in the first Request Attributes item."""
    dataset = json.loads(metadata_json)
    requests = dataset.get(REQUEST_SEQUENCE, {}).get("Value") or [{}]
    values: dict[str, str | None] = {}
    for keyword in keywords:
        tag = tag_for_keyword(keyword)
        if tag is None:
            continue
        key = f"{tag:08X}"
        for source in (dataset, requests[0]):
            value = (source.get(key, {}).get("Value") or [None])[0]
            if isinstance(value, str | int | float):
                values[keyword] = str(value)
                break
    return values


def _ai_view(study: Study) -> AiView:
    active = model_version_active(task=TRIAGE_TASK)
    if active is None:
        return AiView(WorklistEntry.AiStatus.OFF, None, "AI ranking off: no active model", None)
    scoring = StudyScoring.objects.filter(study=study, model_version=active).first()
    if scoring is None or scoring.status in (
        StudyScoring.Status.QUEUED,
        StudyScoring.Status.RUNNING,
    ):
        return AiView(WorklistEntry.AiStatus.PENDING, None, "AI score pending", scoring)
    if scoring.status == StudyScoring.Status.FAILED:
        note = f"AI scoring failed ({active.label}); placed as if unscored"
        return AiView(WorklistEntry.AiStatus.FAILED, None, note, scoring)
    if scoring.status == StudyScoring.Status.NOT_APPLICABLE:
        note = f"AI not applicable: {scoring.error or 'no image the model can judge'}"
        return AiView(WorklistEntry.AiStatus.NOT_APPLICABLE, None, note, scoring)
    return _scored_view(active, scoring)


def _scored_view(active: ModelVersion, scoring: StudyScoring) -> AiView:
    # The calibrated probability: the one the threshold is on, the API's and the browser's.
    probability = scoring.urgency if scoring.urgency is not None else 0.0
    threshold = scoring.threshold if scoring.threshold is not None else active.threshold
    said = f"probability {format_probability(probability)}"
    finding = TRIAGE_SPEC.finding
    if scoring.positive:
        status = WorklistEntry.AiStatus.POSITIVE
        note = f"AI flags {finding}: {said}, at or above threshold {format_probability(threshold)}"
    else:
        status = WorklistEntry.AiStatus.NEGATIVE
        note = (
            f"AI does not flag {finding}: {said}, below threshold {format_probability(threshold)}"
        )
    return AiView(status, scoring.urgency, f"{note} ({active.label})", scoring)
