"""Celery tasks of the retraining loop: a training run (training queue), the runs' sweep, and
the retraining schedules' check (both on the default queue)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings


@shared_task(
    name="ml.training_run",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=int(settings.TRAINING_TIME_LIMIT * 0.95),
    time_limit=settings.TRAINING_TIME_LIMIT,
)
def training_run_task(run_id: int) -> str:
    """Run training run `run_id` (ml.training_execute). Safe to receive twice: the claim lets
    one delivery through while the run's lease is alive; the sweep owns recovery."""
    from ml.training_execute import training_run_execute

    return training_run_execute(run_id=run_id)


@shared_task(name="ml.training_runs_sweep", ignore_result=True)
def training_runs_sweep_task() -> dict[str, int]:
    """Resume or fail runs whose worker died; re-send lost messages (ml.training_runs)."""
    from ml.training_runs import training_runs_sweep

    return training_runs_sweep()


@shared_task(name="ml.retrain_check", ignore_result=True)
def retrain_check_task(schedule_id: int) -> str:
    """A retraining schedule's beat: request a run when it is due (ml.schedules)."""
    from ml.schedules import retrain_check

    return retrain_check(schedule_id=schedule_id)
