"""Training runs in one process: queueing and waiting, the claim and its lease, the run's
phases to a registered inactive candidate, cancel, the sweep, and the HTTP API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from ml.models import ModelVersion, TrainingRun
from ml.training_execute import training_run_execute
from ml.training_runs import (
    training_run_cancel,
    training_run_claim,
    training_run_message,
    training_run_request,
    training_run_waiting_behind,
    training_runs_sweep,
)
from tests.triage.conftest import register, small_model_file  # noqa: F401

TASK = "chest_xray_pneumonia"


@pytest.fixture
def fast(settings, tmp_path: Path) -> None:
    settings.TRAINING_EPOCHS = 2
    settings.TRAINING_SEED_LIMIT = 300
    settings.TRAINING_DIR = tmp_path / "training"


def lapse(run: TrainingRun, *, attempts: int, epoch: int) -> None:
    """As if the run's worker died at `epoch`: running, its lease expired a while ago."""
    TrainingRun.objects.filter(pk=run.pk).update(
        status=TrainingRun.Status.RUNNING,
        lease_owner="gone:1:x",
        lease_expires_at=timezone.now() - dt.timedelta(seconds=5),
        attempts=attempts,
        checkpoint_epoch=epoch,
        sent_at=timezone.now() - dt.timedelta(seconds=60),
    )


@pytest.mark.django_db
def test_a_second_request_waits_behind_the_first_and_says_so(make_user) -> None:
    admin = make_user("admin")
    first = training_run_request(task=TASK, mode="scratch", actor=admin)
    second = training_run_request(task=TASK, mode="scratch", actor=admin)

    assert first.status == second.status == TrainingRun.Status.QUEUED
    assert training_run_waiting_behind(second) == first.pk
    assert training_run_message(second, first.pk) == f"Waiting for run {first.pk} to finish"
    assert training_run_claim(run_id=second.pk, owner="w:1:a") is False  # not its turn
    assert training_run_claim(run_id=first.pk, owner="w:1:a") is True
    assert training_run_claim(run_id=second.pk, owner="w:1:b") is False  # one running per task


@pytest.mark.django_db
def test_a_duplicate_delivery_does_nothing_while_the_lease_is_alive(make_user, settings) -> None:
    settings.TRAINING_LEASE_SECONDS = 60
    run = training_run_request(task=TASK, mode="scratch", actor=make_user("admin"))
    assert training_run_claim(run_id=run.pk, owner="w:1:a")

    assert training_run_execute(run_id=run.pk) == "not claimed"
    run.refresh_from_db()
    assert (run.status, run.lease_owner, run.attempts) == ("running", "w:1:a", 1)


@pytest.mark.django_db
def test_a_run_trains_and_registers_an_inactive_candidate_with_lineage(
    make_user,
    fast,
    small_model_file,  # noqa: F811
) -> None:
    admin = make_user("admin")
    active = register(small_model_file)
    run = training_run_request(task=TASK, mode="fine_tune", actor=admin)

    assert training_run_execute(run_id=run.pk) == "succeeded"

    run.refresh_from_db()
    assert (run.status, run.phase, run.attempts) == ("succeeded", "done", 1)
    assert [h["epoch"] for h in run.history] == [1, 2][: len(run.history)]
    assert set(run.history[0]) >= {"loss", "val_auc", "val_loss", "seconds"}
    candidate = ModelVersion.objects.get(pk=run.candidate_id)
    assert not candidate.is_active and candidate.parent_id == active.pk == run.base_version_id
    assert candidate.created_by_id == admin.pk
    lineage = candidate.data_snapshot
    assert lineage["training_run"] == run.pk
    assert lineage["seed"]["used"] == {"train": 300, "validation": 300, "test": 0}
    assert lineage["archive"]["split_rule"].startswith("archive images")
    assert "registered" in run.log and "epoch 1/2" in run.log
    assert ModelVersion.objects.get(pk=active.pk).is_active


@pytest.mark.django_db
def test_cancel_a_queued_run_at_once_and_a_running_one_after_its_epoch(make_user) -> None:
    admin = make_user("admin")
    queued = training_run_request(task=TASK, mode="scratch", actor=admin)
    assert training_run_cancel(run=queued, actor=admin).status == "cancelled"

    running = training_run_request(task=TASK, mode="scratch", actor=admin)
    assert training_run_claim(run_id=running.pk, owner="w:1:a")
    cancelling = training_run_cancel(run=running, actor=admin)
    assert (cancelling.status, cancelling.cancel_requested) == ("running", True)
    assert training_run_message(cancelling) == "Cancelling after the current epoch"

    from config.errors import Conflict

    with pytest.raises(Conflict):
        training_run_cancel(run=queued, actor=admin)


@pytest.mark.django_db
def test_a_cancelled_run_stops_after_its_current_epoch(make_user, fast, monkeypatch) -> None:
    admin = make_user("admin")
    run = training_run_request(task=TASK, mode="scratch", actor=admin)

    def claim_then_cancel(*, run_id: int, owner: str) -> bool:
        taken = training_run_claim(run_id=run_id, owner=owner)
        training_run_cancel(run=run, actor=admin)  # the admin cancels as it starts
        return taken

    monkeypatch.setattr("ml.training_execute.training_run_claim", claim_then_cancel)
    assert training_run_execute(run_id=run.pk) == "cancelled"

    run.refresh_from_db()
    assert (run.status, run.epoch, run.candidate_id) == ("cancelled", 1, None)
    assert "cancelled after epoch 1" in run.log


@pytest.mark.django_db
def test_the_sweep_resumes_a_run_whose_worker_died_then_gives_up(make_user, settings) -> None:
    settings.TRAINING_MAX_ATTEMPTS = 3
    run = training_run_request(task=TASK, mode="scratch", actor=make_user("admin"))
    lapse(run, attempts=1, epoch=2)

    assert training_runs_sweep()["resumed"] == 1
    run.refresh_from_db()
    assert "worker lost at epoch 2, resuming" in run.log
    assert training_run_claim(run_id=run.pk, owner="w:2:b")  # the new worker takes it over
    run.refresh_from_db()
    assert (run.attempts, run.lease_owner) == (2, "w:2:b")

    lapse(run, attempts=3, epoch=3)
    assert training_runs_sweep()["failed"] == 1
    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", "worker lost; gave up after 3 attempts")


@pytest.mark.django_db
def test_the_api_requests_lists_and_cancels_runs_for_admins_only(client_for) -> None:
    assert client_for("radiologist").get("/api/training/runs").status_code == 403
    assert client_for("annotator").post("/api/training/runs", {"task": TASK}).status_code == 403
    admin = client_for("admin")

    first = admin.post("/api/training/runs", {"task": TASK, "mode": "scratch"}, format="json")
    second = admin.post("/api/training/runs", {"task": TASK, "mode": "scratch"}, format="json")

    assert first.status_code == second.status_code == 202
    body = second.json()
    assert body["waiting_behind"] == first.json()["id"]
    assert body["message"] == f"Waiting for run {first.json()['id']} to finish"
    assert body["requested_by"] == "admin-user" and body["trigger"] == "manual"
    listed = admin.get("/api/training/runs", {"task": TASK}).json()
    assert [r["id"] for r in listed] == [body["id"], first.json()["id"]]
    detail = admin.get(f"/api/training/runs/{body['id']}").json()
    assert "requested" in detail["log"]
    cancelled = admin.post(f"/api/training/runs/{body['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = admin.post(f"/api/training/runs/{body['id']}/cancel")
    assert again.status_code == 409 and "cannot be cancelled" in again.json()["detail"]
    assert admin.get("/api/training/runs/999999").status_code == 404
    bad = admin.post("/api/training/runs", {"task": "nope"}, format="json")
    assert bad.status_code == 400


@pytest.mark.django_db
def test_the_run_list_counts_the_label_ids_that_the_run_itself_lists(client_for) -> None:
    run = TrainingRun.objects.create(
        task=TASK,
        requested_at=timezone.now(),
        data_snapshot={"archive": {"label_ids": [4, 5, 6], "test_label_ids": [7]}},
    )
    admin = client_for("admin")

    listed = admin.get("/api/training/runs", {"task": TASK}).json()[0]["data_snapshot"]
    detail = admin.get(f"/api/training/runs/{run.pk}").json()["data_snapshot"]

    assert listed["archive"] == {"label_count": 3, "test_label_count": 1}
    assert detail["archive"] == {"label_ids": [4, 5, 6], "test_label_ids": [7]}


@pytest.mark.django_db
def test_the_sweep_cancels_a_lost_run_an_admin_was_cancelling(make_user) -> None:
    admin = make_user("admin")
    run = training_run_request(task=TASK, mode="scratch", actor=admin)
    assert training_run_claim(run_id=run.pk, owner="w:1:a")
    training_run_cancel(run=run, actor=admin)
    lapse(run, attempts=1, epoch=1)

    assert training_runs_sweep()["cancelled"] == 1
    run.refresh_from_db()
    assert (run.status, run.error) == ("cancelled", "")
    assert "cancelled (its worker was lost)" in run.log
