"""Worklist reads: the ordering in force, filtered and sorted entries, a study's findings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, Q, QuerySet

from archive.models import Study
from ml.selectors import model_version_active
from triage.models import ImageFinding, Measurement, StudyScoring, WorklistEntry
from triage.services.worklist import TRIAGE_TASK


@dataclass(frozen=True)
class Ordering:
    """How the worklist is ranked right now, and the sentence that tells users why."""

    mode: str  # "ai" or "fifo"
    message: str


def worklist_ordering() -> Ordering:
    """AI-assisted when the task's active model is usable; first-in-first-out otherwise."""
    active = model_version_active(task=TRIAGE_TASK)
    if active is None:
        return Ordering("fifo", "No active model: first in, first out within clinical priority.")
    if active.load_error:
        return Ordering(
            "fifo",
            f"AI ranking paused, {active.label} failed to load: first in, first out within "
            "clinical priority until an admin activates a model.",
        )
    return Ordering("ai", f"Ranked by clinical priority, AI urgency ({active.label}) and wait.")


SORTS = {
    "received": ("received_at", "id"),
    "-received": ("-received_at", "-id"),
    "probability": ("scoring__urgency", "id"),
    "-probability": (F("scoring__urgency").desc(nulls_last=True), "id"),
    "study_date": ("study__study_date", "id"),
    "-study_date": (F("study__study_date").desc(nulls_last=True), "-id"),
    "modality": ("modality", "id"),
    "status": ("status", "id"),
}
SORT_NAMES = ("priority", *SORTS)

# What a worklist row shows (triage.apis.entry_data): loading only these keeps a page of 50 rows
# cheap (most of a request's time went to converting columns no row displays).
ROW_FIELDS = (
    "status",
    "clinical_priority",
    "clinical_reason",
    "modality",
    "received_at",
    "stable_at",
    "scored_at",
    "first_opened_at",
    "read_at",
    "due_at",
    "reasons",
    "fifo_due_at",
    "fifo_reasons",
    "ai_status",
    "ai_note",
    "claimed_at",
    "claim_expires_at",
    "claimed_by__username",
    "read__reader__username",
    "study__study_instance_uid",
    "study__accession_number",
    "study__study_description",
    "study__study_date",
    "study__num_instances",
    "study__patient__patient_name",
    "study__patient__patient_id",
    "scoring__urgency",
    "scoring__positive",
    "scoring__threshold",
    "scoring__model_version__task",
    "scoring__model_version__version",
)


@dataclass(frozen=True)
class WorklistFilters:
    status: str | None = WorklistEntry.Status.WAITING
    modality: str | None = None
    ai_status: str | None = None
    clinical_priority: str | None = None
    search: str | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None


def worklist_list(
    *, filters: WorklistFilters, sort: str, ordering: Ordering
) -> QuerySet[WorklistEntry]:
    """Entries matching `filters` in `sort` order ("priority": due time under `ordering`)."""
    entries = WorklistEntry.objects.select_related(
        "study",
        "study__patient",
        "scoring",
        "scoring__model_version",
        "claimed_by",
        "read__reader",
    ).only(*ROW_FIELDS)
    entries = _filtered(entries, filters)
    if sort == "priority":
        due = "due_at" if ordering.mode == "ai" else "fifo_due_at"
        return entries.order_by(due, "id")
    return entries.order_by(*SORTS[sort])


def _filtered(
    entries: QuerySet[WorklistEntry], filters: WorklistFilters
) -> QuerySet[WorklistEntry]:
    if filters.status:
        entries = entries.filter(status=filters.status)
    if filters.modality:
        entries = entries.filter(modality__contains=filters.modality.upper())
    if filters.ai_status:
        entries = entries.filter(ai_status=filters.ai_status)
    if filters.clinical_priority:
        entries = entries.filter(clinical_priority=filters.clinical_priority.upper())
    if filters.received_from:
        entries = entries.filter(received_at__date__gte=filters.received_from)
    if filters.received_to:
        entries = entries.filter(received_at__date__lte=filters.received_to)
    if filters.search:
        term = filters.search.strip()
        entries = entries.filter(
            # Names match from their start (family name first, as DICOM writes them), which an
            # index serves; a contains-match would scan every patient.
            Q(study__patient__patient_name_search__startswith=term.upper())
            | Q(study__patient__patient_id=term)
            | Q(study__accession_number=term)
        )
    return entries


def worklist_entry_get(*, study_instance_uid: str) -> WorklistEntry | None:
    return (
        WorklistEntry.objects.select_related(
            "study", "study__patient", "scoring__model_version", "claimed_by", "read__reader"
        )
        .filter(study__study_instance_uid=study_instance_uid)
        .first()
    )


def study_findings(*, scoring: StudyScoring | None) -> QuerySet[ImageFinding]:
    """The scoring's per-image findings with their instance, in display order."""
    if scoring is None:
        return ImageFinding.objects.none()
    return (
        ImageFinding.objects.filter(scoring=scoring)
        .select_related("instance", "instance__series", "scoring__model_version")
        .order_by("instance__series__series_number", "instance__instance_number", "frame_number")
    )


def study_measurements(*, study: Study, user: AbstractBaseUser) -> QuerySet[Measurement]:
    """`user`'s measurements on the study, oldest first (others' are never shown)."""
    return (
        Measurement.objects.filter(study=study, user=user)
        .select_related("instance", "instance__series")
        .order_by("created_at", "id")
    )
