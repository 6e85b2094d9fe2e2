"""Celery tasks of the archive: ids in, one service call each."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from archive.services.stability import studies_sweep_unstable, study_check_stability
from archive.services.storage_sweep import storage_reconcile


@shared_task(name="archive.study_check_stability", acks_late=True, ignore_result=True)
def study_check_stability_task(study_id: int) -> bool:
    return study_check_stability(study_id=study_id)


@shared_task(name="archive.studies_sweep_unstable", acks_late=True, ignore_result=True)
def studies_sweep_unstable_task() -> int:
    return studies_sweep_unstable()


@shared_task(name="archive.storage_reconcile", acks_late=True, ignore_result=True)
def storage_reconcile_task() -> dict[str, int]:
    report = storage_reconcile(grace_seconds=settings.ARCHIVE_ORPHAN_GRACE_SECONDS)
    return {
        "orphan_files_removed": report.orphan_files_removed,
        "temp_files_removed": report.temp_files_removed,
        "rows_without_file": report.rows_without_file,
    }
