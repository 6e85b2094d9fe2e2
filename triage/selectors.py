"""Worklist reads: the ordering in force, filtered and sorted entries, a study's findings."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone

from archive.models import Patient, Study
from ml.selectors import model_version_active
from triage.models import (
    ImageFinding,
    StudyScoring,
    WorklistEntry,
    WorklistEvent,
)
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
    "probability": ("ai_sort_key", "-id"),
    "-probability": ("-ai_sort_key", "id"),
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
    # Whole local days as a range of instants, so the received_at indexes serve it.
    if filters.received_from:
        entries = entries.filter(received_at__gte=_day_start(filters.received_from))
    if filters.received_to:
        entries = entries.filter(
            received_at__lt=_day_start(filters.received_to + dt.timedelta(days=1))
        )
    if filters.search:
        entries = entries.filter(study_id__in=_study_ids_matching(filters.search.strip()))
    return entries


# A count can go stale without a change event only when studies are deleted from the archive.
COUNT_CACHE_SECONDS = 10


def worklist_event_last_id() -> int:
    """The newest change's id (0 before any): a version of the whole worklist."""
    return WorklistEvent.objects.aggregate(last=Max("id"))["last"] or 0


def worklist_count(*, filters: WorklistFilters) -> int:
    """How many entries match `filters`, cached until the worklist next changes.

    Every change writes a WorklistEvent, so the newest event id versions the cache: 32 readers
    re-reading the list after a change cost one count, not 32 (a count over 50,000 waiting
    studies is the single most expensive part of a page).
    """
    version = worklist_event_last_id()
    digest = hashlib.sha256(repr((filters, version)).encode()).hexdigest()
    key = f"worklist-count:{digest}"
    count = cache.get(key)
    if count is None:
        count = _filtered(WorklistEntry.objects.all(), filters).count()
        cache.set(key, count, COUNT_CACHE_SECONDS)
    return count


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _study_ids_matching(term: str) -> list[int]:
    """Studies whose patient's name starts with `term` (family name first, as DICOM writes
    names) or whose patient ID or accession number is `term`.

    Looked up first, each by its own index, and handed to the list query as ids: as a subquery
    PostgreSQL walked every waiting entry in priority order testing each one.
    """
    patients = Patient.objects.filter(
        Q(patient_name_search__startswith=term.upper()) | Q(patient_id=term)
    ).values("pk")
    by_patient = Study.objects.filter(patient__in=patients).values_list("pk", flat=True)
    by_accession = Study.objects.filter(accession_number=term).values_list("pk", flat=True)
    return sorted({*by_patient, *by_accession})


def worklist_entry_get(*, study_instance_uid: str) -> WorklistEntry | None:
    return (
        WorklistEntry.objects.select_related(
            "study",
            "study__patient",
            "scoring__model_version",
            "claimed_by",
            "read__reader",
            "read__model_version",
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
