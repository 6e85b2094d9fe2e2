"""Celery tasks of shadow scoring: ids in, one service call each (ml/shadow.py).

`ml.shadow_score` runs on the inference queue (it loads the candidate's weights beside the
active version's); `ml.shadow_sweep` on the default queue closes deployments whose time is up.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from ml.shadow import shadow_score, shadow_sweep

# Storage and database hiccups; anything else is a bug or bad data and fails at once.
TRANSIENT_ERRORS = (OSError, OperationalError, InterfaceError)


@shared_task(
    name="ml.shadow_score",
    acks_late=True,
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    max_retries=5,
    retry_backoff=2,
    retry_backoff_max=20,  # under the broker's visibility timeout (config/settings.py)
    retry_jitter=True,
    soft_time_limit=int(settings.TRIAGE_SCORING_TIME_LIMIT * 0.8),
    time_limit=settings.TRIAGE_SCORING_TIME_LIMIT,
)
def shadow_score_task(
    deployment_id: int,
    study_id: int,
    active_version_id: int | None,
    active_probability: float | None,
    active_positive: bool | None,
) -> None:
    """Score one study with the shadow candidate; safe to run twice (one ShadowScore)."""
    shadow_score(
        deployment_id=deployment_id,
        study_id=study_id,
        active_version_id=active_version_id,
        active_probability=active_probability,
        active_positive=active_positive,
    )


@shared_task(name="ml.shadow_sweep", acks_late=True, ignore_result=True)
def shadow_sweep_task() -> int:
    """Close deployments whose time is up; their candidates wait for an admin."""
    return shadow_sweep()
