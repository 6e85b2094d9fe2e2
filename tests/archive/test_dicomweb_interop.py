"""DICOMweb as clients we did not write use it: OHIF's study list, fuzzy name matching, and
absolute URLs that work when the client's Host header has no port (dicomweb-client's)."""

from __future__ import annotations

import pydicom
import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from pydicom.uid import generate_uid

from tests.archive.dicomweb_helpers import dicomweb_client, uids
from tests.conftest import SHARED_DICOM

CT_SMALL = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"
FILESET = sorted(
    p
    for p in (SHARED_DICOM / "dicomdir_fileset").rglob("*")
    if p.is_file() and p.name != "DICOMDIR"
)
HEADERS = {p: pydicom.dcmread(p, stop_before_pixels=True) for p in FILESET}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def token(archive_server, make_user) -> str:
    from accounts.services import token_issue

    make_user("radiologist", "interop-reader")
    return token_issue(username="interop-reader")


@pytest.fixture
def reader(archive_server, token) -> DICOMwebClient:
    return dicomweb_client(archive_server, token)


def _without_modality(tmp_path):
    """CT_SMALL as a study of its own whose only series has no Modality."""
    ds = pydicom.dcmread(CT_SMALL)
    del ds.Modality
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    path = tmp_path / "no_modality.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def _study(results: list[dict], study_uid: str) -> dict:
    return next(r for r in results if r["0020000D"]["Value"] == [study_uid])


def test_a_study_without_modalities_leaves_them_out_so_ohif_lists_every_study(
    reader, ingest_file, tmp_path
):
    path = _without_modality(tmp_path)
    ingest_file(path)
    ingest_file(CT_SMALL)

    # OHIF's study list (qido.js) asks for these and reads ModalitiesInStudy's Value unchecked.
    studies = reader.search_for_studies(fields=["00081030", "00080060", "00080090", "00100030"])

    bare = _study(studies, uids(path)[0])
    assert "00080061" not in bare
    assert all("Value" in element for tag, element in bare.items() if tag == "00080061")
    assert _study(studies, uids(CT_SMALL)[0])["00080061"]["Value"] == ["CT"]


def test_modalities_asked_for_by_includefield_come_back_even_without_a_value(
    reader, ingest_file, tmp_path
):
    path = _without_modality(tmp_path)
    ingest_file(path)

    studies = reader.search_for_studies(fields=["ModalitiesInStudy"])

    assert _study(studies, uids(path)[0])["00080061"] == {"vr": "CS"}


def _found(reader: DICOMwebClient, **filters: str) -> set[str]:
    return {s["0020000D"]["Value"][0] for s in reader.search_for_studies(search_filters=filters)}


def _studies_named(predicate) -> set[str]:
    return {ds.StudyInstanceUID for ds in HEADERS.values() if predicate(ds)}


@pytest.fixture
def fileset(ingest_file) -> None:
    for path in FILESET:
        ingest_file(path)


@pytest.mark.parametrize("name", ["Doe", "doe", "DOE^", "peter", "Pet", "doe peter"])
def test_fuzzy_matching_finds_names_by_any_component_prefix_whatever_the_case(
    reader, fileset, name
):
    words = name.upper().replace("^", " ").split()
    expected = _studies_named(
        lambda ds: all(
            any(part.startswith(w) for part in str(ds.PatientName).upper().split("^"))
            for w in words
        )
    )

    assert expected
    assert _found(reader, PatientName=name, fuzzymatching="true") == expected


def test_doe_finds_the_six_doe_studies_with_fuzzy_matching_and_none_without(reader, fileset):
    does = _studies_named(lambda ds: str(ds.PatientName).upper().startswith("DOE^"))

    assert len(does) == 6
    assert _found(reader, PatientName="Doe", fuzzymatching="true") == does
    assert _found(reader, PatientName="Doe") == set()
    assert _found(reader, PatientName="Doe", fuzzymatching="false") == set()


def test_fuzzy_matching_a_wildcard_name_matches_literally_and_says_so(
    reader, fileset, archive_server
):
    response = reader._session.get(
        f"{archive_server}/dicomweb/studies",
        params={"PatientName": "Do*", "fuzzymatching": "true"},
    )

    assert response.status_code == 200
    assert len(response.json()) == 6
    assert response.headers["Warning"].startswith("299 ")
    assert "PatientName" in response.headers["Warning"]


def test_fuzzy_matching_without_a_name_to_apply_to_says_so(reader, fileset, archive_server):
    response = reader._session.get(
        f"{archive_server}/dicomweb/studies",
        params={"PatientID": "77654033", "fuzzymatching": "true"},
    )

    assert response.status_code == 200
    assert response.headers["Warning"].startswith("299 ")
    assert "fuzzymatching" in response.headers["Warning"]


def test_an_exact_fuzzy_query_has_no_warning(reader, fileset, archive_server):
    response = reader._session.get(
        f"{archive_server}/dicomweb/studies",
        params={"PatientName": "doe", "fuzzymatching": "true"},
    )

    assert "Warning" not in response.headers


def test_bulk_data_uris_keep_the_port_when_the_host_header_has_none(
    archive_server, token, ingest_file
):
    """dicomweb-client as it is (no adapter putting the port back) sends `Host: 127.0.0.1`."""
    ingest_file(CT_SMALL)
    client = DICOMwebClient(
        f"{archive_server}/dicomweb", headers={"Authorization": f"Bearer {token}"}
    )
    study, series, sop = uids(CT_SMALL)

    metadata = client.retrieve_instance_metadata(study, series, sop)
    uri = metadata["7FE00010"]["BulkDataURI"]

    assert uri.startswith(f"{archive_server}/dicomweb/studies/{study}/")
    assert client.retrieve_bulkdata(uri) == [pydicom.dcmread(CT_SMALL).PixelData]
    found = client.search_for_studies(search_filters={"StudyInstanceUID": study})
    assert found[0]["00081190"]["Value"] == [f"{archive_server}/dicomweb/studies/{study}"]


def test_forwarded_headers_are_ignored_unless_the_proxy_is_trusted(
    archive_server, token, ingest_file
):
    """X-Forwarded-Proto is left out: uvicorn applies it before Django for peers in gunicorn's
    FORWARDED_ALLOW_IPS (loopback by default), which a test client on 127.0.0.1 is."""
    ingest_file(CT_SMALL)
    study, _, _ = uids(CT_SMALL)
    response = requests.get(
        f"{archive_server}/dicomweb/studies",
        params={"StudyInstanceUID": study},
        headers={
            "Authorization": f"Bearer {token}",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Port": "8443",
        },
        timeout=30,
    )

    assert response.json()[0]["00081190"]["Value"] == [f"{archive_server}/dicomweb/studies/{study}"]


def test_a_trusted_proxy_names_the_host_port_and_scheme_of_the_urls(
    client_for, ingest_file, settings
):
    settings.USE_X_FORWARDED_HOST = settings.USE_X_FORWARDED_PORT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "pacs.example"]
    ingest_file(CT_SMALL)
    study, series, sop = uids(CT_SMALL)
    forwarded = {
        "HTTP_X_FORWARDED_HOST": "pacs.example",
        "HTTP_X_FORWARDED_PORT": "8443",
        "HTTP_X_FORWARDED_PROTO": "https",
    }
    client = client_for("radiologist")

    found = client.get("/dicomweb/studies", {"StudyInstanceUID": study}, **forwarded)
    metadata = client.get(
        f"/dicomweb/studies/{study}/series/{series}/instances/{sop}/metadata", **forwarded
    )

    root = "https://pacs.example:8443/dicomweb"
    assert found.json()[0]["00081190"]["Value"] == [f"{root}/studies/{study}"]
    assert metadata.json()[0]["7FE00010"]["BulkDataURI"].startswith(f"{root}/studies/{study}/")


def test_stow_answers_with_a_retrieve_url_that_keeps_the_port(archive_server, make_user):
    from accounts.services import token_issue

    make_user("modality", "interop-device")
    token = token_issue(username="interop-device")
    client = DICOMwebClient(
        f"{archive_server}/dicomweb", headers={"Authorization": f"Bearer {token}"}
    )
    study, _, _ = uids(CT_SMALL)

    answer = client.store_instances([pydicom.dcmread(CT_SMALL)])

    assert answer.RetrieveURL == f"{archive_server}/dicomweb/studies/{study}"
