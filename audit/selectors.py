"""Reading the audit log: filters, newest first, cursor pages."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from audit.models import AuditEvent, AuditObject


@dataclass(frozen=True)
class AuditFilters:
    user: str = ""
    patient: str = ""
    study: str = ""
    event: str = ""
    outcome: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def audit_events(*, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Events matching every given filter, newest first, with their objects prefetched.

    `user`: username substring; `patient`: a patient id, or a substring of a patient's name;
    `study`: a Study Instance UID; `event`: an EventID code; `since`/`until`: inclusive times.
    """
    events = AuditEvent.objects.all()
    if filters.user:
        events = events.filter(username__icontains=filters.user)
    if filters.event:
        events = events.filter(event_id=filters.event)
    if filters.outcome is not None:
        events = events.filter(outcome=filters.outcome)
    if filters.since is not None:
        events = events.filter(time__gte=filters.since)
    if filters.until is not None:
        events = events.filter(time__lte=filters.until)
    if filters.patient:
        patients = AuditObject.objects.filter(event=OuterRef("pk"), kind="patient").filter(
            Q(identifier=filters.patient) | Q(name__icontains=filters.patient)
        )
        events = events.filter(Exists(patients))
    if filters.study:
        studies = AuditObject.objects.filter(
            event=OuterRef("pk"), kind="study", identifier=filters.study
        )
        events = events.filter(Exists(studies))
    return events.order_by("-time", "-id").prefetch_related("participants")


def cursor_encode(event: AuditEvent) -> str:
    raw = f"{event.time.isoformat()}|{event.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[datetime, int]:
    """(time, id) of a cursor; ValueError when it is not one this API gave out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        time_text, _, pk = raw.partition("|")
        return datetime.fromisoformat(time_text), int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("cursor is not valid; use the `next` value of a previous page") from exc


def audit_events_page(
    *, filters: AuditFilters, cursor: str = "", limit: int = 100
) -> tuple[list[AuditEvent], str | None]:
    """One page of `audit_events` after `cursor`, and the cursor of the next page (None: last)."""
    events = audit_events(filters=filters)
    if cursor:
        time, pk = cursor_decode(cursor)
        events = events.filter(Q(time__lt=time) | Q(time=time, id__lt=pk))
    page = list(events[: limit + 1])
    if len(page) > limit:
        return page[:limit], cursor_encode(page[limit - 1])
    return page, None
