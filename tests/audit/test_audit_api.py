"""The admins' audit API: filters by user, patient, study, event, outcome and time; cursor pages;
streamed CSV; bad filters answer 400; only admins read it; each use is itself recorded."""

from __future__ import annotations

import csv
import io

import pytest

from audit.services import audit_record, patient, study
from tests.audit.helpers import PATIENT_ID, PATIENT_NAME, last_id, rows_after, stored_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client_for):
    return client_for("admin")


def _seed(make_user):
    reader = make_user("reviewer", "rita")
    other = make_user("radiologist", "omar")
    audit_record(event="instances_accessed", action="R", user=reader,
                 objects=[patient("P-1", "Doe^Jane"), study("1.2.3.1")])  # fmt: skip
    audit_record(event="instances_accessed", action="R", user=other,
                 objects=[patient("P-2", "Roe^Rick"), study("1.2.3.2")])  # fmt: skip
    audit_record(event="query", action="R", user=reader, outcome=4)


def test_filters_by_user_patient_study_event_and_outcome(admin, make_user):
    _seed(make_user)

    def users(**params):
        body = admin.get("/api/audit/events", params).json()
        return [(r["user"] or {}).get("username") for r in body["results"]]

    assert users(user="rit") == ["rita", "rita"]
    assert users(patient="P-2") == ["omar"]
    assert users(patient="doe") == ["rita"]
    assert users(study="1.2.3.1") == ["rita"]
    assert users(event="110112", user="rita") == ["rita"]
    assert users(outcome=4, user="rita") == ["rita"]
    assert users(since="2999-01-01T00:00:00Z") == []


def test_an_event_has_the_documented_shape(admin, make_user):
    _seed(make_user)
    body = admin.get("/api/audit/events", {"patient": "P-1"}).json()
    (event,) = body["results"]
    assert event["event"] == {"code": "110103", "display": "DICOM Instances Accessed"}
    assert event["event_type"] is None and event["action"] == "R" and event["outcome"] == 0
    assert event["user"]["username"] == "rita" and event["user"]["roles"] == ["reviewer"]
    assert event["time"].endswith("Z")
    assert {"kind": "patient", "identifier": "P-1", "name": "Doe^Jane", "extra": None} in event[
        "objects"
    ]
    assert body["next"] is None


def test_pages_follow_the_cursor_newest_first(admin, make_user):
    user = make_user("reviewer", "rita")
    for n in range(5):
        audit_record(event="query", action="R", user=user, objects=[study(f"9.{n}")])
    seen, cursor = [], None
    while True:
        params = {
            "user": "rita",
            "event": "110112",
            "limit": 2,
            **({"cursor": cursor} if cursor else {}),
        }
        body = admin.get("/api/audit/events", params).json()
        seen += [r["objects"][0]["identifier"] for r in body["results"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == ["9.4", "9.3", "9.2", "9.1", "9.0"]


@pytest.mark.parametrize(
    "params",
    [{"event": "123"}, {"outcome": "5"}, {"since": "yesterday"}, {"limit": "0"},
     {"limit": "501"}, {"cursor": "!!!"}],
)  # fmt: skip
def test_bad_filters_answer_400_with_a_message(admin, params):
    response = admin.get("/api/audit/events", params)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_the_csv_export_streams_every_matching_event_with_a_named_file(admin, make_user):
    _seed(make_user)
    response = admin.get("/api/audit/events.csv", {"user": "rita", "since": "2020-01-01"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-20200101T')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["id", "time", "event_code", "event"]
    assert [r[10] for r in rows[1:]] == ["rita", "rita"]
    assert "P-1 Doe^Jane" in [r[18] for r in rows[1:]]


ROLE_STATUS = [
    (None, 401), ("reviewer", 403), ("radiologist", 403), ("annotator", 403), ("modality", 403),
    ("admin", 200),
]  # fmt: skip


@pytest.mark.parametrize(("role", "status"), ROLE_STATUS)
def test_only_admins_read_the_audit_log(client_for, role, status):
    client = client_for(role)
    for url in ["/api/audit/events", "/api/audit/events.csv", "/api/audit/vocabulary"]:
        assert client.get(url).status_code == status, url


def test_the_log_has_no_write_api(admin):
    for method in ("post", "put", "patch", "delete"):
        assert getattr(admin, method)("/api/audit/events").status_code == 405


def test_reading_the_log_is_itself_recorded(admin):
    before = last_id()
    admin.get("/api/audit/events", {"patient": "Doe"})
    (row,) = rows_after(before)
    assert (row.event_id, row.username) == ("110101", "admin-user")
    assert [o.identifier for o in row.participants.all()] == ["patient=Doe"]


def test_the_vocabulary_names_the_standard_and_its_codes(admin):
    body = admin.get("/api/audit/vocabulary").json()
    assert "PS3.15" in body["standard"]
    assert {"code": "110103", "display": "DICOM Instances Accessed"} in body["events"]


def test_a_reviewers_view_is_found_by_patient_and_study(admin, client_for):
    study_row, _ = stored_study()
    client_for("reviewer").get(f"/dicomweb/studies/{study_row.study_instance_uid}/metadata")
    for params in ({"patient": PATIENT_ID}, {"patient": PATIENT_NAME[:5]},
                   {"study": study_row.study_instance_uid}):  # fmt: skip
        body = admin.get("/api/audit/events", {**params, "user": "reviewer"}).json()
        assert [r["event"]["code"] for r in body["results"]] == ["110103"], params


def test_the_export_command_writes_json_lines_or_csv_and_is_recorded(make_user, tmp_path):
    import json

    from django.core.management import call_command

    _seed(make_user)
    out = tmp_path / "audit.jsonl"
    before = last_id()
    call_command("audit_export", "--since", "2020-01-01", "--output", str(out))
    messages = [json.loads(line) for line in out.read_text().splitlines()]
    codes = [m["EventIdentification"]["EventID"]["csd-code"] for m in messages]
    assert codes[:3] == ["110112", "110103", "110103"]
    (row,) = rows_after(before)
    assert row.event_id == "110101"
    csv_out = tmp_path / "audit.csv"
    call_command("audit_export", "--format", "csv", "--output", str(csv_out))
    assert csv_out.read_text().startswith("id,time,event_code")
