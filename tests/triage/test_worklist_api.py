"""The worklist API without a model: who may see it, first-in-first-out within clinical
priority, filters, search, paging, opening and reading."""

from __future__ import annotations

import pytest

from tests.triage.studies import waiting_study

pytestmark = pytest.mark.django_db


def worklist(client, **params):
    response = client.get("/api/worklist", params)
    assert response.status_code == 200, response.content
    return response.json()


def uids(page) -> list[str]:
    return [row["study_instance_uid"] for row in page["results"]]


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 401), ("annotator", 403), ("modality", 403), ("radiologist", 200), ("reviewer", 200)],
)
def test_only_readers_reviewers_and_admins_see_the_worklist(client_for, role, status):
    assert client_for(role).get("/api/worklist").status_code == status


def test_without_a_model_it_is_first_in_first_out_and_says_so(client_for):
    older = waiting_study(0, minutes_ago=30)
    newer = waiting_study(1, minutes_ago=5)

    page = worklist(client_for("radiologist"))

    assert uids(page) == [older.study_instance_uid, newer.study_instance_uid]
    assert page["ordering"]["mode"] == "fifo"
    assert "No active model" in page["ordering"]["message"]
    first = page["results"][0]
    assert first["ai"]["status"] == "off"
    assert any("first in, first out" in reason.lower() for reason in first["reasons"])
    assert any(reason.startswith("Waiting") for reason in first["reasons"])
    assert first["waiting_seconds"] >= 30 * 60


def test_a_stat_request_goes_before_older_routine_studies(client_for):
    routine = waiting_study(0, minutes_ago=20)
    stat = waiting_study(1, minutes_ago=1, RequestedProcedurePriority="STAT")

    page = worklist(client_for("radiologist"))

    assert uids(page) == [stat.study_instance_uid, routine.study_instance_uid]
    row = page["results"][0]
    assert row["clinical_priority"] == "STAT"
    assert "Requested Procedure Priority" in row["clinical_reason"]


def test_a_site_rule_on_the_study_description_sets_the_priority(client_for):
    waiting_study(0, minutes_ago=20)
    trauma = waiting_study(1, minutes_ago=1, StudyDescription="XR CHEST TRAUMA")

    row = worklist(client_for("radiologist"))["results"][0]

    assert row["study_instance_uid"] == trauma.study_instance_uid
    assert row["clinical_priority"] == "STAT"


def test_an_overdue_routine_study_is_marked_overdue(client_for):
    waiting_study(0, minutes_ago=24 * 60)

    row = worklist(client_for("radiologist"))["results"][0]

    assert row["overdue"] is True
    assert any("Overdue" in reason for reason in row["reasons"])


@pytest.mark.parametrize(("minutes_ago", "due_word"), [(14.6, "Due in "), (24 * 60, "Overdue by ")])
def test_a_waiting_rows_reasons_end_with_the_two_time_lines_the_browser_rewrites(
    client_for, minutes_ago, due_word
):
    # The worklist page keeps all but these two lines and writes its own, ticking, in the same
    # words and with the same rounding (frontend/src/worklist/rowFormat.ts placementReasons).
    waiting_study(0, minutes_ago=minutes_ago)

    row = worklist(client_for("radiologist"))["results"][0]

    *placement, waiting, due = row["reasons"]
    assert placement and not any(
        line.startswith(("Waiting ", "Due in ", "Overdue by ")) for line in placement
    )
    assert waiting.startswith("Waiting ") and due.startswith(due_word)
    if minutes_ago == 14.6:
        assert waiting == "Waiting 14 min"  # rounded down, as in the row (was 15 min)


def test_it_searches_by_patient_name_id_and_accession(client_for):
    wanted = waiting_study(0, minutes_ago=3, PatientName="QUINTERO^ANA", PatientID="PID-77")
    waiting_study(1, minutes_ago=2, AccessionNumber="ACC-SEARCH")
    client = client_for("radiologist")

    assert uids(worklist(client, q="quint")) == [wanted.study_instance_uid]
    assert uids(worklist(client, q="PID-77")) == [wanted.study_instance_uid]
    assert len(uids(worklist(client, q="ACC-SEARCH"))) == 1
    assert worklist(client, q="NOBODY")["count"] == 0


def test_it_filters_by_priority_modality_and_ai_status(client_for):
    waiting_study(0, minutes_ago=3)
    stat = waiting_study(1, minutes_ago=2, RequestedProcedurePriority="STAT")
    client = client_for("radiologist")

    assert uids(worklist(client, priority="stat")) == [stat.study_instance_uid]
    assert worklist(client, modality="DX")["count"] == 2
    assert worklist(client, modality="CT")["count"] == 0
    assert worklist(client, ai="off")["count"] == 2
    assert worklist(client, ai="positive")["count"] == 0


def test_it_pages_on_the_server(client_for):
    studies = [waiting_study(n, minutes_ago=50 - n) for n in range(5)]
    client = client_for("radiologist")

    first = worklist(client, limit=2)
    second = worklist(client, limit=2, offset=2)

    assert first["count"] == 5
    assert uids(first) + uids(second) == [s.study_instance_uid for s in studies[:4]]
    newest_first = worklist(client, sort="-received", limit=1)
    assert uids(newest_first) == [studies[-1].study_instance_uid]


@pytest.mark.parametrize(
    "params", [{"sort": "bogus"}, {"limit": 0}, {"limit": 100000}, {"ai": "maybe"}, {"offset": -1}]
)
def test_bad_parameters_get_a_clear_400(client_for, params):
    response = client_for("radiologist").get("/api/worklist", params)

    assert response.status_code == 400
    assert response.json()  # names the parameter, no traceback


def test_reading_a_study_takes_it_off_the_waiting_list_once(client_for):
    study = waiting_study(0, minutes_ago=10)
    client = client_for("radiologist")
    uid = study.study_instance_uid

    opened = client.post(f"/api/worklist/{uid}/claim")
    read = client.post(f"/api/worklist/{uid}/read", {"verdict": None}, format="json")
    again = client.post(f"/api/worklist/{uid}/read", {"verdict": None}, format="json")

    assert opened.status_code == 200 and opened.json()["claim"]["mine"]
    assert read.status_code == 200 and read.json()["status"] == "read"
    assert again.status_code == 409
    assert worklist(client)["count"] == 0
    done = worklist(client, status="read")["results"][0]
    assert done["first_opened_at"] <= done["read_at"]
    assert done["read_by"] == "radiologist-user"
    assert done["scored_at"] is None  # no model: never scored


@pytest.mark.parametrize("role", ["reviewer", "annotator", "admin"])
def test_only_radiologists_open_and_read_studies(client_for, role):
    uid = waiting_study(0, minutes_ago=1).study_instance_uid
    client = client_for(role)

    assert client.post(f"/api/worklist/{uid}/read").status_code == 403
    assert client.post(f"/api/worklist/{uid}/claim").status_code == 403
    assert client.post("/api/worklist/next").status_code == 403


def test_an_unknown_study_is_a_404(client_for):
    client = client_for("radiologist")

    assert client.get("/api/worklist/1.2.3.4").status_code == 404
    assert client.post("/api/worklist/1.2.3.4/read").status_code == 404
