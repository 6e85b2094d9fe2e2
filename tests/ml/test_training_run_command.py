"""manage.py retrain: queues a run (trigger "command"), prints its id, follows it with --wait."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from ml.models import TrainingRun

TASK = "chest_xray_pneumonia"


@pytest.mark.django_db
def test_retrain_queues_a_run_and_prints_its_id() -> None:
    out = io.StringIO()
    call_command("retrain", "--task", TASK, "--mode", "scratch", stdout=out)
    run = TrainingRun.objects.get()
    assert out.getvalue().strip() == str(run.pk)
    assert (run.trigger, run.mode, run.status) == ("command", "scratch", "queued")


@pytest.mark.django_db
def test_retrain_refuses_an_unknown_task() -> None:
    with pytest.raises(CommandError, match="not a registered task"):
        call_command("retrain", "--task", "knee_mri", stdout=io.StringIO())
    assert not TrainingRun.objects.exists()


@pytest.mark.django_db
def test_retrain_wait_exits_non_zero_when_the_run_fails(monkeypatch) -> None:
    from ml import training_runs

    request = training_runs.training_run_request

    def request_then_fail(**kwargs: object) -> TrainingRun:
        run = request(**kwargs)  # as if a worker took it and it failed at once
        TrainingRun.objects.filter(pk=run.pk).update(status="failed", error="disk full")
        return run

    monkeypatch.setattr("ml.management.commands.retrain.training_run_request", request_then_fail)
    out = io.StringIO()
    with pytest.raises(CommandError, match="failed: disk full"):
        call_command("retrain", "--task", TASK, "--wait", stdout=out)
    assert "Failed: disk full" in out.getvalue()
