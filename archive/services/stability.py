"""Study stability: a study is complete when no instance has arrived for N seconds.

One check is queued per burst of arrivals (the ingest that turns `stability_check_pending` on); the
check either marks the study stable and announces it, or re-queues itself for the remaining time.
A periodic sweep catches studies whose check was lost (broker down, worker killed).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from archive.models import Study
from archive.signals import study_stable

logger = logging.getLogger(__name__)


def _window() -> dt.timedelta:
    return dt.timedelta(seconds=settings.ARCHIVE_STABILITY_SECONDS)


def study_schedule_stability_check(*, study_id: int) -> bool:
    """Queue a stability check in one window; False (and logged) when the broker is down.

    Ingest calls it once per burst, after the commit of the instance whose transaction turned
    the study's `stability_check_pending` on. It must never fail: the instance is stored and
    acknowledged by then, whatever the broker says. A check that could not be queued is left to
    the sweep, which picks the study up.
    """
    from archive.tasks import study_check_stability_task

    try:
        study_check_stability_task.apply_async(
            (study_id,), countdown=settings.ARCHIVE_STABILITY_SECONDS, retry=False
        )
    except Exception:  # noqa: BLE001 - any broker failure: the sweep queues the check
        logger.warning("stability_check_not_queued study_id=%s (broker unavailable)", study_id)
        return False
    return True


def study_check_stability(*, study_id: int) -> bool:
    """Mark the study stable if it has been quiet for the window; else re-queue the check.

    Returns True when this call made the study stable. Safe to run twice: the transition is a
    conditional update, so `study_stable` is sent once per transition.
    """
    study = Study.objects.filter(pk=study_id).only("status", "last_instance_at").first()
    if study is None or study.status == Study.Status.STABLE:
        Study.objects.filter(pk=study_id).update(stability_check_pending=False)
        return False
    now = timezone.now()
    quiet_for = now - study.last_instance_at
    if quiet_for < _window():
        from archive.tasks import study_check_stability_task

        remaining = (_window() - quiet_for).total_seconds()
        study_check_stability_task.apply_async((study_id,), countdown=max(remaining, 0.05))
        return False
    with transaction.atomic():
        changed = Study.objects.filter(
            pk=study_id,
            status=Study.Status.RECEIVING,
            last_instance_at=study.last_instance_at,
        ).update(status=Study.Status.STABLE, stable_at=now, stability_check_pending=False)
        if changed:
            transaction.on_commit(lambda: study_stable.send(sender=Study, study_id=study_id))
    if not changed:
        # An instance arrived meanwhile; check again after its window.
        return study_check_stability(study_id=study_id)
    logger.info("study_stable study_id=%s", study_id)
    return True


def studies_sweep_unstable(*, grace_seconds: float = 30.0) -> int:
    """Check every study quiet for longer than window + grace but still receiving.

    Recovers checks lost while the broker or worker was down. Returns how many became stable.
    """
    cutoff = timezone.now() - _window() - dt.timedelta(seconds=grace_seconds)
    stuck = Study.objects.filter(
        status=Study.Status.RECEIVING, last_instance_at__lt=cutoff
    ).values_list("pk", flat=True)
    return sum(study_check_stability(study_id=pk) for pk in list(stuck[:1000]))
