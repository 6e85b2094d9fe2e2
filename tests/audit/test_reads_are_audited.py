"""Issue 13: six successful reads of a patient's study by a reviewer and an admin (worklist detail,
QIDO, metadata, WADO, rendered, thumbnail) changed no table. Each now writes exactly one audit
row naming the user, the client's address, the study and the patient."""

from __future__ import annotations

import pytest

from tests.audit.helpers import (
    PATIENT_ID,
    PATIENT_NAME,
    last_id,
    objects_of,
    rows_after,
    stored_study,
)

pytestmark = pytest.mark.django_db


def _reads(study, instance) -> list[tuple[str, str, str]]:
    uid = study.study_instance_uid
    base = f"/dicomweb/studies/{uid}/series/{instance.series.series_instance_uid}"
    sop = f"{base}/instances/{instance.sop_instance_uid}"
    return [
        ("worklist detail", f"/api/worklist/{uid}", "110110"),
        ("QIDO", f"/dicomweb/studies?StudyInstanceUID={uid}", "110112"),
        ("metadata", f"/dicomweb/studies/{uid}/metadata", "110103"),
        ("WADO", sop, "110103"),
        ("rendered", f"{sop}/rendered", "110103"),
        ("thumbnail", f"{sop}/thumbnail", "110103"),
    ]


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_each_of_six_reads_of_a_study_writes_one_row_naming_user_address_study_and_patient(
    client_for, role
):
    study, instance = stored_study()
    client = client_for(role)
    for what, url, code in _reads(study, instance):
        before = last_id()
        accept = {"HTTP_ACCEPT": "*/*"} if what == "WADO" else {}
        response = client.get(url, REMOTE_ADDR="10.1.2.3", **accept)
        assert response.status_code == 200, (what, response.status_code)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        rows = rows_after(before)
        assert len(rows) == 1, f"{what}: {len(rows)} rows"
        row = rows[0]
        assert (row.event_id, row.action, row.outcome) == (code, "R", 0), what
        assert row.username == f"{role}-user" and role in row.role_list, what
        assert row.source == "10.1.2.3", what
        assert (row.method, row.path, row.status) == ("GET", url.split("?")[0], 200), what
        assert objects_of(row, "study") == [(study.study_instance_uid, "")], what
        assert objects_of(row, "patient") == [(PATIENT_ID, PATIENT_NAME)], what


def test_a_study_opened_in_the_viewer_is_one_row(make_user):
    from django.test import Client

    study, _ = stored_study()
    client = Client()
    client.force_login(make_user("reviewer"))
    before = last_id()
    assert client.get(f"/read/{study.study_instance_uid}").status_code == 200
    (row,) = rows_after(before)
    assert row.event_id == "110103"
    assert objects_of(row, "patient") == [(PATIENT_ID, PATIENT_NAME)]


def test_a_refused_read_is_recorded_as_a_minor_failure_with_the_user(client_for):
    study, _ = stored_study()
    client = client_for("annotator")
    before = last_id()
    response = client.get(f"/dicomweb/studies/{study.study_instance_uid}/metadata")
    assert response.status_code == 403
    (row,) = rows_after(before)
    assert (row.outcome, row.status, row.username) == (4, 403, "annotator-user")
    assert row.outcome_description == "HTTP 403"


def test_anonymous_probing_writes_nothing(client):
    study, _ = stored_study()
    before = last_id()
    assert client.get(f"/dicomweb/studies/{study.study_instance_uid}/metadata").status_code == 401
    assert rows_after(before) == []


def test_a_frame_by_frame_read_is_a_row_per_request_and_a_study_retrieve_one_row(client_for):
    study, instance = stored_study()
    client = client_for("reviewer")
    base = (
        f"/dicomweb/studies/{study.study_instance_uid}/series/"
        f"{instance.series.series_instance_uid}/instances/{instance.sop_instance_uid}"
    )
    before = last_id()
    for _ in range(3):
        response = client.get(f"{base}/frames/1", HTTP_ACCEPT="*/*")
        assert response.status_code == 200
    response = client.get(f"/dicomweb/studies/{study.study_instance_uid}", HTTP_ACCEPT="*/*")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    rows = rows_after(before)
    assert [r.path.rsplit("/", 1)[-1] for r in rows] == ["1", "1", "1", study.study_instance_uid]


def test_a_corrected_patient_is_named_on_the_next_read_not_the_remembered_one(client_for):
    """Found: the per-process memory of a study's patient outlived a change of the patient (and a
    study received again for another patient), so rows named the old patient."""
    study, _ = stored_study()
    client = client_for("reviewer")
    url = f"/dicomweb/studies/{study.study_instance_uid}/metadata"
    client.get(url)
    patient = study.patient
    patient.patient_id, patient.patient_name = "CORRECTED-1", "Corrected^Name"
    patient.save()
    before = last_id()
    client.get(url)
    (row,) = rows_after(before)
    assert objects_of(row, "patient") == [("CORRECTED-1", "Corrected^Name")]


def test_the_live_worklist_stream_opened_with_a_token_names_the_tokens_user(client_for):
    """The stream reads its token itself (not through DRF); its row still names the user."""
    client = client_for("reviewer")
    before = last_id()
    client.get("/api/worklist/events")  # 501 under the test's WSGI client; the row is the point
    (row,) = rows_after(before)
    assert (row.event_id, row.username) == ("110112", "reviewer-user")


def test_a_stow_is_one_row_naming_the_stored_study_and_its_patient(client_for):
    from tests.archive.stow_helpers import multipart_body_of_files
    from tests.conftest import SHARED_DICOM

    client = client_for("modality")
    body, content_type = multipart_body_of_files([SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"])
    before = last_id()
    response = client.generic("POST", "/dicomweb/studies", body, content_type=content_type)
    assert response.status_code == 200, response.content
    (row,) = rows_after(before)
    assert (row.event_id, row.action, row.username) == ("110104", "C", "modality-user")
    (study_uid,) = [uid for uid, _ in objects_of(row, "study")]
    assert study_uid.startswith("1.3.6.1.4.1.5962")
    assert len(objects_of(row, "patient")) == 1


@pytest.mark.django_db(transaction=True)
def test_a_request_pays_for_its_row_in_one_statement(client_for):
    """In autocommit, as in production, the event and its patient and study go to PostgreSQL
    in one statement: one round trip added to the request, not BEGIN, two INSERTs and COMMIT."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    study, _ = stored_study()
    client = client_for("reviewer")
    url = f"/dicomweb/studies/{study.study_instance_uid}/metadata"
    client.get(url)  # the study's patient and the user's roles are remembered after this
    before = last_id()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200

    audit_statements = [q["sql"] for q in queries if "audit_audit" in q["sql"]]
    assert len(audit_statements) == 1, audit_statements
    [row] = rows_after(before)
    assert objects_of(row, "patient") == [(PATIENT_ID, PATIENT_NAME)]
    assert objects_of(row, "study") == [(study.study_instance_uid, "")]
