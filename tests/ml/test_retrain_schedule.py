"""Retraining schedules: their beat entries, the check that fires a run, their API, and a
scheduled trigger firing through a real beat and a real worker."""

from __future__ import annotations

import json
import sys

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from ml.models import RetrainSchedule, TrainingRun
from ml.schedules import retrain_check, retrain_schedule_delete, retrain_schedule_save
from tests.ml.test_datasets import label, new_study, patient_in
from tests.processes import product_env, running, wait_until

TASK = "chest_xray_pneumonia"


def labels_schedule(min_new_labels: int = 3) -> RetrainSchedule:
    return retrain_schedule_save(
        task=TASK, kind="labels", min_new_labels=min_new_labels, check_minutes=10, mode="scratch"
    )


def reads(count: int, make_user) -> list[object]:
    reader = make_user("radiologist")
    return [
        label(new_study(n, patient_in("train", 100 * n)), "normal", "radiologist_read", reader)
        for n in range(count)
    ]


@pytest.mark.django_db
def test_a_schedule_keeps_its_beat_entry_in_step() -> None:
    schedule = retrain_schedule_save(task=TASK, kind="nightly", hour=3, minute=30)
    periodic = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert periodic.task == "ml.retrain_check" and periodic.enabled
    assert json.loads(periodic.kwargs) == {"schedule_id": schedule.pk}
    assert (periodic.crontab.hour, periodic.crontab.minute) == ("3", "30")

    retrain_schedule_save(schedule=schedule, kind="labels", check_minutes=20, enabled=False)
    periodic.refresh_from_db()
    assert periodic.crontab is None and not periodic.enabled
    assert (periodic.interval.every, periodic.interval.period) == (20, "minutes")

    retrain_schedule_delete(schedule=schedule)
    assert not PeriodicTask.objects.filter(pk=periodic.pk).exists()


@pytest.mark.django_db
def test_enough_new_labels_request_one_run(make_user) -> None:
    schedule = labels_schedule(min_new_labels=3)
    reads(2, make_user)
    assert retrain_check(schedule_id=schedule.pk) == "2 of 3 new labels: no run"
    assert not TrainingRun.objects.exists()

    reads(1, make_user)
    result = retrain_check(schedule_id=schedule.pk)

    run = TrainingRun.objects.get()
    assert (run.trigger, run.mode, run.status) == ("labels", "scratch", "queued")
    assert result == f"3 new labels: started run {run.pk}"
    assert retrain_check(schedule_id=schedule.pk) == (
        f"3 new labels: run {run.pk} is queued, no new run"
    )
    schedule.refresh_from_db()
    assert schedule.last_fired_at is not None and schedule.last_result.endswith("no new run")


@pytest.mark.django_db
def test_labels_a_finished_run_trained_on_are_not_new(make_user) -> None:
    schedule = labels_schedule(min_new_labels=2)
    seen = reads(2, make_user)
    TrainingRun.objects.create(
        task=TASK,
        status="succeeded",
        requested_at="2026-01-01T00:00Z",
        finished_at="2026-01-01T01:00Z",
        data_snapshot={"archive": {"max_label_id": seen[-1].pk}},
    )
    assert retrain_check(schedule_id=schedule.pk) == "0 of 2 new labels: no run"


@pytest.mark.django_db
def test_a_nightly_schedule_requests_a_run_unless_one_is_queued() -> None:
    schedule = retrain_schedule_save(task=TASK, kind="nightly", mode="fine_tune")
    assert retrain_check(schedule_id=schedule.pk).startswith("nightly: started run")
    assert TrainingRun.objects.get().trigger == "schedule"
    assert retrain_check(schedule_id=schedule.pk).endswith("is queued, no new run")
    assert TrainingRun.objects.count() == 1


@pytest.mark.django_db
def test_the_schedules_api_for_admins_only(client_for) -> None:
    body = {"task": TASK, "kind": "labels", "min_new_labels": 50, "check_minutes": 5}
    assert client_for("reviewer").post("/api/training/schedules", body).status_code == 403
    admin = client_for("admin")

    created = admin.post("/api/training/schedules", body, format="json")
    assert created.status_code == 201
    schedule = created.json()
    assert schedule["min_new_labels"] == 50 and schedule["enabled"] is True
    assert schedule["last_result"] == "" and schedule["mode"] == "fine_tune"
    url = f"/api/training/schedules/{schedule['id']}"
    changed = admin.put(url, {**body, "kind": "nightly", "hour": 1}, format="json").json()
    assert (changed["kind"], changed["hour"]) == ("nightly", 1)
    assert admin.get("/api/training/schedules", {"task": TASK}).json() == [changed]
    wrong = admin.put(url, {**body, "hour": 24, "task": "nope"}, format="json")
    assert wrong.status_code == 400 and set(wrong.json()) >= {"hour"}
    assert admin.post("/api/training/schedules", {**body, "task": "nope"}).status_code == 400
    assert admin.delete(url).json()["id"] == schedule["id"]
    assert admin.delete(url).status_code == 404
    assert not PeriodicTask.objects.filter(task="ml.retrain_check").exists()


@pytest.mark.slow
@pytest.mark.worker
def test_a_scheduled_trigger_fires_with_a_real_beat_and_worker(
    transactional_db: None, celery_worker: object, make_user
) -> None:
    schedule = labels_schedule(min_new_labels=2)
    reads(2, make_user)
    # Every two seconds instead of check_minutes, so the test need not wait minutes.
    every_two, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(pk=schedule.periodic_task_id).update(interval=every_two)
    args = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"]
    args += ["--max-interval=1"]
    with running(args, log_name="beat.log", env=product_env()) as beat:
        run = wait_until(
            lambda: TrainingRun.objects.filter(task=TASK).first(),
            what="a run requested by the schedule",
            timeout=60,
            process=beat,
        )
    assert (run.trigger, run.requested_by) == ("labels", None)
    schedule.refresh_from_db()
    assert schedule.last_result == f"2 new labels: started run {run.pk}"
