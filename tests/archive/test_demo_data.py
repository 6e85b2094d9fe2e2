"""manage.py load_demo_data: shared DICOM files plus PneumoniaMNIST images wrapped as DX studies."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from archive.models import Instance, Study
from archive.services.demo import (
    DX_FOR_PRESENTATION,
    PNEUMONIA_NPZ,
    dx_dataset,
    labels_csv_path,
    pneumonia_images,
    pneumonia_studies_load,
)
from tests.conftest import readable_dicom_files

DATA_DIR = Path(django_settings.DEMO_DATA_DIR)
NPZ = DATA_DIR / PNEUMONIA_NPZ
TODAY = dt.date(2026, 3, 14)


@pytest.fixture(autouse=True)
def var_dir(settings: object, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    return tmp_path


def load_demo_data(count: int) -> str:
    out = io.StringIO()
    call_command("load_demo_data", "--count", str(count), stdout=out, verbosity=0)
    return out.getvalue()


@pytest.mark.django_db
def test_it_stores_each_instance_once_when_run_twice() -> None:
    shared = set(readable_dicom_files())
    first = load_demo_data(count=20)
    stored = Instance.objects.count()
    second = load_demo_data(count=20)

    assert "refused 0" in first  # malformed/ is passed over, not refused
    assert "PneumoniaMNIST studies: stored 20, already stored 0" in first
    assert f"DICOM files: stored 0, already stored {len(shared)}, refused 0" in second
    assert "PneumoniaMNIST studies: stored 0, already stored 20" in second
    assert Instance.objects.count() == stored
    assert (
        Study.objects.filter(modalities_in_study="DX", study_description="XR CHEST PA").count()
        == 20
    )


@pytest.mark.django_db
def test_it_wraps_each_image_as_a_pa_chest_study_of_a_made_up_child() -> None:
    pneumonia_studies_load(npz_path=NPZ, count=5, today=TODAY)

    studies = Study.objects.select_related("patient").prefetch_related("series__instances")
    assert studies.count() == 5
    assert len({study.patient_id for study in studies}) == 5
    for study in studies:
        patient, (series,) = study.patient, study.series.all()
        (instance,) = series.instances.all()
        family, given = patient.patient_name.split("^")
        assert family and given
        assert patient.patient_id.startswith("DEMO-V")
        assert patient.patient_sex in {"F", "M"}
        birth = dt.datetime.strptime(patient.patient_birth_date, "%Y%m%d").date()
        assert 1 <= (study.study_date - birth).days / 365.25 < 6.2
        assert TODAY - dt.timedelta(days=14) < study.study_date <= TODAY
        assert study.accession_number and study.modalities_in_study == "DX"
        assert (study.num_series, study.num_instances) == (1, 1)
        assert (series.modality, series.body_part_examined) == ("DX", "CHEST")
        assert series.series_description == "Chest PA"
        assert instance.sop_class_uid == DX_FOR_PRESENTATION
        assert (instance.rows, instance.columns, instance.bits_allocated) == (256, 256, 8)
        assert instance.photometric_interpretation == "MONOCHROME2"


@pytest.mark.django_db
def test_it_writes_the_labels_to_a_csv_and_never_into_the_dicom() -> None:
    pneumonia_studies_load(npz_path=NPZ, count=8, today=TODAY)

    with open(labels_csv_path(), newline="") as fp:
        rows = list(csv.DictReader(fp))
    expected = np.load(NPZ)["val_labels"][:8].ravel().tolist()
    assert [int(row["label"]) for row in rows] == expected
    assert {row["study_instance_uid"] for row in rows} == set(
        Study.objects.values_list("study_instance_uid", flat=True)
    )
    for instance in Instance.objects.all():
        text = instance.metadata_json.lower()
        assert "pneumonia" not in text and "normal" not in text


def test_it_takes_the_val_images_first_then_the_train_images() -> None:
    with np.load(NPZ) as arrays:
        num_val = len(arrays["val_images"])
        first_train = arrays["train_images"][0]

    images = list(pneumonia_images(npz_path=NPZ, count=num_val + 2))

    assert [image.split for image in images].count("val") == num_val
    assert (images[-2].split, images[-2].index, images[-1].index) == ("train", 0, 1)
    assert np.array_equal(images[-2].pixels, first_train)


def test_it_derives_the_same_uids_and_patient_from_the_same_image() -> None:
    first, second = list(pneumonia_images(npz_path=NPZ, count=2))

    a, b = dx_dataset(first, today=TODAY), dx_dataset(first, today=TODAY)
    other = dx_dataset(second, today=TODAY)

    for name in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "PatientName"):
        assert a[name].value == b[name].value
    assert a.StudyInstanceUID != other.StudyInstanceUID
    assert a.SOPInstanceUID != other.SOPInstanceUID


@pytest.mark.slow
@pytest.mark.django_db
def test_it_loads_300_images_in_well_under_a_minute() -> None:
    started = time.monotonic()
    summary, _labels = pneumonia_studies_load(npz_path=NPZ, count=300, today=TODAY)

    assert summary.stored == 300
    assert time.monotonic() - started < 45
