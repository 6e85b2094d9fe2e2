"""Bad input on the DICOMweb read side gets a 400 with the reason, never a 500 (issue 10, item 7):
NUL (%00) in a UID or a query parameter, UIDs that cannot be UIDs, frame numbers no instance can
have; and a 422 from `rendered` says why without showing where the archive keeps its files
(item 9)."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from archive.models import Instance
from tests.archive.dicomweb_helpers import uids
from tests.conftest import SHARED_DICOM

CT_SMALL = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"
STUDY, SERIES, SOP = uids(CT_SMALL)
INSTANCE = f"/dicomweb/studies/{STUDY}/series/{SERIES}/instances/{SOP}"
TOO_LONG = "1." + "2" * 63  # 65 characters

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client_for, ingest_file):
    ingest_file(CT_SMALL)
    return client_for("radiologist")


def bad_uid_urls(bad: str) -> list[str]:
    """Every read resource with `bad` as its study, series or instance UID in turn."""
    urls = []
    for study, series, sop in [(bad, SERIES, SOP), (STUDY, bad, SOP), (STUDY, SERIES, bad)]:
        instance = f"/dicomweb/studies/{study}/series/{series}/instances/{sop}"
        urls += [
            instance,
            f"{instance}/metadata",
            f"{instance}/frames/1",
            f"{instance}/frames/1/rendered",
            f"{instance}/rendered",
            f"{instance}/thumbnail",
            f"{instance}/bulkdata/7FE00010",
        ]
    urls += [
        f"/dicomweb/studies/{bad}",
        f"/dicomweb/studies/{bad}/metadata",
        f"/dicomweb/studies/{bad}/thumbnail",
        f"/dicomweb/studies/{bad}/series",
        f"/dicomweb/studies/{bad}/instances",
        f"/dicomweb/studies/{STUDY}/series/{bad}",
        f"/dicomweb/studies/{STUDY}/series/{bad}/metadata",
        f"/dicomweb/studies/{STUDY}/series/{bad}/thumbnail",
        f"/dicomweb/studies/{STUDY}/series/{bad}/instances",
    ]
    return urls


@pytest.mark.parametrize(
    "bad", [f"{STUDY}%00", "%00", f"1.2%003.{SOP}", TOO_LONG, "1.2.abc", "1.2.3 "]
)
def test_a_uid_in_the_path_that_cannot_be_one_is_a_400_with_the_reason(reader, bad):
    for url in bad_uid_urls(bad):
        response = reader.get(url)

        assert response.status_code == 400, url
        assert "UID" in response.json()["detail"], url


@pytest.mark.parametrize(
    "query",
    [
        "PatientID=%00",
        f"StudyInstanceUID={STUDY}%00",
        "PatientName=DOE%00*",
        "includefield=%00",
        "00100020=a%00b",
        "limit=1%00",
        "fuzzymatching=%00",
        "Modality%00=CT",
    ],
)
@pytest.mark.parametrize("resource", ["studies", "series", "instances", f"studies/{STUDY}/series"])
def test_a_nul_in_a_query_parameter_is_a_400_with_the_reason(reader, resource, query):
    response = reader.get(f"/dicomweb/{resource}?{query}", HTTP_ACCEPT="application/dicom+json")

    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


@pytest.mark.parametrize(
    "frames",
    ["9" * 5000, "1," + "9" * 5000, "99999999999", "\u0661", "\u00b2", "1," * 2000 + "1"],
)
def test_a_frame_number_no_instance_can_have_is_a_400(reader, frames):
    for url in [f"{INSTANCE}/frames/{frames}", f"{INSTANCE}/frames/{frames}/rendered"]:
        response = reader.get(url)

        assert response.status_code in (400, 404), url
        assert response.json()["detail"], url


@pytest.mark.parametrize(
    "query",
    ["viewport=" + "9" * 5000 + ",1", "window=" + "9" * 5000 + ",1", "quality=" + "9" * 5000],
)
def test_a_rendering_parameter_with_thousands_of_digits_is_a_400(reader, query):
    response = reader.get(f"{INSTANCE}/rendered?{query}")

    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["detail"]


def test_a_422_from_rendered_does_not_show_where_the_files_are_kept(reader):
    instance = Instance.objects.get()
    stored = default_storage.path(instance.file.name)
    default_storage.delete(instance.file.name)  # storage lost the file

    response = reader.get(f"{INSTANCE}/rendered")

    assert response.status_code == 422
    body = response.content.decode()
    assert response.json()["detail"]
    assert stored not in body and instance.file.name not in body
    assert str(default_storage.location) not in body
