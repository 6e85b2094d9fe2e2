"""Claims: the study a reader has open is theirs until they leave, read it, or the claim expires.

Every change is one conditional UPDATE, so two readers racing for a study cannot both win, on
PostgreSQL or SQLite alike. An open viewer renews its claim every minute; a claim not renewed
for TRIAGE_CLAIM_SECONDS counts as released (and the sweep clears it for everyone's list).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from config.errors import Conflict
from triage.models import WorklistEntry, WorklistEvent
from triage.selectors import Ordering, worklist_ordering
from triage.services.events import worklist_event_record

logger = logging.getLogger(__name__)


def claim_is_live(entry: WorklistEntry, *, now: dt.datetime | None = None) -> bool:
    """True while someone holds the study: claimed and not expired."""
    expires = entry.claim_expires_at
    if entry.claimed_by_id is None or expires is None:
        return False
    return expires > (now or timezone.now())


def _claimable_by(user: AbstractBaseUser, now: dt.datetime) -> Q:
    return Q(claimed_by__isnull=True) | Q(claim_expires_at__lte=now) | Q(claimed_by=user)


def worklist_entry_claim(*, entry: WorklistEntry, user: AbstractBaseUser) -> WorklistEntry:
    """Claim the study for `user`, or renew their claim. Conflict if another reader holds it."""
    now = timezone.now()
    expires = now + dt.timedelta(seconds=settings.TRIAGE_CLAIM_SECONDS)
    already_mine = Q(claimed_by=user) & Q(claim_expires_at__gt=now)
    with transaction.atomic():
        changed = (
            WorklistEntry.objects.filter(pk=entry.pk, status=WorklistEntry.Status.WAITING)
            .filter(_claimable_by(user, now))
            .update(
                claimed_by=user,
                claimed_at=Case(When(already_mine, then=F("claimed_at")), default=Value(now)),
                claim_expires_at=expires,
                first_opened_at=Case(
                    When(first_opened_at__isnull=True, then=Value(now)),
                    default=F("first_opened_at"),
                ),
            )
        )
        renewed = changed and entry.claimed_by_id == user.pk and claim_is_live(entry, now=now)
        if changed and not renewed:
            worklist_event_record(
                kind=WorklistEvent.Kind.CLAIMED,
                study_instance_uid=entry.study.study_instance_uid,
                actor=user.get_username(),
            )
    entry.refresh_from_db()
    if not changed:
        raise _claim_conflict(entry)
    return entry


def _claim_conflict(entry: WorklistEntry) -> Conflict:
    if entry.status == WorklistEntry.Status.READ:
        read = getattr(entry, "read", None)
        who = read.reader.get_username() if read else "another reader"
        when = timezone.localtime(entry.read_at).strftime("%H:%M") if entry.read_at else ""
        return Conflict(f"This study was read by {who} at {when}.", {"claim": None})
    holder = entry.claimed_by.get_username() if entry.claimed_by else "another reader"
    since = timezone.localtime(entry.claimed_at).strftime("%H:%M") if entry.claimed_at else ""
    return Conflict(
        f"{holder} is reading this study (since {since}).", {"claim": claim_data(entry)}
    )


def claim_data(entry: WorklistEntry, *, user: AbstractBaseUser | None = None) -> dict | None:
    """The claim as the API shows it, or None when no live claim exists."""
    if not claim_is_live(entry):
        return None
    return {
        "by": entry.claimed_by.get_username() if entry.claimed_by else None,
        "mine": user is not None and entry.claimed_by_id == user.pk,
        "claimed_at": entry.claimed_at,
        "expires_at": entry.claim_expires_at,
    }


def worklist_entry_release(*, entry: WorklistEntry, user: AbstractBaseUser) -> bool:
    """Give the study back; nothing happens unless `user` holds it. True when released."""
    with transaction.atomic():
        released = WorklistEntry.objects.filter(pk=entry.pk, claimed_by=user).update(
            claimed_by=None, claimed_at=None, claim_expires_at=None
        )
        if released:
            worklist_event_record(
                kind=WorklistEvent.Kind.RELEASED,
                study_instance_uid=entry.study.study_instance_uid,
                actor=user.get_username(),
            )
    return bool(released)


# Races for the same study are rare (two readers pressing "next" within milliseconds); after this
# many lost races in a row the caller is told to try again rather than loop.
NEXT_ATTEMPTS = 20


def worklist_entry_claim_next(
    *, user: AbstractBaseUser, exclude: Iterable[str] = (), ordering: Ordering | None = None
) -> WorklistEntry | None:
    """Claim the most urgent waiting study no one else holds (skipping `exclude` study UIDs)."""
    ordering = ordering or worklist_ordering()
    due = "due_at" if ordering.mode == "ai" else "fifo_due_at"
    excluded = set(exclude)
    for _attempt in range(NEXT_ATTEMPTS):
        now = timezone.now()
        candidates = (
            WorklistEntry.objects.filter(status=WorklistEntry.Status.WAITING)
            .filter(_claimable_by(user, now))
            .exclude(study__study_instance_uid__in=excluded)
            .select_related("study")
            .order_by(due, "id")
        )
        entry = candidates.first()
        if entry is None:
            return None
        try:
            return worklist_entry_claim(entry=entry, user=user)
        except Conflict:
            continue  # someone took it between our read and our update: the next one
    raise Conflict("Other readers are taking studies right now; try again.")


def claims_expire() -> int:
    """Clear claims whose time is up, so every worklist shows them free. Returns how many."""
    now = timezone.now()
    expired = list(
        WorklistEntry.objects.filter(claim_expires_at__lte=now)
        .select_related("study", "claimed_by")
        .only("pk", "study__study_instance_uid", "claimed_by__username")
    )
    cleared = 0
    for entry in expired:
        with transaction.atomic():
            if WorklistEntry.objects.filter(pk=entry.pk, claim_expires_at__lte=now).update(
                claimed_by=None, claimed_at=None, claim_expires_at=None
            ):
                cleared += 1
                worklist_event_record(
                    kind=WorklistEvent.Kind.RELEASED,
                    study_instance_uid=entry.study.study_instance_uid,
                    actor=entry.claimed_by.get_username() if entry.claimed_by else "",
                )
    if cleared:
        logger.info("claims_expired count=%s", cleared)
    return cleared
