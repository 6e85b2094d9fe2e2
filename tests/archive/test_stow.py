"""STOW-RS: what a sending PACS or modality sees when it stores instances."""

from __future__ import annotations

import pydicom
import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from django.core.files.storage import default_storage

from archive.models import Instance, Study
from tests.archive.stow_helpers import (
    failed_reasons,
    multipart_body,
    multipart_body_of_files,
    referenced_uids,
)
from tests.conftest import SHARED_DICOM, malformed_dicom_files

CT_SMALL = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"
MR_SMALL = SHARED_DICOM / "mr" / "pydicom_MR_small.dcm"
CT_SERIES = sorted((SHARED_DICOM / "ct" / "dcmqi_ct_3slice").glob("*.dcm"))  # 1.5 MB: chunked


def stow(client, body: bytes, content_type: str, url: str = "/dicomweb/studies"):
    return client.generic("POST", url, data=body, content_type=content_type)


@pytest.fixture
def sender(client_for):
    return client_for("modality")


@pytest.mark.django_db(transaction=True)
def test_dicomweb_client_stores_a_series_and_gets_its_references(archive_server, make_user):
    from accounts.services import token_issue

    make_user("modality", "ct-scanner")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token_issue(username='ct-scanner')}"
    client = DICOMwebClient(f"{archive_server}/dicomweb", session=session)

    response = client.store_instances([pydicom.dcmread(p) for p in CT_SERIES])

    stored = [item.ReferencedSOPInstanceUID for item in response.ReferencedSOPSequence]
    assert sorted(stored) == sorted(pydicom.dcmread(p).SOPInstanceUID for p in CT_SERIES)
    study = Study.objects.get()
    assert (study.num_series, study.num_instances, study.modalities_in_study) == (1, 3, "CT")
    assert response.RetrieveURL == f"{archive_server}/dicomweb/studies/{study.study_instance_uid}"


@pytest.mark.django_db
def test_it_keeps_the_original_bytes(sender):
    body, content_type = multipart_body_of_files([CT_SMALL])

    assert stow(sender, body, content_type).status_code == 200

    instance = Instance.objects.get()
    with default_storage.open(instance.file.name, "rb") as stored:
        assert stored.read() == CT_SMALL.read_bytes()


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["application/dicom+json", "application/json", "*/*"])
def test_it_answers_clients_that_ask_for_dicom_json(sender, accept):
    body, content_type = multipart_body_of_files([CT_SMALL])

    response = sender.generic(
        "POST", "/dicomweb/studies", data=body, content_type=content_type, HTTP_ACCEPT=accept
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/dicom+json"
    assert len(referenced_uids(response.json())) == 1


@pytest.mark.django_db
def test_the_same_instance_sent_twice_is_stored_once(sender):
    body, content_type = multipart_body_of_files([CT_SMALL, CT_SMALL])

    first = stow(sender, body, content_type)
    second = stow(sender, body, content_type)

    assert (first.status_code, second.status_code) == (200, 200)
    assert len(referenced_uids(second.json())) == 2
    assert Instance.objects.count() == 1
    assert Study.objects.get().num_instances == 1
    assert len(default_storage.listdir(f"dicom/{Study.objects.get().study_instance_uid}")[0]) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("bad_file", malformed_dicom_files(), ids=lambda p: p.name)
def test_a_malformed_file_is_refused_with_its_reason_and_the_rest_is_stored(sender, bad_file):
    body, content_type = multipart_body_of_files([CT_SMALL, bad_file, MR_SMALL])

    response = stow(sender, body, content_type)

    assert response.status_code == 202
    assert response["Content-Type"] == "application/dicom+json"
    [(code, reason)] = failed_reasons(response.json())
    assert code in (0xC000, 0xA900, 0xC122, 0x0110)
    assert len(reason) > 20
    assert len(referenced_uids(response.json())) == 2
    assert Instance.objects.count() == 2


@pytest.mark.django_db
def test_all_refused_is_409(sender):
    body, content_type = multipart_body_of_files(malformed_dicom_files()[:3])

    response = stow(sender, body, content_type)

    assert response.status_code == 409
    assert len(failed_reasons(response.json())) == 3
    assert Instance.objects.count() == 0


@pytest.mark.django_db
def test_an_instance_of_another_study_is_refused_on_the_study_url(sender):
    other_study = pydicom.dcmread(MR_SMALL).StudyInstanceUID
    body, content_type = multipart_body_of_files([CT_SMALL])

    response = stow(sender, body, content_type, url=f"/dicomweb/studies/{other_study}")

    assert response.status_code == 409
    [(code, reason)] = failed_reasons(response.json())
    assert code == 0xA900 and "does not match" in reason


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type",
    [
        "application/dicom",
        "multipart/form-data; boundary=x",
        'multipart/related; type="application/dicom+json"; boundary=x',
        'multipart/related; type="application/dicom"',
    ],
)
def test_a_body_that_is_not_multipart_related_dicom_gets_415(sender, content_type):
    response = stow(sender, CT_SMALL.read_bytes(), content_type)

    assert response.status_code == 415
    assert "multipart/related" in response.json()["detail"] or "type" in response.json()["detail"]


@pytest.mark.django_db
def test_a_body_cut_short_stores_the_complete_parts(sender):
    body, content_type = multipart_body_of_files([CT_SMALL, MR_SMALL])
    cut = body[: body.rindex(b"--") - 2000]  # ends inside the second part

    response = stow(sender, cut, content_type)

    assert response.status_code == 202
    assert Instance.objects.count() == 1
    [(_, reason)] = failed_reasons(response.json())
    assert "ended before" in reason


@pytest.mark.django_db
def test_a_part_that_is_not_dicom_is_refused(sender):
    body, content_type = multipart_body([b"hello"], part_type="text/plain")

    response = stow(sender, body, content_type)

    assert response.status_code == 409
    [(_, reason)] = failed_reasons(response.json())
    assert "text/plain" in reason


@pytest.mark.django_db
def test_a_failure_while_indexing_leaves_neither_row_nor_file(sender, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(Instance.objects, "bulk_create", crash)
    body, content_type = multipart_body_of_files([CT_SMALL])

    response = stow(sender, body, content_type)

    assert response.status_code == 409
    assert failed_reasons(response.json())[0][0] == 0x0110
    assert not Instance.objects.exists() and not Study.objects.exists()
    ds = pydicom.dcmread(CT_SMALL, stop_before_pixels=True)
    series_dir = f"dicom/{ds.StudyInstanceUID}/{ds.SeriesInstanceUID}"
    assert not default_storage.exists(series_dir) or default_storage.listdir(series_dir)[1] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,status",
    [
        (None, 401),
        ("annotator", 403),
        ("radiologist", 403),
        ("reviewer", 403),
        ("admin", 200),
        ("modality", 200),
    ],
)
def test_only_admins_and_modalities_may_store(client_for, role, status):
    body, content_type = multipart_body_of_files([CT_SMALL])

    assert stow(client_for(role), body, content_type).status_code == status


@pytest.mark.django_db
def test_the_recorded_checksum_is_that_of_the_stored_bytes(sender):
    import hashlib

    body, content_type = multipart_body_of_files([CT_SMALL, MR_SMALL])

    assert stow(sender, body, content_type).status_code == 200

    for instance in Instance.objects.all():
        with default_storage.open(instance.file.name, "rb") as stored:
            assert instance.sha256 == hashlib.sha256(stored.read()).hexdigest()


@pytest.mark.django_db
def test_an_index_failure_names_each_instance_it_failed(sender, monkeypatch):
    # Issue 10, item 9: a client must be able to tell which instances to send again.
    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(Instance.objects, "bulk_create", crash)
    body, content_type = multipart_body_of_files([CT_SMALL, MR_SMALL])

    response = stow(sender, body, content_type)

    assert response.status_code == 409
    failed = response.json()["00081198"]["Value"]
    named = {item["00081155"]["Value"][0]: item["00081150"]["Value"][0] for item in failed}
    for path in (CT_SMALL, MR_SMALL):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        assert named[ds.SOPInstanceUID] == ds.SOPClassUID
