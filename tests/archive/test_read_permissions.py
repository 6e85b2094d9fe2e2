"""Who may read the archive: every QIDO-RS and WADO-RS endpoint answers each role the same way."""

from __future__ import annotations

import pytest

from tests.archive.dicomweb_helpers import uids
from tests.conftest import SHARED_DICOM

CT_SMALL = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"
STUDY, SERIES, SOP = uids(CT_SMALL)
INSTANCE = f"/dicomweb/studies/{STUDY}/series/{SERIES}/instances/{SOP}"
READ_URLS = [
    "/dicomweb/studies",
    "/dicomweb/series",
    "/dicomweb/instances",
    f"/dicomweb/studies/{STUDY}/series",
    f"/dicomweb/studies/{STUDY}/instances",
    f"/dicomweb/studies/{STUDY}/series/{SERIES}/instances",
    f"/dicomweb/studies/{STUDY}",
    f"/dicomweb/studies/{STUDY}/metadata",
    f"/dicomweb/studies/{STUDY}/series/{SERIES}",
    f"/dicomweb/studies/{STUDY}/series/{SERIES}/metadata",
    INSTANCE,
    f"{INSTANCE}/metadata",
    f"{INSTANCE}/frames/1",
    f"{INSTANCE}/bulkdata/7FE00010",
    f"{INSTANCE}/rendered",
    f"{INSTANCE}/frames/1/rendered",
    f"{INSTANCE}/thumbnail",
    f"/dicomweb/studies/{STUDY}/series/{SERIES}/thumbnail",
    f"/dicomweb/studies/{STUDY}/thumbnail",
]


@pytest.fixture
def stored(ingest_file):
    ingest_file(CT_SMALL)


def statuses(client) -> dict[str, int]:
    return {url: client.get(url).status_code for url in READ_URLS}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["radiologist", "reviewer", "admin"])
def test_reading_roles_may_use_every_read_endpoint(client_for, stored, role):
    assert statuses(client_for(role)) == dict.fromkeys(READ_URLS, 200)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["annotator", "modality"])
def test_roles_without_archive_access_are_refused_everywhere(client_for, stored, role):
    assert statuses(client_for(role)) == dict.fromkeys(READ_URLS, 403)


@pytest.mark.django_db
def test_anonymous_callers_are_asked_to_authenticate(client_for, stored):
    client = client_for(None)

    assert statuses(client) == dict.fromkeys(READ_URLS, 401)
    assert client.get("/dicomweb/studies")["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_a_refusal_does_not_reveal_whether_a_study_exists(client_for, stored):
    client = client_for("annotator")

    assert client.get("/dicomweb/studies/1.2.3/metadata").status_code == 403
