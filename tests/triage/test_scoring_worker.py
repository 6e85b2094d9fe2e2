"""Scoring end to end with real processes: the DICOM listener, a Celery worker on Redis for the
archive's stability checks, and an inference worker. Killing the inference worker mid-task
loses nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pydicom
import pytest

from archive.models import Study
from tests.archive.test_cstore import listener, storescu, transfer_syntax_of  # noqa: F401
from tests.conftest import SHARED_DICOM
from tests.processes import wait_until
from tests.triage.conftest import inference_worker_process
from tests.triage.studies import chest_images, dx_bytes, stable, store
from triage.models import ImageFinding, StudyScoring, WorklistEntry
from triage.services.scoring import scorings_sweep

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CHEST_CR = SHARED_DICOM / "cr_dx" / "wg04_RG1_chest_CR_uncompressed.dcm"


def scored_entries(count: int, client) -> list[dict]:
    def ready():
        page = client.get("/api/worklist").json()
        done = [row for row in page["results"] if row["ai"]["status"] in {"positive", "negative"}]
        return page["results"] if len(done) == count else None

    return wait_until(ready, what=f"{count} scored studies on the worklist", timeout=90)


def test_a_study_sent_by_storescu_is_scored_and_placed_with_its_reasons(
    celery_worker,
    listener,  # noqa: F811 - the fixture imported above
    active_model,
    client_for,
):
    with tempfile.TemporaryDirectory() as tmp:
        dx = Path(tmp) / "dx.dcm"
        dx.write_bytes(dx_bytes(chest_images()[0]))
        with inference_worker_process():
            storescu(listener, [CHEST_CR], transfer_syntax_of(CHEST_CR))
            storescu(listener, [dx], transfer_syntax_of(dx))
            client = client_for("radiologist")
            rows = scored_entries(2, client)

    assert [row["due_at"] for row in rows] == sorted(row["due_at"] for row in rows)
    for row in rows:
        assert row["scored_at"] >= row["stable_at"] >= row["received_at"]
        assert row["ai"]["model"] == active_model.label
        assert any(active_model.label in reason for reason in row["reasons"])
        detail = client.get(row["url"]).json()
        [finding] = detail["findings"]
        assert finding["applicable"] and finding["heatmap_url"]
        assert client.get(finding["heatmap_url"]).status_code == 200
    cr_uid = str(pydicom.dcmread(CHEST_CR, stop_before_pixels=True).StudyInstanceUID)
    assert cr_uid in {row["study_instance_uid"] for row in rows}


def test_killing_the_inference_worker_mid_task_loses_nothing(active_model, settings):
    with inference_worker_process() as first:
        study = stable(store(dx_bytes(chest_images()[0])))
        # A fresh worker claims the scoring, then spends seconds loading TensorFlow and the
        # model: it is killed there, as by a crash or an OOM kill.
        wait_until(
            lambda: StudyScoring.objects.filter(study=study, status="running").exists(),
            what="the worker claiming the scoring",
            interval=0.01,
            process=first,
        )
        first.kill()
        first.wait()
    orphan = StudyScoring.objects.get(study=study)
    assert orphan.status == StudyScoring.Status.RUNNING
    assert not ImageFinding.objects.filter(scoring=orphan).exists()

    settings.TRIAGE_SCORING_STALE_SECONDS = 0  # the sweep takes the claim as dead at once
    with inference_worker_process():
        report = scorings_sweep()
        done = wait_until(
            lambda: StudyScoring.objects.filter(pk=orphan.pk, status="done").first(),
            what="the scoring done after restart",
            timeout=90,
        )

    assert report.requeued_stale == 1 and report.sent == 1
    assert done.attempts == 2
    assert ImageFinding.objects.filter(scoring=done).count() == 1
    assert WorklistEntry.objects.get(study=study).ai_status in {"positive", "negative"}


def test_a_study_stored_while_the_broker_is_down_is_scored_once_it_is_back(
    active_model, monkeypatch
):
    from kombu.exceptions import OperationalError

    from triage.tasks import study_score_task

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as patch:
        patch.setattr(study_score_task, "apply_async", broker_down)
        study = stable(store(dx_bytes(chest_images()[1])))
    unsent = StudyScoring.objects.get(study=study)
    assert unsent.status == StudyScoring.Status.QUEUED and unsent.sent_at is None

    with inference_worker_process():
        report = scorings_sweep()
        wait_until(
            lambda: StudyScoring.objects.filter(pk=unsent.pk, status="done").exists(),
            what="the scoring done once the broker is back",
            timeout=90,
        )
    assert report.sent == 1
    assert Study.objects.get(pk=study.pk).worklist_entry.scored_at is not None
