"""Retraining schedules kept in the database and run by celery beat (django-celery-beat).

Each RetrainSchedule owns one PeriodicTask calling `ml.retrain_check` with its id: a nightly
schedule on a CrontabSchedule at hour:minute (the server's time zone), a labels schedule on an
IntervalSchedule every check_minutes. Saving or deleting a schedule saves or deletes its
PeriodicTask in the same transaction, so beat (DatabaseScheduler) follows the table.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from config.errors import DomainError
from ml.core.tasks import task_get
from ml.datasets import lineage_max_label_id, usable_labels_new_count
from ml.models import RetrainSchedule, TrainingRun
from ml.selectors import model_version_active
from ml.training_runs import UNFINISHED, training_run_request

logger = logging.getLogger(__name__)

FIELDS = ("task", "kind", "enabled", "hour", "minute", "min_new_labels", "check_minutes", "mode")


def retrain_schedule_save(
    *,
    schedule: RetrainSchedule | None = None,
    actor: AbstractBaseUser | None = None,
    **values: Any,
) -> RetrainSchedule:
    """Create (schedule None) or update a schedule from FIELDS, with its PeriodicTask."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown schedule fields: {sorted(unknown)}")
    errors = _value_errors(values)
    if errors:
        raise DomainError("The schedule is not valid.", errors)
    with transaction.atomic():
        if schedule is None:
            schedule = RetrainSchedule(created_by=actor)
        for name, value in values.items():
            setattr(schedule, name, value)
        try:
            schedule.full_clean(exclude=["periodic_task", "created_by"])
        except ValidationError as error:
            raise DomainError("The schedule is not valid.", error.message_dict) from None
        schedule.save()
        schedule.periodic_task = _periodic_task_sync(schedule)
        schedule.save(update_fields=["periodic_task"])
    logger.info("retrain_schedule_saved schedule_id=%s kind=%s", schedule.pk, schedule.kind)
    return schedule


def _value_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "task" in values:
        try:
            task_get(values["task"])
        except ValueError as error:
            errors["task"] = [str(error)]
    if not 0 <= int(values.get("hour", 0)) <= 23:
        errors["hour"] = ["An hour from 0 to 23."]
    if not 0 <= int(values.get("minute", 0)) <= 59:
        errors["minute"] = ["A minute from 0 to 59."]
    if int(values.get("min_new_labels", 1)) < 1:
        errors["min_new_labels"] = ["At least 1 new label."]
    if int(values.get("check_minutes", 1)) < 1:
        errors["check_minutes"] = ["At least every minute."]
    return errors


def _periodic_task_sync(schedule: RetrainSchedule) -> PeriodicTask:
    periodic = schedule.periodic_task or PeriodicTask(name=f"retrain schedule {schedule.pk}")
    periodic.task = "ml.retrain_check"
    periodic.kwargs = json.dumps({"schedule_id": schedule.pk})
    periodic.enabled = schedule.enabled
    periodic.description = f"{schedule.get_kind_display()} retraining of {schedule.task}"
    if schedule.kind == RetrainSchedule.Kind.NIGHTLY:
        periodic.crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=str(schedule.minute),
            hour=str(schedule.hour),
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=settings.TIME_ZONE,
        )
        periodic.interval = None
    else:
        periodic.interval, _ = IntervalSchedule.objects.get_or_create(
            every=schedule.check_minutes, period=IntervalSchedule.MINUTES
        )
        periodic.crontab = None
    periodic.save()
    return periodic


def retrain_schedule_delete(*, schedule: RetrainSchedule) -> None:
    """Delete the schedule and its PeriodicTask (beat stops calling it)."""
    with transaction.atomic():
        periodic = schedule.periodic_task
        schedule.delete()
        if periodic is not None:
            periodic.delete()


def retrain_check(*, schedule_id: int) -> str:
    """A schedule's beat. Nightly: request a run (trigger schedule) unless one of the task is
    queued or running. Labels: count usable labels newer than the newest the task trained on
    (the active version's lineage, or a later successful run's: a candidate waiting for an
    admin does not trigger the same run again); request a run (trigger labels) when at least
    min_new_labels. Records last_fired_at and last_result; returns the result."""
    schedule = RetrainSchedule.objects.filter(pk=schedule_id).first()
    if schedule is None or not schedule.enabled:
        return "no such enabled schedule"
    busy = TrainingRun.objects.filter(task=schedule.task, status__in=UNFINISHED).first()
    if schedule.kind == RetrainSchedule.Kind.LABELS:
        new = usable_labels_new_count(task=schedule.task, after_id=_trained_up_to(schedule.task))
        if new < schedule.min_new_labels:
            result = f"{new} of {schedule.min_new_labels} new labels: no run"
        else:
            result = _request(schedule, busy, TrainingRun.Trigger.LABELS, f"{new} new labels")
    else:
        result = _request(schedule, busy, TrainingRun.Trigger.SCHEDULE, "nightly")
    RetrainSchedule.objects.filter(pk=schedule.pk).update(
        last_fired_at=timezone.now(), last_result=result[:500]
    )
    logger.info("retrain_checked schedule_id=%s result=%r", schedule.pk, result)
    return result


def _request(schedule: RetrainSchedule, busy: TrainingRun | None, trigger: str, why: str) -> str:
    if busy is not None:
        return f"{why}: run {busy.pk} is {busy.status}, no new run"
    run = training_run_request(task=schedule.task, mode=schedule.mode, trigger=trigger)
    return f"{why}: started run {run.pk}"


def _trained_up_to(task: str) -> int:
    """The highest label id the task's models have seen (see retrain_check)."""
    active = model_version_active(task=task)
    seen = lineage_max_label_id(active.data_snapshot if active else None)
    latest = (
        TrainingRun.objects.filter(task=task, status=TrainingRun.Status.SUCCEEDED)
        .order_by("-finished_at")
        .values_list("data_snapshot", flat=True)
        .first()
    )
    return max(seen, lineage_max_label_id(latest))
