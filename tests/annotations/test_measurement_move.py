"""Measurement moved from triage to annotations and StudyRead lost its label columns: the
migrations keep every measurement (same ids) and every read's label, and go back (run here on a
fresh SQLite database; the table rename is the same on PostgreSQL); the reading API is
unchanged (tests/triage/test_reading_api.py)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as current_apps

from annotations.models import Measurement

ROOT = Path(__file__).resolve().parents[2]
BEFORE = [
    ("triage", "0003_worklist_sort_indexes"),
    ("annotations", "0003_seed_label_schema_v1"),
]


def test_measurements_are_annotations_models_in_the_renamed_table():
    assert Measurement._meta.db_table == "annotations_measurement"
    with pytest.raises(LookupError):
        current_apps.get_model("triage", "Measurement")
    names = {field.name for field in current_apps.get_model("triage", "StudyRead")._meta.fields}
    assert not names & {"label_task", "label_value"}


@pytest.mark.slow
def test_the_migrations_keep_measurements_and_read_labels(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "VAR_DIR": str(tmp_path / "var"),
    }
    code = (
        "import django; django.setup(); "
        "from tests.annotations.test_measurement_move import migrate_through; migrate_through()"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )

    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["after"] == {
        "id": seen["before_id"],
        "annotation_uid": "a-1",
        "data": {"handles": [1, 2]},
        "summary": "23.4 mm",
    }
    assert seen["read_label"] == ["chest_xray_pneumonia", "radiologist_read", seen["read_value"]]
    assert seen["next_id"] > seen["before_id"]
    assert seen["back_in_triage"] is True and seen["forward_again"] is True


def migrate_through() -> None:
    """In a fresh database (the caller's settings): migrate to before the move, store a
    measurement and a labelled read, migrate to the end, and print what came through."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from ml.core.tasks import CHEST_XRAY_PNEUMONIA

    for app, name in BEFORE:
        call_command("migrate", app, name, verbosity=0)
    old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    user = old.get_model("auth", "User").objects.create(username="reader")
    instance = _instance(old)
    study = instance.series.study
    measurement = old.get_model("triage", "Measurement").objects.create(
        user=user, study=study, annotation_uid="a-1", tool="Length", instance=instance,
        data={"handles": [1, 2]}, summary="23.4 mm",
    )  # fmt: skip
    value = CHEST_XRAY_PNEUMONIA.positive_class.key
    _read(old, study, user, value)
    call_command("migrate", verbosity=0)

    from annotations.models import Label, Measurement

    moved = Measurement.objects.get(pk=measurement.pk)
    label = Label.objects.get(study_id=study.pk)
    later = Measurement.objects.create(
        user_id=user.pk, study_id=study.pk, annotation_uid="a-2", tool="Angle",
        instance_id=instance.pk, data={},
    )  # fmt: skip
    call_command("migrate", "triage", "0004", verbosity=0)
    back = old.get_model("triage", "Measurement").objects.filter(pk=measurement.pk).exists()
    call_command("migrate", verbosity=0)
    print(
        json.dumps(
            {
                "before_id": measurement.pk,
                "after": {
                    "id": moved.pk,
                    "annotation_uid": moved.annotation_uid,
                    "data": moved.data,
                    "summary": moved.summary,
                },
                "read_label": [label.task, label.source, label.value],
                "read_value": value,
                "next_id": later.pk,
                "back_in_triage": back,
                "forward_again": Measurement.objects.filter(pk=measurement.pk).exists(),
            }
        )
    )


def _instance(old: Any) -> Any:
    now = dt.datetime.now(dt.UTC)
    patient = old.get_model("archive", "Patient").objects.create(patient_id="P-1")
    study = old.get_model("archive", "Study").objects.create(
        study_instance_uid="1.2.3", patient=patient, last_instance_at=now
    )
    series = old.get_model("archive", "Series").objects.create(
        series_instance_uid="1.2.3.4", study=study
    )
    return old.get_model("archive", "Instance").objects.create(
        sop_instance_uid="1.2.3.4.5", series=series, sop_class_uid="1.2.840.10008.5.1.4.1.1.1.1",
        transfer_syntax_uid="1.2.840.10008.1.2.1", file="dicom/x.dcm", file_size=1, sha256="0",
        metadata_json="{}",
    )  # fmt: skip


def _read(old: Any, study: Any, user: Any, value: str) -> None:
    """A read made before the label store, holding its label in StudyRead's columns."""
    now = dt.datetime.now(dt.UTC)
    entry = old.get_model("triage", "WorklistEntry").objects.create(
        study=study, status="read", clinical_priority="ROUTINE", clinical_reason="-",
        received_at=now, stable_at=now, due_at=now, fifo_due_at=now, ai_status="positive",
    )  # fmt: skip
    old.get_model("triage", "StudyRead").objects.create(
        entry=entry, reader=user, opened_at=now, read_at=now, duration_seconds=5,
        verdict="ai_right", ai_status="positive", label_task="chest_xray_pneumonia",
        label_value=value,
    )  # fmt: skip
