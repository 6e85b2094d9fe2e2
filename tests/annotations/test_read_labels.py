"""A radiologist's read writes its label into the label store, with its provenance, in the same
transaction as the read. (Migration 0004's copy of earlier reads is tested through the
migrations themselves in test_measurement_move.py, since the read's label columns are gone.)"""

from __future__ import annotations

import pytest

from annotations.models import Label
from ml.core.tasks import CHEST_XRAY_PNEUMONIA
from tests.triage.studies import score_now, waiting_study
from triage.models import StudyRead, WorklistEntry

pytestmark = pytest.mark.django_db


def flagged_study():
    study = score_now(waiting_study(0, minutes_ago=3))
    WorklistEntry.objects.filter(study=study).update(ai_status="positive")
    return study


def test_a_read_stores_exactly_one_label_with_its_provenance(active_model, client_for):
    client = client_for("radiologist")
    uid = flagged_study().study_instance_uid
    client.post(f"/api/worklist/{uid}/claim")

    response = client.post(f"/api/worklist/{uid}/read", {"verdict": "ai_wrong"}, format="json")

    assert response.status_code == 200, response.content
    read = StudyRead.objects.get()
    label = Label.objects.get()
    assert (label.task, label.kind, label.value) == (
        CHEST_XRAY_PNEUMONIA.name,
        "class",
        CHEST_XRAY_PNEUMONIA.negative_class.key,
    )
    assert label.source == "radiologist_read" and label.author == read.reader
    assert label.study == read.entry.study and label.instance is None
    assert label.model_version == active_model
    assert label.model_probability == read.ai_probability is not None
    assert label.seconds_spent == read.duration_seconds
    assert label.created_at == read.read_at and label.schema_version == 1


def test_a_read_without_an_ai_answer_stores_no_label(client_for):
    client = client_for("radiologist")
    uid = waiting_study(0).study_instance_uid

    response = client.post(f"/api/worklist/{uid}/read", {"verdict": None}, format="json")

    assert response.status_code == 200, response.content
    assert StudyRead.objects.count() == 1 and not Label.objects.exists()


def test_a_read_whose_label_is_refused_leaves_nothing_behind(active_model, client_for, monkeypatch):
    # A class the registry does not know (as if the model's task had lost it).
    monkeypatch.setattr("triage.services.reads._label", lambda entry, verdict: "effusion")
    client = client_for("radiologist")
    study = flagged_study()

    response = client.post(
        f"/api/worklist/{study.study_instance_uid}/read", {"verdict": "ai_right"}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "effusion" in response.content.decode()
    assert not StudyRead.objects.exists() and not Label.objects.exists()
    assert WorklistEntry.objects.get(study=study).status == WorklistEntry.Status.WAITING
