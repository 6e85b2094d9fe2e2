"""A radiologist's read writes its label into the label store, with its provenance, in the same
transaction as the read; and the reads made before the store existed are copied into it."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from annotations.models import Label
from ml.core.tasks import CHEST_XRAY_PNEUMONIA
from tests.triage.studies import score_now, waiting_study
from triage.models import StudyRead, WorklistEntry

pytestmark = pytest.mark.django_db
MIGRATION = importlib.import_module("triage.migrations.0004_read_labels_to_annotations")


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


def test_the_migration_copies_every_labelled_read_into_the_store(active_model, make_user):
    reader = make_user("radiologist")
    labelled, unlabelled = flagged_study(), waiting_study(1)
    read = StudyRead.objects.create(
        entry=labelled.worklist_entry,
        reader=reader,
        opened_at=labelled.received_at,
        read_at=labelled.received_at,
        duration_seconds=12.5,
        verdict="ai_right",
        ai_status="positive",
        ai_probability=0.91,
        model_version=active_model,
        label_task=CHEST_XRAY_PNEUMONIA.name,
        label_value=CHEST_XRAY_PNEUMONIA.positive_class.key,
    )
    StudyRead.objects.create(
        entry=unlabelled.worklist_entry,
        reader=reader,
        opened_at=unlabelled.received_at,
        read_at=unlabelled.received_at,
        duration_seconds=3,
        ai_status="not_applicable",
    )

    MIGRATION.labels_from_reads(apps, None)

    label = Label.objects.get()
    assert (label.task, label.value, label.kind, label.source) == (
        read.label_task,
        read.label_value,
        "class",
        "radiologist_read",
    )
    assert label.study == labelled and label.author == reader
    assert label.created_at == read.read_at and label.seconds_spent == 12.5
    assert label.model_version == active_model and label.model_probability == 0.91
    assert label.schema_version == 1

    MIGRATION.labels_from_reads_undo(apps, None)
    assert not Label.objects.exists()
