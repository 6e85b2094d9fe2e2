"""Celery tasks of the archive: ids in, one service call each."""

from __future__ import annotations

from celery import shared_task

from archive.services.stability import studies_sweep_unstable, study_check_stability


@shared_task(name="archive.study_check_stability", acks_late=True, ignore_result=True)
def study_check_stability_task(study_id: int) -> bool:
    return study_check_stability(study_id=study_id)


@shared_task(name="archive.studies_sweep_unstable", acks_late=True, ignore_result=True)
def studies_sweep_unstable_task() -> int:
    return studies_sweep_unstable()
