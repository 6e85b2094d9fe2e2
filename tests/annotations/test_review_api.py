"""Review: the reviewer's queue (disagreements first), a case with every annotator's labels,
and the decision that makes ground truth with its provenance; who may do it; what is refused."""

from __future__ import annotations

import pytest

from annotations.apis.review import ReviewCaseSerializer, ReviewQueueApi
from annotations.models import AnnotationCase, ImageScore, Label, ReviewDecision
from tests.annotations.test_queue import model_version
from tests.annotations.test_review_fixtures import (
    NEGATIVE,
    POSITIVE,
    TASK,
    annotator,
    box,
    labelled_case,
)
from tests.test_api_schema import as_documented

pytestmark = pytest.mark.django_db
ENDPOINTS = [
    ("get", "/api/review/queue"),
    ("get", "/api/review/cases/case-0000"),
    ("post", "/api/review/cases/case-0000/decision"),
]


def decide(client, case, body):
    return client.post(f"/api/review/cases/{case.pseudonym}/decision", body, format="json")


def nothing_decided(case):
    case.refresh_from_db()
    return (
        case.status == AnnotationCase.Status.LABELLED
        and not ReviewDecision.objects.exists()
        and not Label.objects.filter(source=Label.Source.ADJUDICATED).exists()
    )


def test_the_queue_lists_labelled_undecided_cases_disagreements_first(client_for):
    agreed = labelled_case(0, [NEGATIVE, NEGATIVE])
    disputed = labelled_case(1, [NEGATIVE, POSITIVE])
    labelled_case(2, [NEGATIVE, POSITIVE], status=AnnotationCase.Status.OPEN)
    decided = labelled_case(3, [POSITIVE, NEGATIVE])
    decide(client_for("reviewer"), decided, {"decision": "reject", "note": "blurred"})

    response = client_for("reviewer").get("/api/review/queue", {"task": TASK})

    assert response.status_code == 200, response.content
    body = response.json()
    assert [item["id"] for item in body] == [disputed.pseudonym, agreed.pseudonym]
    assert body[0]["agreement"]["class_disagreement"] == 0.5
    assert body[0]["agreement"]["majority"] is None
    assert body[1]["agreement"]["majority"] == [NEGATIVE]
    assert body[0]["annotators"] == 2
    assert as_documented(ReviewQueueApi.OutputSerializer(many=True), body) == body


def test_box_disagreement_ranks_a_case_among_those_agreeing_on_the_class(client_for):
    same = {0: [box(10, 10, 50, 50)], 1: [box(10, 10, 50, 50)]}
    apart = {0: [box(10, 10, 50, 50)], 1: [box(100, 100, 50, 50)]}
    close = labelled_case(0, [POSITIVE, POSITIVE], regions=same)
    far = labelled_case(1, [POSITIVE, POSITIVE], regions=apart)

    body = client_for("reviewer").get("/api/review/queue").json()

    assert [item["id"] for item in body] == [far.pseudonym, close.pseudonym]
    assert [item["agreement"]["box_iou"] for item in body] == [0.0, 1.0]


def test_a_reviewer_sees_every_annotators_labels_and_the_models_suggestion(client_for):
    version = model_version(threshold=0.5)
    case = labelled_case(0, [NEGATIVE, POSITIVE], regions={1: [box(1, 2, 30, 40)]})
    case.batch.model_version = version
    case.batch.save()
    ImageScore.objects.create(
        task=TASK,
        instance=case.instance,
        model_version=version,
        probability=0.8,
        entropy=0.5,
        margin=0.6,
        embedding=b"\0" * 8,
        embedding_dim=2,
    )

    response = client_for("reviewer").get(f"/api/review/cases/{case.pseudonym}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert [(a["annotator"], [x["value"] for x in a["labels"]]) for a in body["annotations"]] == [
        ("annotator-0", [NEGATIVE]),
        ("annotator-1", [POSITIVE, box(1, 2, 30, 40)["value"]]),
    ]
    assert body["pre_annotation"]["class"] == POSITIVE
    assert body["pre_annotation"]["probability"] == 0.8
    assert body["image"]["frame_url"] == f"/api/annotate/cases/{case.pseudonym}/dicom/frames/1"
    assert (body["rows"], body["columns"], body["decision"]) == (256, 256, None)
    assert case.study.study_instance_uid not in response.content.decode()
    assert as_documented(ReviewCaseSerializer, body) == body


def test_accepting_without_labels_makes_the_majority_class_the_truth_with_its_provenance(
    client_for,
):
    case = labelled_case(0, [POSITIVE, POSITIVE, NEGATIVE])
    client = client_for("reviewer")

    response = decide(client, case, {"decision": "accept"})

    assert response.status_code == 200, response.content
    truth = Label.objects.get(source=Label.Source.ADJUDICATED)
    reviewer = ReviewDecision.objects.get().reviewer
    assert (truth.kind, truth.value, truth.case, truth.author) == (
        "class",
        POSITIVE,
        case,
        reviewer,
    )
    assert (truth.instance, truth.frame_number) == (case.instance, 1)
    assert truth.provenance == {
        "annotators": sorted(annotator(n).pk for n in range(3)),
        "reviewer": reviewer.pk,
        "decision": "accept",
        "suggestion_kept": None,  # the model suggested nothing for this image
    }
    case.refresh_from_db()
    assert case.status == AnnotationCase.Status.ADJUDICATED
    body = response.json()
    assert body["decision"]["decision"] == "accept" and body["labels"][0]["value"] == POSITIVE


def test_the_provenance_says_whether_the_models_suggestion_was_kept(client_for):
    version = model_version(threshold=0.5)
    case = labelled_case(0, [NEGATIVE, POSITIVE], model_version=version)
    ImageScore.objects.create(
        task=TASK,
        instance=case.instance,
        model_version=version,
        probability=0.9,
        entropy=0.3,
        margin=0.8,
        embedding=b"\0" * 8,
        embedding_dim=2,
    )

    response = decide(
        client_for("reviewer"),
        case,
        {"decision": "edit", "labels": [{"kind": "class", "value": NEGATIVE}], "note": "no"},
    )

    assert response.status_code == 200, response.content
    truth = Label.objects.get(source=Label.Source.ADJUDICATED)
    assert truth.value == NEGATIVE and truth.provenance["suggestion_kept"] is False


def test_accepting_with_no_majority_and_no_labels_is_refused_and_changes_nothing(client_for):
    case = labelled_case(0, [NEGATIVE, POSITIVE])

    response = decide(client_for("reviewer"), case, {"decision": "accept"})

    assert response.status_code == 400
    assert "no majority" in response.json()["detail"]
    assert nothing_decided(case)


def test_accepting_chosen_labels_stores_them_box_included(client_for):
    case = labelled_case(0, [NEGATIVE, POSITIVE], regions={1: [box(5, 5, 20, 20)]})
    labels = [{"kind": "class", "value": POSITIVE}, box(5, 5, 20, 20)]

    response = decide(client_for("reviewer"), case, {"decision": "accept", "labels": labels})

    assert response.status_code == 200, response.content
    stored = Label.objects.filter(source=Label.Source.ADJUDICATED).order_by("pk")
    assert [(x.kind, x.value) for x in stored] == [(x["kind"], x["value"]) for x in labels]
    assert all(x.provenance["suggestion_kept"] is None for x in stored)


def test_an_edit_with_a_class_not_in_the_schema_is_refused_and_changes_nothing(client_for):
    case = labelled_case(0, [NEGATIVE, POSITIVE])
    labels = [{"kind": "class", "value": "effusion"}]

    response = decide(client_for("reviewer"), case, {"decision": "edit", "labels": labels})

    assert response.status_code == 400
    assert "effusion" in response.content.decode()
    assert nothing_decided(case)


def test_an_edit_with_a_box_outside_the_image_is_refused_and_changes_nothing(client_for):
    case = labelled_case(0, [NEGATIVE, POSITIVE])
    labels = [{"kind": "class", "value": POSITIVE}, box(250, 250, 20, 20)]

    response = decide(client_for("reviewer"), case, {"decision": "edit", "labels": labels})

    assert response.status_code == 400
    assert nothing_decided(case)


def test_an_edit_without_labels_is_refused(client_for):
    case = labelled_case(0, [NEGATIVE, POSITIVE])

    response = decide(client_for("reviewer"), case, {"decision": "edit", "labels": []})

    assert response.status_code == 400
    assert nothing_decided(case)


def test_a_rejection_needs_a_note_and_stores_no_truth(client_for):
    case = labelled_case(0, [NEGATIVE, POSITIVE])
    client = client_for("reviewer")

    refused = decide(client, case, {"decision": "reject", "note": "  "})
    assert refused.status_code == 400 and nothing_decided(case)

    response = decide(client, case, {"decision": "reject", "note": "image cut off"})

    assert response.status_code == 200, response.content
    decision = ReviewDecision.objects.get()
    assert (decision.decision, decision.note) == ("reject", "image cut off")
    assert not Label.objects.filter(source=Label.Source.ADJUDICATED).exists()
    case.refresh_from_db()
    assert case.status == AnnotationCase.Status.ADJUDICATED


def test_an_unknown_decision_is_refused(client_for):
    case = labelled_case(0, [NEGATIVE, NEGATIVE])

    response = decide(client_for("reviewer"), case, {"decision": "maybe"})

    assert response.status_code == 400
    assert "decision" in response.json()
    assert nothing_decided(case)


def test_a_decision_on_a_case_not_labelled_by_all_yet_is_a_conflict(client_for):
    case = labelled_case(0, [NEGATIVE, NEGATIVE], status=AnnotationCase.Status.OPEN)

    response = decide(client_for("reviewer"), case, {"decision": "accept"})

    assert response.status_code == 409
    assert "not labelled by all" in response.json()["detail"]
    assert not ReviewDecision.objects.exists()


def test_a_second_decision_is_a_conflict_and_keeps_the_first(client_for):
    case = labelled_case(0, [NEGATIVE, NEGATIVE])
    client = client_for("reviewer")
    assert decide(client, case, {"decision": "accept"}).status_code == 200

    response = decide(client, case, {"decision": "reject", "note": "changed my mind"})

    assert response.status_code == 409
    assert "already decided (accept) by reviewer-user" in response.json()["detail"]
    assert ReviewDecision.objects.get().decision == "accept"
    assert Label.objects.filter(source=Label.Source.ADJUDICATED).count() == 1


def test_an_unknown_case_is_not_found(client_for):
    response = client_for("reviewer").get("/api/review/cases/no-such-case")

    assert response.status_code == 404


def test_an_unknown_task_is_refused(client_for):
    response = client_for("reviewer").get("/api/review/queue", {"task": "knee_mri"})

    assert response.status_code == 400
    assert "knee_mri" in response.json()["detail"]


@pytest.mark.parametrize("role", ["annotator", "radiologist", "admin", None])
@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_only_reviewers_may_review(client_for, role, method, url):
    labelled_case(0, [NEGATIVE, NEGATIVE])

    response = getattr(client_for(role), method)(url, {"decision": "accept"}, format="json")

    assert response.status_code == (401 if role is None else 403), response.content
    assert not ReviewDecision.objects.exists()
