"""Reading through the API: claims between two readers, claim expiry, the next most urgent
study, reads with the AI verdict and the label they give, measurements, preferences, turnaround."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.triage.studies import score_now, waiting_study
from triage.models import StudyRead, WorklistEntry, WorklistEvent
from triage.services.claims import claims_expire

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_readers(client_for, make_user):
    make_user("radiologist", "second-reader")
    from rest_framework.test import APIClient

    second = APIClient()
    second.login(username="second-reader", password="pw-for-tests")
    return client_for("radiologist"), second


def test_the_second_reader_sees_the_first_ones_claim_and_cannot_take_it(two_readers):
    first, second = two_readers
    uid = waiting_study(0, minutes_ago=5).study_instance_uid

    mine = first.post(f"/api/worklist/{uid}/claim")
    theirs = second.post(f"/api/worklist/{uid}/claim")
    listed = second.get("/api/worklist").json()["results"][0]

    assert mine.status_code == 200 and mine.json()["claim"]["mine"] is True
    assert theirs.status_code == 409
    assert "radiologist-user is reading this study" in theirs.json()["detail"]
    assert theirs.json()["claim"]["by"] == "radiologist-user"
    assert listed["claim"]["by"] == "radiologist-user" and listed["claim"]["mine"] is False
    # Nor can the second reader read it.
    read = second.post(f"/api/worklist/{uid}/read", {"verdict": None}, format="json")
    assert read.status_code == 409


def test_a_released_or_expired_claim_frees_the_study(two_readers, settings):
    first, second = two_readers
    uid = waiting_study(0, minutes_ago=5).study_instance_uid
    first.post(f"/api/worklist/{uid}/claim")

    assert second.post(f"/api/worklist/{uid}/release").status_code == 204  # not theirs: no-op
    assert second.post(f"/api/worklist/{uid}/claim").status_code == 409
    assert first.post(f"/api/worklist/{uid}/release").status_code == 204
    assert second.post(f"/api/worklist/{uid}/claim").status_code == 200

    # The second reader's browser dies: the claim lapses and the sweep clears it for everyone.
    WorklistEntry.objects.filter(study__study_instance_uid=uid).update(
        claim_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert first.get("/api/worklist").json()["results"][0]["claim"] is None
    assert claims_expire() == 1
    assert first.post(f"/api/worklist/{uid}/claim").status_code == 200


def test_renewing_a_claim_keeps_its_start_and_extends_it(client_for, settings):
    settings.TRIAGE_CLAIM_SECONDS = 60
    client = client_for("radiologist")
    uid = waiting_study(0, minutes_ago=5).study_instance_uid

    first = client.post(f"/api/worklist/{uid}/claim").json()["claim"]
    renewed = client.post(f"/api/worklist/{uid}/claim").json()["claim"]

    assert renewed["claimed_at"] == first["claimed_at"]
    assert renewed["expires_at"] >= first["expires_at"]
    claimed_events = WorklistEvent.objects.filter(kind="claimed", study_instance_uid=uid)
    assert claimed_events.count() == 1  # heartbeats are not news


def test_next_claims_the_most_urgent_study_no_one_else_holds(two_readers):
    first, second = two_readers
    stat = waiting_study(0, minutes_ago=1, RequestedProcedurePriority="STAT")
    oldest = waiting_study(1, minutes_ago=10)  # routine: due in 30 min, after the STAT's 14
    newest = waiting_study(2, minutes_ago=2)

    got_first = first.post("/api/worklist/next", {}, format="json")
    got_second = second.post("/api/worklist/next", {}, format="json")
    skipping = second.post(
        "/api/worklist/next", {"exclude": [oldest.study_instance_uid]}, format="json"
    )

    assert got_first.json()["study_instance_uid"] == stat.study_instance_uid
    assert got_first.json()["claim"]["mine"] is True
    assert got_second.json()["study_instance_uid"] == oldest.study_instance_uid
    assert skipping.json()["study_instance_uid"] == newest.study_instance_uid
    third = second.post(
        "/api/worklist/next",
        {"exclude": [oldest.study_instance_uid, newest.study_instance_uid]},
        format="json",
    )
    assert third.status_code == 404
    assert third.json()["detail"] == "No unclaimed study is waiting."


def test_ai_wrong_on_a_flagged_study_stores_the_read_and_a_normal_label(active_model, client_for):
    client = client_for("radiologist")
    study = score_now(waiting_study(0, minutes_ago=3))
    uid = study.study_instance_uid
    entry = WorklistEntry.objects.get(study=study)
    WorklistEntry.objects.filter(pk=entry.pk).update(ai_status="positive")

    client.post(f"/api/worklist/{uid}/claim")
    response = client.post(f"/api/worklist/{uid}/read", {"verdict": "ai_wrong"}, format="json")

    assert response.status_code == 200, response.content
    read = response.json()["read"]
    assert read["verdict"] == "ai_wrong" and read["reader"] == "radiologist-user"
    assert read["label"] == {
        "task": "chest_xray_pneumonia",
        "value": "normal",
        "source": "radiologist_read",
    }
    assert read["model"] == active_model.label
    assert read["duration_seconds"] >= 0
    stored = StudyRead.objects.get(entry__study=study)
    assert stored.model_version == active_model and stored.ai_probability is not None
    entry.refresh_from_db()
    assert entry.status == "read" and entry.claimed_by is None
    assert client.get(f"/api/worklist/{uid}").json()["read"]["label"]["value"] == "normal"


@pytest.mark.parametrize(
    ("ai_status", "verdict", "label"),
    [
        ("positive", "ai_right", "pneumonia"),
        ("negative", "ai_right", "normal"),
        ("negative", "ai_wrong", "pneumonia"),
    ],
)
def test_the_label_follows_the_ai_answer_and_the_verdict(
    active_model, client_for, ai_status, verdict, label
):
    client = client_for("radiologist")
    study = score_now(waiting_study(0))
    WorklistEntry.objects.filter(study=study).update(ai_status=ai_status)

    response = client.post(
        f"/api/worklist/{study.study_instance_uid}/read", {"verdict": verdict}, format="json"
    )

    assert response.json()["read"]["label"]["value"] == label


def test_the_verdict_must_match_whether_the_ai_answered(active_model, client_for):
    client = client_for("radiologist")
    unscored = waiting_study(0).study_instance_uid
    scored = score_now(waiting_study(1)).study_instance_uid

    no_ai = client.post(f"/api/worklist/{unscored}/read", {"verdict": "ai_right"}, format="json")
    missing = client.post(f"/api/worklist/{scored}/read", {}, format="json")
    bogus = client.post(f"/api/worklist/{scored}/read", {"verdict": "maybe"}, format="json")

    assert no_ai.status_code == 400 and "no AI result to judge" in no_ai.json()["detail"]
    assert missing.status_code == 400 and "right or wrong" in missing.json()["detail"]
    assert bogus.status_code == 400
    assert not StudyRead.objects.exists()
    plain = client.post(f"/api/worklist/{unscored}/read", {"verdict": None}, format="json")
    assert plain.status_code == 200 and plain.json()["read"]["label"] is None


def test_findings_say_where_the_heatmap_lies_on_the_image(active_model, client_for):
    study = score_now(waiting_study(0))

    detail = client_for("radiologist").get(f"/api/worklist/{study.study_instance_uid}").json()

    finding = detail["findings"][0]
    side = min(finding["rows"], finding["columns"])
    assert finding["heatmap_region"] == {
        "top": (finding["rows"] - side) // 2,
        "left": (finding["columns"] - side) // 2,
        "side": side,
    }
    assert finding["finding_id"] and finding["heatmap_url"]


def test_measurements_are_saved_per_reader(two_readers):
    first, second = two_readers
    study = waiting_study(0)
    uid = study.study_instance_uid
    instance = study.series.get().instances.get()
    body = {
        "tool": "Length",
        "series_instance_uid": instance.series.series_instance_uid,
        "sop_instance_uid": instance.sop_instance_uid,
        "frame_number": 1,
        "data": {"handles": {"points": [[0, 0, 0], [10, 0, 0]]}},
        "summary": "10.0 mm",
    }

    saved = first.put(f"/api/studies/{uid}/measurements/a-1", body, format="json")
    updated = first.put(
        f"/api/studies/{uid}/measurements/a-1", {**body, "summary": "11.0 mm"}, format="json"
    )

    assert saved.status_code == 200 and updated.json()["summary"] == "11.0 mm"
    mine = first.get(f"/api/studies/{uid}/measurements").json()["results"]
    assert [(m["annotation_uid"], m["summary"]) for m in mine] == [("a-1", "11.0 mm")]
    assert second.get(f"/api/studies/{uid}/measurements").json()["results"] == []
    assert second.delete(f"/api/studies/{uid}/measurements/a-1").status_code == 404
    assert first.delete(f"/api/studies/{uid}/measurements/a-1").status_code == 204
    assert first.get(f"/api/studies/{uid}/measurements").json()["results"] == []


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"tool": "Scribble"}, 400),
        ({"sop_instance_uid": "1.2.3"}, 404),
        ({"frame_number": 2}, 400),
        ({"data": {"blob": "x" * 70_000}}, 400),
    ],
)
def test_a_bad_measurement_is_refused_with_its_reason(client_for, change, status):
    study = waiting_study(0)
    instance = study.series.get().instances.get()
    body = {
        "tool": "Length",
        "series_instance_uid": instance.series.series_instance_uid,
        "sop_instance_uid": instance.sop_instance_uid,
        "data": {},
        **change,
    }

    response = client_for("radiologist").put(
        f"/api/studies/{study.study_instance_uid}/measurements/x", body, format="json"
    )

    assert response.status_code == status
    assert response.json()  # names the field or says why, no traceback


def test_shortcuts_are_kept_per_user(client_for):
    client = client_for("radiologist")

    saved = client.put("/api/me/preferences", {"shortcuts": {"read.aiWrong": "x"}}, format="json")
    bad = client.put("/api/me/preferences", {"shortcuts": {"<script>": "x"}}, format="json")

    assert saved.status_code == 200
    assert client.get("/api/me/preferences").json() == {"shortcuts": {"read.aiWrong": "x"}}
    assert bad.status_code == 400 and "not a shortcut action" in bad.json()["detail"]
    assert client_for("reviewer").get("/api/me/preferences").json() == {"shortcuts": {}}


def test_turnaround_by_priority_and_ai_result(client_for):
    client = client_for("radiologist")
    stat = waiting_study(0, minutes_ago=20, RequestedProcedurePriority="STAT")
    routine = waiting_study(1, minutes_ago=60)
    waiting_study(2, minutes_ago=1)
    now = timezone.now()
    for study, opened_minutes_ago in ((stat, 10), (routine, 5)):
        WorklistEntry.objects.filter(study=study).update(
            first_opened_at=now - dt.timedelta(minutes=opened_minutes_ago)
        )
        client.post(
            f"/api/worklist/{study.study_instance_uid}/read", {"verdict": None}, format="json"
        )

    summary = client.get("/api/turnaround", {"days": 1}).json()

    assert summary["studies_read"] == 2 and summary["waiting_now"] == 1
    groups = {group["key"]: group for group in summary["by_priority"]}
    assert groups["STAT"]["count"] == 1
    assert groups["STAT"]["wait"]["median"] == pytest.approx(600, abs=5)
    assert groups["STAT"]["turnaround"]["median"] == pytest.approx(1200, abs=5)
    assert groups["ROUTINE"]["wait"]["median"] == pytest.approx(3300, abs=5)
    assert groups["ASAP"]["count"] == 0 and groups["ASAP"]["wait"]["median"] is None
    assert {g["key"]: g["count"] for g in summary["by_ai"]}["off"] == 2
    assert client_for("annotator").get("/api/turnaround").status_code == 403


def test_sorting_by_ai_probability_puts_unscored_studies_last(active_model, client_for):
    scored = [score_now(waiting_study(n)) for n in range(3)]
    unscored = waiting_study(3)  # queued for the model, no result yet
    client = client_for("radiologist")

    rows = client.get("/api/worklist", {"sort": "-probability"}).json()["results"]

    probabilities = [row["ai"]["probability"] for row in rows[:3]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert {row["study_instance_uid"] for row in rows[:3]} == {
        study.study_instance_uid for study in scored
    }
    assert rows[3]["study_instance_uid"] == unscored.study_instance_uid
