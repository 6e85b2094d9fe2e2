"""Triage listens to the archive: a study that becomes stable is placed and scored."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver

from archive.signals import study_stable
from ml.signals import model_activated
from triage.services.scoring import study_triage_start

logger = logging.getLogger(__name__)


@receiver(study_stable, dispatch_uid="triage.study_stable")
def _study_stable(sender: Any, study_id: int, **_: Any) -> None:
    # The signal is sent after the stable transition committed; if this fails (database blip),
    # the triage sweep places the study later, so the error is logged, not raised into ingest.
    try:
        study_triage_start(study_id=study_id)
    except Exception:
        logger.exception("triage_start_failed study_id=%s", study_id)


@receiver(model_activated, dispatch_uid="triage.model_activated")
def _model_activated(sender: Any, task: str, version_id: int, **_: Any) -> None:
    # Waiting studies are scored by the new version now rather than at the next periodic sweep;
    # the sweep runs as a task, so activating in a web request does not wait for it.
    from triage.tasks import scorings_sweep_task

    try:
        scorings_sweep_task.apply_async(retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: the periodic sweep runs anyway
        logger.warning("rescore_not_sent model_version_id=%s (broker unavailable)", version_id)
