"""The queue's HTTP API: next case, a case, skip (annotators) and queue settings (admins), with
the refusals every other role gets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from annotations.models import CaseSkip, CaseSlot, QueueSettings
from ml.core.tasks import CHEST_XRAY_PNEUMONIA
from tests.annotations.test_queue import TASK, model_version, pool_image, queue_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored_pool():
    version = model_version(threshold=0.6)
    images = [pool_image(version=version, probability=p) for p in (0.55, 0.7, 0.2)]
    queue_settings(batch_size=3, labels_required=2, strategy="entropy")
    return version, images


def test_next_gives_the_case_as_the_contract_says(client_for, scored_pool):
    version, _ = scored_pool
    client = client_for("annotator")

    response = client.post("/api/annotate/next", {}, format="json")

    assert response.status_code == 200
    case = response.json()
    pseudonym = case["id"]
    assert case["task"] == TASK and case["schema_version"] == 1
    assert (case["rows"], case["columns"], case["frame"]) == (256, 240, 1)
    assert case["image"] == {
        "metadata_url": f"/api/annotate/cases/{pseudonym}/dicom/metadata",
        "frame_url": f"/api/annotate/cases/{pseudonym}/dicom/frames/1",
        "rendered_url": f"/api/annotate/cases/{pseudonym}/dicom/rendered",
    }
    # entropy picks 0.55 first; under the version's threshold of 0.6 that is the negative class
    assert case["pre_annotation"] == {
        "class": CHEST_XRAY_PNEUMONIA.class_for(positive=False).key,
        "probability": 0.55,
        "model_version": version.pk,
        "box": None,
    }
    assert case["labels"] == []
    assert case["slot"]["number"] == 1 and case["slot"]["status"] == "locked"
    assert case["progress"] == {"done": 0, "batch_size": 3, "position": 1}
    assert "study" not in str(case).lower() and "uid" not in str(case).lower()


def test_the_next_case_after_a_submit_advances_progress(client_for, scored_pool):
    client = client_for("annotator")
    first = client.post("/api/annotate/next", {}, format="json").json()
    CaseSlot.objects.filter(case__pseudonym=first["id"], number=1).update(status="submitted")

    second = client.post("/api/annotate/next", {}, format="json").json()

    assert second["id"] != first["id"]
    assert second["progress"] == {"done": 1, "batch_size": 3, "position": 2}


def test_next_answers_204_when_nothing_is_left(client_for):
    model_version()
    response = client_for("annotator").post("/api/annotate/next", {}, format="json")
    assert response.status_code == 204


def test_an_unknown_task_is_a_400(client_for, scored_pool):
    response = client_for("annotator").post("/api/annotate/next", {"task": "x"}, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("role", [None, "radiologist", "reviewer", "modality"])
def test_other_roles_may_not_take_cases(client_for, scored_pool, role):
    response = client_for(role).post("/api/annotate/next", {}, format="json")
    assert response.status_code in (401, 403)
    assert not CaseSlot.objects.exclude(status="free").exists()


def test_a_case_is_shown_to_its_holder_only(api_client_as, scored_pool):
    first, second = api_client_as("annotator-a"), api_client_as("annotator-b")
    case = first.post("/api/annotate/next", {}, format="json").json()

    assert first.get(f"/api/annotate/cases/{case['id']}").json()["id"] == case["id"]
    refused = second.get(f"/api/annotate/cases/{case['id']}")
    assert refused.status_code == 404
    assert second.get("/api/annotate/cases/no-such-case").status_code == 404


def test_skip_without_a_reason_is_refused_and_changes_nothing(api_client_as, scored_pool):
    client = api_client_as("annotator-a")
    case = client.post("/api/annotate/next", {}, format="json").json()

    response = client.post(f"/api/annotate/cases/{case['id']}/skip", {"reason": " "}, format="json")

    assert response.status_code == 400
    assert not CaseSkip.objects.exists()
    assert CaseSlot.objects.get(case__pseudonym=case["id"], number=1).status == "locked"


def test_skip_records_the_reason_and_gives_the_next_case(api_client_as, scored_pool):
    client = api_client_as("annotator-a")
    case = client.post("/api/annotate/next", {}, format="json").json()

    response = client.post(
        f"/api/annotate/cases/{case['id']}/skip", {"reason": "rotated"}, format="json"
    )

    assert response.status_code == 200
    following = response.json()["next"]
    assert following["id"] != case["id"]
    assert CaseSkip.objects.get().reason == "rotated"
    assert client.get(f"/api/annotate/cases/{case['id']}").status_code == 404


def test_skipping_a_case_not_given_to_you_is_not_found(api_client_as, scored_pool):
    case = api_client_as("annotator-a").post("/api/annotate/next", {}, format="json").json()
    response = api_client_as("annotator-b").post(
        f"/api/annotate/cases/{case['id']}/skip", {"reason": "no"}, format="json"
    )
    assert response.status_code == 404
    assert not CaseSkip.objects.exists()


def test_an_admin_reads_and_changes_the_queue_settings(client_for):
    client = client_for("admin")

    shown = client.get(f"/api/annotate/queue-settings/{TASK}")
    changed = client.put(
        f"/api/annotate/queue-settings/{TASK}",
        {"strategy": "bald", "labels_required": 3, "batch_size": 20},
        format="json",
    )

    assert shown.status_code == 200 and shown.json()["strategy"] == "weighted_kmeans_pp"
    assert changed.status_code == 200
    row = QueueSettings.objects.get(task=TASK)
    assert (row.strategy, row.labels_required, row.batch_size) == ("bald", 3, 20)


def test_an_unknown_strategy_is_refused_and_nothing_changes(client_for):
    client = client_for("admin")
    response = client.put(
        f"/api/annotate/queue-settings/{TASK}",
        {"strategy": "best_guess", "batch_size": 7},
        format="json",
    )
    assert response.status_code == 400
    assert "strategy" in response.json()
    assert not QueueSettings.objects.filter(batch_size=7).exists()


def test_an_unknown_task_has_no_queue_settings(client_for):
    assert client_for("admin").get("/api/annotate/queue-settings/nope").status_code == 404


@pytest.mark.parametrize("role", [None, "annotator", "radiologist", "reviewer"])
def test_only_admins_see_or_change_queue_settings(client_for, role):
    client = client_for(role)
    assert client.get(f"/api/annotate/queue-settings/{TASK}").status_code in (401, 403)
    put = client.put(f"/api/annotate/queue-settings/{TASK}", {"batch_size": 5}, format="json")
    assert put.status_code in (401, 403)
    assert not QueueSettings.objects.filter(batch_size=5).exists()


@pytest.fixture
def api_client_as(make_user):
    """An API client for an annotator of the given username (several per test)."""
    from rest_framework.test import APIClient

    from accounts.services import token_issue

    def make(username: str) -> APIClient:
        user = make_user("annotator", username)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(username=user.username)}")
        return client

    return make


def test_a_slot_taken_over_after_its_lock_expired_takes_the_late_holders_drafts_with_it(
    api_client_as,
):
    from annotations.models import Label
    from tests.annotations.label_cases import POSITIVE

    version = model_version()
    pool_image(version=version, probability=0.5)
    queue_settings(batch_size=1, labels_required=1, strategy="entropy", lock_seconds=60)
    late, taker = api_client_as("late"), api_client_as("taker")
    case = late.post("/api/annotate/next", {}, format="json").json()
    labels_url = f"/api/annotate/cases/{case['id']}/labels"
    draft = {"labels": [{"kind": "class", "value": POSITIVE}], "pre_annotation": "kept"}
    assert late.put(labels_url, {**draft, "submit": False}, format="json").status_code == 200
    assert taker.post("/api/annotate/next", {}, format="json").status_code == 204  # lock live
    CaseSlot.objects.filter(case__pseudonym=case["id"]).update(
        locked_until=timezone.now() - dt.timedelta(seconds=1)
    )

    taken = taker.post("/api/annotate/next", {}, format="json")

    assert taken.status_code == 200 and taken.json()["id"] == case["id"]
    assert taken.json()["labels"] == []
    # The late holder's drafts went with the slot: review and agreement cannot count them.
    assert not Label.objects.filter(case__pseudonym=case["id"]).exists()
    late_save = late.put(labels_url, {**draft, "submit": True}, format="json")
    assert late_save.status_code == 409, late_save.content
    assert late_save.json()["detail"] == (
        "This case was given to someone else after your lock expired; nothing was saved."
    )
    assert not Label.objects.filter(case__pseudonym=case["id"]).exists()
    slot = CaseSlot.objects.get(case__pseudonym=case["id"])
    assert slot.status == "locked" and slot.annotator.username == "taker"
    assert late.get(f"/api/annotate/cases/{case['id']}").status_code == 404


def _audit_query(sql: str) -> bool:
    return '"audit_audit' in sql or sql.startswith('SELECT "auth_group"."name"')


def test_next_case_costs_a_handful_of_queries_however_far_the_annotator_is(
    api_client_as, scored_pool
):
    """The queries a next case costs do not grow with the annotator's progress or the batch:
    the slot, its case, image size, schema version and progress come back in one SELECT after
    the UPDATE that takes it (bench/next_case.py measures the latency this buys)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from annotations.services.queue import batch_choose

    batch_choose(task=TASK)  # chosen ahead, as the queue's worker does
    client = api_client_as("annotator-a")
    counts = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            case = client.post("/api/annotate/next", {}, format="json").json()
        # The audit's own statements (the request's row; its user's roles, read once) are not
        # the view's; bench/README.md gives the audit's cost per request.
        counts.append(
            len([q for q in queries if "SAVEPOINT" not in q["sql"] and not _audit_query(q["sql"])])
        )
        CaseSlot.objects.filter(
            case__pseudonym=case["id"], annotator__username="annotator-a"
        ).update(status="submitted")

    # At most: token and its last-use time (written at most once a minute), 2 permission reads
    # (the first call; cached after), settings, the held slot's renewal, the taking UPDATE and
    # the {case} SELECT (16 queries at first, then 10).
    assert max(counts) <= 8, counts
    assert counts[-1] <= 4, counts
    assert case["progress"] == {"done": 2, "batch_size": 3, "position": 3}


def test_an_admin_lists_the_strategies_with_their_display_names(client_for):
    response = client_for("admin").get("/api/annotate/strategies")

    assert response.status_code == 200
    strategies = {entry["key"]: entry["display_name"] for entry in response.json()}
    assert strategies["entropy"] == "Uncertainty: entropy"
    assert "weighted_kmeans_pp" in strategies and "random" in strategies


@pytest.mark.parametrize("role", [None, "annotator", "radiologist", "reviewer"])
def test_only_admins_list_the_strategies(client_for, role):
    assert client_for(role).get("/api/annotate/strategies").status_code in (401, 403)
