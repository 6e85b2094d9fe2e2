"""The worklist's change feed: one row per change, written in the changing transaction.

Browsers follow it over Server-Sent Events (triage/streams.py) and re-fetch the page they show,
so the server's sort stays the only order there is. Rows are kept for a day, for reconnects.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from triage.models import WorklistEvent


def worklist_event_record(
    *, kind: WorklistEvent.Kind, study_instance_uid: str, actor: str = ""
) -> WorklistEvent:
    return WorklistEvent.objects.create(
        kind=kind,
        study_instance_uid=study_instance_uid,
        actor=actor,
        created_at=timezone.now(),
    )


def worklist_events_prune() -> int:
    """Delete events older than TRIAGE_EVENTS_KEEP_HOURS; returns how many."""
    cutoff = timezone.now() - dt.timedelta(hours=settings.TRIAGE_EVENTS_KEEP_HOURS)
    deleted, _ = WorklistEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted
