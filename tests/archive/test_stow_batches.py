"""A STOW-RS request's instances are indexed together; what a sender sees must not change."""

from __future__ import annotations

import pydicom
import pytest

from archive.dicomweb import stow_apis
from archive.models import Instance, Series, Study
from archive.services import index_writes
from tests.archive.stow_helpers import (
    failed_reasons,
    multipart_body,
    multipart_body_of_files,
    referenced_uids,
)
from tests.conftest import SHARED_DICOM

MR_SERIES = sorted((SHARED_DICOM / "mr" / "qin_prostate_adc_20slices").glob("*.dcm"))


def stow(client, paths):
    body, content_type = multipart_body_of_files(paths)
    return client.generic("POST", "/dicomweb/studies", data=body, content_type=content_type)


@pytest.fixture
def sender(client_for):
    return client_for("modality")


@pytest.mark.django_db
def test_a_series_larger_than_one_batch_is_stored_whole(sender, monkeypatch):
    monkeypatch.setattr(stow_apis, "BATCH_SIZE", 6)

    response = stow(sender, MR_SERIES)

    assert response.status_code == 200
    assert len(referenced_uids(response.json())) == 20
    study = Study.objects.get()
    assert (study.num_series, study.num_instances) == (1, 20)
    assert Series.objects.get().num_instances == 20
    assert Instance.objects.count() == 20


@pytest.mark.django_db
def test_a_resent_study_with_new_instances_counts_each_once(sender):
    stow(sender, MR_SERIES[:8])

    response = stow(sender, MR_SERIES[4:12])

    assert response.status_code == 200
    assert referenced_uids(response.json()) == [
        pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID for p in MR_SERIES[4:12]
    ]
    assert Study.objects.get().num_instances == 12
    assert Instance.objects.count() == 12


@pytest.mark.django_db
def test_an_instance_whose_series_belongs_to_another_study_is_refused_alone(sender, tmp_path):
    stow(sender, MR_SERIES[:1])
    stray = pydicom.dcmread(MR_SERIES[1])
    stray.StudyInstanceUID = pydicom.uid.generate_uid()  # same series UID, another study
    stray.save_as(tmp_path / "stray.dcm")

    response = stow(sender, [MR_SERIES[2], tmp_path / "stray.dcm", MR_SERIES[3]])

    assert response.status_code == 202
    [(code, reason)] = failed_reasons(response.json())
    assert code == 0xA900 and "another study" in reason
    assert len(referenced_uids(response.json())) == 2
    assert Study.objects.get().num_instances == 3


@pytest.mark.django_db
def test_a_concurrent_insert_of_the_same_instance_falls_back_to_one_at_a_time(sender, monkeypatch):
    stow(sender, MR_SERIES[:1])
    # As if another sender stored it between our check and our insert: the batch's check sees
    # nothing; the look-up after the failed insert sees what is stored.
    look_up = index_writes._known_ids
    checks: list[list[str]] = []

    def blind_first_check(uids: list[str]) -> dict:
        checks.append(uids)
        return {} if len(checks) == 1 else look_up(uids)

    monkeypatch.setattr(index_writes, "_known_ids", blind_first_check)

    response = stow(sender, MR_SERIES[:3])

    assert response.status_code == 200
    assert len(referenced_uids(response.json())) == 3
    assert Instance.objects.count() == 3
    assert Study.objects.get().num_instances == 3


@pytest.mark.django_db
def test_refused_and_stored_parts_keep_their_order_of_arrival(sender):
    good = [p.read_bytes() for p in MR_SERIES[:2]]
    body, content_type = multipart_body([good[0], b"not dicom at all", good[1]])

    response = sender.generic("POST", "/dicomweb/studies", data=body, content_type=content_type)

    assert response.status_code == 202
    assert referenced_uids(response.json()) == [
        pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID for p in MR_SERIES[:2]
    ]
    assert "Not a DICOM Part 10 file" in failed_reasons(response.json())[0][1]
