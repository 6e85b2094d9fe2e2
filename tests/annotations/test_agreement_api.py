"""Agreement figures: per annotator (Cohen's kappa against each other and against the
adjudicated truth), per class (Fleiss' kappa), box IoU and mask Dice, each with its count."""

from __future__ import annotations

import pytest

from annotations.apis.review import AgreementApi
from tests.annotations.test_review_fixtures import (
    NEGATIVE,
    POSITIVE,
    TASK,
    box,
    labelled_case,
    mask,
)
from tests.test_api_schema import as_documented

pytestmark = pytest.mark.django_db
SIZE = 256 * 256


def by_name(rows, key="annotator"):
    return {row[key]: row for row in rows}


def test_agreement_gives_each_pairs_kappa_the_truths_and_the_counts(client_for):
    # Annotators 0 and 1 on four cases: they agree on 3 (2 positive, 1 negative), differ on one.
    # p_o = 3/4; annotator 0 said P,P,N,P and 1 said P,P,N,N: p_e = 3/4*2/4 + 1/4*2/4 = 1/2;
    # kappa = (0.75 - 0.5) / 0.5 = 0.5.
    votes = [[POSITIVE, POSITIVE], [POSITIVE, POSITIVE], [NEGATIVE, NEGATIVE], [POSITIVE, NEGATIVE]]
    cases = [labelled_case(n, v) for n, v in enumerate(votes)]
    reviewer = client_for("reviewer")
    decision = {"decision": "edit", "labels": [{"kind": "class", "value": POSITIVE}]}
    reviewer.post(f"/api/review/cases/{cases[3].pseudonym}/decision", decision, format="json")

    response = reviewer.get("/api/review/agreement", {"task": TASK})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["cases"] == 4
    people = by_name(body["annotators"])
    assert people["annotator-0"]["pairs"] == [
        {"with": "annotator-1", "kappa": 0.5, "observed": 0.75, "cases": 4}
    ]
    assert people["annotator-0"]["truth"] == {"kappa": None, "observed": 1.0, "cases": 1}
    # One case each: chance agreement is 1 for annotator-0 (undefined), 0 for annotator-1.
    assert people["annotator-1"]["truth"] == {"kappa": 0.0, "observed": 0.0, "cases": 1}
    assert people["annotator-1"]["cases"] == 4
    classes = by_name(body["classes"], "class")
    # Two raters, two classes: Scott's pi, p_e = (5/8)^2 + (3/8)^2 = 34/64, p_o = 3/4.
    pi = round((0.75 - 34 / 64) / (1 - 34 / 64), 4)
    assert body["overall"] == {"fleiss_kappa": pi, "observed": 0.75, "expected": 0.5312, "cases": 4}
    assert classes[POSITIVE]["fleiss_kappa"] == pi and classes[POSITIVE]["chosen"] == 5
    assert classes[NEGATIVE]["ratings"] == 8
    assert as_documented(AgreementApi.OutputSerializer, body) == body


def test_agreement_gives_box_iou_and_mask_dice_with_their_pair_counts(client_for):
    # Boxes: 40x40 at the same place (IoU 1) on one case; half-overlapping (IoU 1/3) on another.
    same = {0: [box(0, 0, 40, 40)], 1: [box(0, 0, 40, 40)]}
    shifted = {0: [box(0, 0, 40, 40)], 1: [box(20, 0, 40, 40)]}
    labelled_case(0, [POSITIVE, POSITIVE], regions=same)
    labelled_case(1, [POSITIVE, POSITIVE], regions=shifted)
    # Masks: 10 pixels against 10 pixels, 5 shared: Dice 0.5.
    labelled_case(
        2,
        [POSITIVE, POSITIVE],
        regions={0: [mask([0, 10, SIZE - 10])], 1: [mask([5, 10, SIZE - 15])]},
    )

    body = client_for("admin").get("/api/review/agreement").json()

    assert body["boxes"] == {"iou_mean": round((1 + 1 / 3) / 2, 4), "pairs": 2}
    assert body["masks"] == {"dice_mean": 0.5, "pairs": 1}
    person = by_name(body["annotators"])["annotator-0"]
    assert person["box_iou"] == {"mean": body["boxes"]["iou_mean"], "pairs": 2}
    assert person["mask_dice"] == {"mean": 0.5, "pairs": 1}


def test_no_labelled_case_gives_undefined_figures_not_zeros(client_for):
    body = client_for("reviewer").get("/api/review/agreement").json()

    assert body["cases"] == 0 and body["annotators"] == []
    assert body["overall"]["fleiss_kappa"] is None and body["overall"]["cases"] == 0
    assert body["boxes"] == {"iou_mean": None, "pairs": 0}


@pytest.mark.parametrize("role", ["annotator", "radiologist", None])
def test_annotators_radiologists_and_anonymous_may_not_see_agreement(client_for, role):
    response = client_for(role).get("/api/review/agreement")

    assert response.status_code == (401 if role is None else 403)
