"""Saving an annotator's labels on a case (PUT /api/annotate/cases/<pseudonym>/labels) and
changing their own labels: what is stored, and every refusal leaves everything as it was."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from annotations.models import AnnotationCase, CaseSlot, Label
from tests.annotations.label_cases import NEGATIVE, POSITIVE, box, case_make, mask, slot_give

pytestmark = pytest.mark.django_db
SIZE = 256  # the test images' rows and columns


@pytest.fixture
def annotator(make_user):
    return make_user("annotator", "ann-1")


@pytest.fixture
def client_as(annotator):
    """An API client logged in as `user` (session login: several users in one test)."""
    from rest_framework.test import APIClient

    def make(user=annotator):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


def put(client, case, labels, **body):
    body = {"labels": labels, "seconds_spent": 12.5, "pre_annotation": "kept", **body}
    return client.put(f"/api/annotate/cases/{case.pseudonym}/labels", body, format="json")


def snapshot(case):
    """Everything a save may change: the case's labels, its slots, its status."""
    labels = list(Label.objects.filter(case=case).order_by("pk").values("pk", "kind", "value"))
    slots = list(case.slots.order_by("number").values())
    return labels, slots, AnnotationCase.objects.get(pk=case.pk).status


def test_an_annotator_saves_a_class_a_box_and_a_mask_with_their_provenance(
    active_model, annotator, client_as
):
    case = case_make(model_version=active_model, probability=0.8)
    slot = slot_give(case, annotator, minutes=1)

    response = put(
        client_as(), case, [{"kind": "class", "value": POSITIVE}, box(), mask(SIZE, SIZE)]
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == case.pseudonym and body["rows"] == body["columns"] == SIZE
    assert [label["kind"] for label in body["labels"]] == ["class", "box", "mask"]
    assert body["slot"]["status"] == "locked" and body["progress"]["done"] == 0
    stored = Label.objects.filter(case=case).order_by("pk")
    assert len(stored) == 3
    for label in stored:
        assert label.author == annotator and label.source == "annotator"
        assert (label.study, label.instance, label.frame_number) == (case.study, case.instance, 1)
        assert label.schema_version == 1 and label.provenance == {"pre_annotation": "kept"}
        assert label.model_version == active_model and label.model_probability == 0.8
        assert label.seconds_spent == 12.5
    slot.refresh_from_db()
    assert slot.locked_until > timezone.now() + dt.timedelta(minutes=10)  # renewed
    assert slot.seconds_spent == 12.5


def test_a_save_replaces_the_callers_earlier_labels(annotator, client_as):
    case = case_make()
    slot_give(case, annotator)
    put(client_as(), case, [{"kind": "class", "value": POSITIVE}, box()])

    response = put(client_as(), case, [{"kind": "class", "value": NEGATIVE}])

    assert response.status_code == 200, response.content
    assert list(Label.objects.filter(case=case).values_list("kind", "value")) == [
        ("class", NEGATIVE)
    ]


def test_the_case_is_labelled_once_all_its_annotators_have_submitted(make_user, client_as):
    first, second = make_user("annotator", "ann-a"), make_user("annotator", "ann-b")
    case = case_make(k=2)
    slot_give(case, first)
    slot_give(case, second)

    response = put(client_as(first), case, [{"kind": "class", "value": POSITIVE}], submit=True)

    assert response.status_code == 200, response.content
    assert response.json()["slot"]["status"] == "submitted"
    assert response.json()["progress"]["done"] == 1
    assert AnnotationCase.objects.get(pk=case.pk).status == "open"
    assert CaseSlot.objects.get(case=case, annotator=first).submitted_at is not None

    put(client_as(second), case, [{"kind": "class", "value": NEGATIVE}], submit=True)

    assert AnnotationCase.objects.get(pk=case.pk).status == "labelled"


def test_an_expired_lock_that_is_still_the_callers_is_renewed_by_a_save(annotator, client_as):
    case = case_make()
    slot = slot_give(case, annotator, minutes=-5)

    response = put(client_as(), case, [{"kind": "class", "value": POSITIVE}])

    assert response.status_code == 200, response.content
    slot.refresh_from_db()
    assert slot.status == "locked" and slot.locked_until > timezone.now()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            {"kind": "class", "value": "effusion"},
            "Label 2: 'effusion' is not a class of task chest_xray_pneumonia in label schema "
            "version 1 (its classes: normal, pneumonia)",
        ),
        (
            box(x=250, width=10),
            "Label 2: The box (x 250, y 3, width 10, height 8) goes outside the image: x + width "
            "must stay within 0 to 256 (columns) and y + height within 0 to 256 (rows).",
        ),
        (box(y=-1), "Label 2: The box (x 2, y -1, width 10, height 8) goes outside the image"),
        (box(width=0), "Label 2: The box's width and height must be above 0 (got 0 by 8)."),
        (box(**{"class": "nodule"}), "Label 2: 'nodule' is not a box class of task"),
        (
            mask(SIZE, 128),
            "Label 2: The mask is 256 rows by 128 columns; it must be the image's size, "
            "256 rows by 256 columns.",
        ),
        (
            mask(SIZE, SIZE, rle=[5, 4, 3]),
            "Label 2: The mask's run lengths add up to 12 pixels; the image has 256 x 256 = 65536.",
        ),
        (mask(SIZE, SIZE, rle=[5, -4, 65535]), "Label 2: The mask's rle must hold whole numbers"),
    ],
    ids=[
        "class-not-in-schema",
        "box-past-the-right-edge",
        "box-above-the-top",
        "box-of-no-width",
        "box-class-not-in-schema",
        "mask-of-the-wrong-size",
        "mask-runs-not-covering-the-image",
        "mask-negative-run",
    ],
)
def test_one_bad_label_refuses_the_whole_save_and_nothing_changes(
    annotator, client_as, bad, message
):
    case = case_make()
    slot_give(case, annotator)
    put(client_as(), case, [{"kind": "class", "value": NEGATIVE}])
    before = snapshot(case)

    response = put(client_as(), case, [{"kind": "class", "value": POSITIVE}, bad], submit=True)

    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith(message)
    assert response.json()["errors"][0]["index"] == 1
    assert snapshot(case) == before


def test_two_classes_are_refused_when_the_schema_is_not_multi_label(annotator, client_as):
    case = case_make()
    slot_give(case, annotator)

    response = put(
        client_as(),
        case,
        [{"kind": "class", "value": POSITIVE}, {"kind": "class", "value": NEGATIVE}],
    )

    assert response.status_code == 400, response.content
    assert "Give one class only: label schema version 1" in response.json()["detail"]
    assert not Label.objects.exists()


def test_a_label_for_a_case_the_annotator_was_not_given_is_refused(make_user, client_as):
    holder, other = make_user("annotator", "holder"), make_user("annotator", "other")
    case = case_make()
    slot_give(case, holder)
    put(client_as(holder), case, [{"kind": "class", "value": POSITIVE}])
    before = snapshot(case)

    response = put(client_as(other), case, [{"kind": "class", "value": NEGATIVE}])
    missing = client_as(other).put(
        "/api/annotate/cases/no-such-case/labels", {"labels": []}, format="json"
    )

    assert response.status_code == 404, response.content
    assert response.json()["detail"] == "No such case among the ones you were given."
    assert missing.status_code == 404
    assert snapshot(case) == before


def test_a_save_to_a_slot_taken_by_someone_else_after_the_lock_expired_is_refused(
    make_user, client_as
):
    late, taker = make_user("annotator", "late"), make_user("annotator", "taker")
    case = case_make(k=1)
    slot = slot_give(case, late, minutes=15)
    put(client_as(late), case, [{"kind": "class", "value": POSITIVE}])
    # The lock ran out and the queue gave the slot to another annotator.
    slot.annotator, slot.locked_until = taker, timezone.now() + dt.timedelta(minutes=15)
    slot.save()
    before = snapshot(case)

    response = put(client_as(late), case, [{"kind": "class", "value": NEGATIVE}], submit=True)

    assert response.status_code == 409, response.content
    assert response.json()["detail"] == (
        "This case was given to someone else after your lock expired; nothing was saved."
    )
    assert snapshot(case) == before


def test_a_role_without_labelling_may_not_save_labels(client_for):
    case = case_make()

    response = client_for("radiologist").put(
        f"/api/annotate/cases/{case.pseudonym}/labels", {"labels": []}, format="json"
    )

    assert response.status_code == 403


def test_an_annotator_changes_and_deletes_their_own_label(annotator, client_as):
    case = case_make()
    slot_give(case, annotator)
    label_id = put(client_as(), case, [box()]).json()["labels"][0]["id"]
    moved = {**box(x=20)["value"]}

    changed = client_as().patch(f"/api/annotate/labels/{label_id}", {"value": moved}, format="json")
    deleted = client_as().delete(f"/api/annotate/labels/{label_id}")

    assert changed.status_code == 200, changed.content
    assert changed.json()["value"] == moved
    assert deleted.status_code == 204
    assert not Label.objects.exists()


def test_an_edit_that_breaks_the_schema_is_refused_and_the_label_kept(annotator, client_as):
    case = case_make()
    slot_give(case, annotator)
    label_id = put(client_as(), case, [box()]).json()["labels"][0]["id"]

    response = client_as().patch(
        f"/api/annotate/labels/{label_id}", {"value": box(height=300)["value"]}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "goes outside the image" in str(response.json()["detail"])
    assert Label.objects.get(pk=label_id).value == box()["value"]


def test_an_edit_or_delete_of_someone_elses_label_is_refused(make_user, client_as):
    author, other = make_user("annotator", "author"), make_user("annotator", "other")
    case = case_make()
    slot_give(case, author)
    slot_give(case, other)
    label_id = put(client_as(author), case, [{"kind": "class", "value": POSITIVE}]).json()[
        "labels"
    ][0]["id"]
    before = snapshot(case)

    changed = client_as(other).patch(
        f"/api/annotate/labels/{label_id}", {"value": NEGATIVE}, format="json"
    )
    deleted = client_as(other).delete(f"/api/annotate/labels/{label_id}")

    for response in (changed, deleted):
        assert response.status_code == 403, response.content
        assert response.json()["detail"] == (
            "This label is someone else's; only its author may change it."
        )
    assert snapshot(case) == before
