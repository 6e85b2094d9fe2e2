"""Celery tasks of triage: ids in, one service call each. Scoring runs on the inference queue."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from triage.services.claims import claims_expire
from triage.services.events import worklist_events_prune
from triage.services.scoring import scorings_sweep, study_score, study_scoring_fail

logger = logging.getLogger(__name__)

# Storage and database hiccups; anything else is a bug or bad data and fails at once.
TRANSIENT_ERRORS = (OSError, OperationalError, InterfaceError)


class ScoringTask(Task):  # type: ignore[misc]
    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        scoring_id = args[0] if args else kwargs.get("scoring_id")
        study_scoring_fail(scoring_id=scoring_id, error=f"{type(exc).__name__}: {exc}")


@shared_task(
    base=ScoringTask,
    name="triage.study_score",
    acks_late=True,
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    max_retries=5,
    retry_backoff=2,
    retry_backoff_max=20,  # under the broker's visibility timeout (settings say why)
    retry_jitter=True,
    soft_time_limit=int(settings.TRIAGE_SCORING_TIME_LIMIT * 0.8),
    time_limit=settings.TRIAGE_SCORING_TIME_LIMIT,
)
def study_score_task(scoring_id: int) -> str | None:
    return study_score(scoring_id=scoring_id)


@shared_task(name="triage.scorings_sweep", acks_late=True, ignore_result=True)
def scorings_sweep_task() -> dict[str, int]:
    report = scorings_sweep()
    logger.info(
        "scorings_swept requeued_stale=%s placed_missed=%s requested=%s sent=%s",
        report.requeued_stale,
        report.placed_missed,
        report.requested,
        report.sent,
    )
    return {
        "requeued_stale": report.requeued_stale,
        "placed_missed": report.placed_missed,
        "requested": report.requested,
        "sent": report.sent,
    }


@shared_task(name="triage.claims_expire", ignore_result=True)
def claims_expire_task() -> int:
    """Clear expired claims (so every worklist shows them free) and prune old change events."""
    cleared = claims_expire()
    worklist_events_prune()
    return cleared
