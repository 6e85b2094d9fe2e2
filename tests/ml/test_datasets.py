"""The retraining data: the fixed patient-hash split, which labels train, and the test set."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest

from annotations.models import Label
from archive.models import Study
from ml.core.splits import split_key, split_of
from ml.datasets import DEMO_WRAPPED, fixed_test_set, training_snapshot, usable_labels_new_count
from tests.triage.studies import chest_images, dx_bytes, store

TASK = "chest_xray_pneumonia"


def patient_in(split: str, start: int = 0) -> str:
    """A patient id whose hash puts it in `split`."""
    n = start
    while split_of(split_key(patient_id=f"P{n}", issuer="H", study_instance_uid="")) != split:
        n += 1
    return f"P{n}"


def new_study(n: int, patient_id: str, **attributes: Any) -> Study:
    """Chest image n as a study of a new hospital (not the demo's UIDs), for patient_id."""
    uid = f"1.2.826.0.1.3680043.10.{n}.{patient_id.removeprefix('P')}"
    return store(
        dx_bytes(
            chest_images()[n],
            PatientID=patient_id,
            IssuerOfPatientID="H",
            StudyInstanceUID=f"{uid}.1",
            SeriesInstanceUID=f"{uid}.2",
            SOPInstanceUID=f"{uid}.3",
            **attributes,
        )
    )


def label(study: Study, value: str, source: str, author: Any = None, **extra: Any) -> Label:
    return Label.objects.create(
        task=TASK, study=study, kind="class", value=value, source=source, author=author, **extra
    )


def test_the_split_is_fixed_by_patient_in_seventy_fifteen_fifteen() -> None:
    keys = [split_key(patient_id=f"id{i}", issuer="", study_instance_uid="") for i in range(20000)]
    shares = Counter(split_of(key) for key in keys)
    assert abs(shares["train"] / 20000 - 0.70) < 0.01
    assert abs(shares["validation"] / 20000 - 0.15) < 0.01
    assert abs(shares["test"] / 20000 - 0.15) < 0.01
    # The same patient, whatever the study; the study when there is no patient id.
    assert split_key(patient_id="X1", issuer="H", study_instance_uid="1.2.3") == split_key(
        patient_id="X1", issuer="H", study_instance_uid="9.9.9"
    )
    assert split_key(patient_id=" ", issuer="", study_instance_uid="1.2.3") == "study:1.2.3"


@pytest.mark.django_db
def test_the_fixed_test_set_is_the_seed_test_split_when_there_are_no_labels() -> None:
    first, second = fixed_test_set(TASK), fixed_test_set(TASK)
    assert first.sha256 == second.sha256
    assert len(first) == len(first.labels) == first.images.shape[0] > 600
    assert first.images.dtype == np.float32 and first.images.shape[1:] == (28, 28, 1)
    assert set(np.unique(first.labels)) == {0, 1}
    assert first.keys[0].startswith("seed:")


@pytest.mark.django_db
def test_test_split_labels_never_train_and_join_the_test_set(make_user) -> None:
    reader = make_user("radiologist")
    before = fixed_test_set(TASK)
    train_study = new_study(0, patient_in("train"))
    test_study = new_study(1, patient_in("test"))
    label(train_study, "pneumonia", "radiologist_read", reader)
    test_label = label(test_study, "normal", "radiologist_read", reader)

    snapshot = training_snapshot(TASK, seed_limit=200)

    archive = snapshot.lineage["archive"]
    assert archive["frames"] == {"train": 1, "validation": 0, "test": 1}
    assert test_label.pk not in archive["label_ids"]
    assert archive["test_label_ids"] == [test_label.pk]
    assert snapshot.size("train") == 201 and snapshot.size("validation") == 200
    assert snapshot.test_set.keys[-1].startswith("archive:")
    assert snapshot.test_set.sha256 != before.sha256
    assert snapshot.test_set.sha256 == fixed_test_set(TASK).sha256
    assert len(snapshot.test_set) == len(before) + 1


@pytest.mark.django_db
def test_one_label_per_target_adjudicated_beats_a_read_beats_an_import(make_user) -> None:
    reader, annotator = make_user("radiologist"), make_user("annotator")
    study = new_study(2, patient_in("train"))
    imported = label(new_study(3, patient_in("train", 50)), "normal", "imported")
    label(study, "normal", "imported")
    label(study, "normal", "radiologist_read", reader)
    adjudicated = label(study, "pneumonia", "adjudicated", reader)
    label(study, "normal", "annotator", annotator)  # not adjudicated: never trains

    archive = training_snapshot(TASK, seed_limit=100).lineage["archive"]

    assert archive["label_ids"] == sorted([adjudicated.pk, imported.pk])
    assert archive["counts"] == {
        "adjudicated": {"pneumonia": {"train": 1}},
        "imported": {"normal": {"train": 1}},
    }
    assert archive["max_label_id"] == adjudicated.pk
    assert usable_labels_new_count(task=TASK, after_id=imported.pk) == 3


@pytest.mark.django_db
def test_images_that_cannot_be_used_are_left_out_and_counted(make_user) -> None:
    reader = make_user("radiologist")
    label(new_study(4, patient_in("train"), Modality="CT"), "normal", "radiologist_read", reader)
    demo = store(dx_bytes(chest_images()[5]))  # the demo's own wrapping of a seed image
    label(demo, "normal", "radiologist_read", reader)

    archive = training_snapshot(TASK, seed_limit=100).lineage["archive"]

    assert archive["frames"] == {"train": 0, "validation": 0, "test": 0}
    assert archive["left_out"] == {DEMO_WRAPPED: 1, "modality CT is not a chest radiograph": 1}


@pytest.mark.django_db
def test_an_image_label_beats_its_study_label(make_user) -> None:
    reader = make_user("radiologist")
    study = new_study(6, patient_in("train", 200))
    instance = study.series.get().instances.get()
    label(study, "normal", "adjudicated", reader)
    image_label = label(study, "pneumonia", "radiologist_read", reader, instance=instance)

    snapshot = training_snapshot(TASK, seed_limit=100)

    assert snapshot.lineage["archive"]["label_ids"] == [image_label.pk]
    assert snapshot.size("train") == 101
    assert snapshot.arrays["train"][1][-1] == 1  # pneumonia


@pytest.mark.django_db
def test_a_resumed_snapshot_leaves_out_labels_made_after_its_start(make_user) -> None:
    reader = make_user("radiologist")
    first = label(new_study(7, patient_in("train", 300)), "normal", "radiologist_read", reader)
    label(new_study(8, patient_in("train", 400)), "pneumonia", "radiologist_read", reader)

    archive = training_snapshot(TASK, seed_limit=100, up_to_label_id=first.pk).lineage["archive"]

    assert archive["label_ids"] == [first.pk] and archive["max_label_id"] == first.pk
