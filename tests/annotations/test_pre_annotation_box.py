"""The model's pre-annotation box in the annotator's case (issue 11, section 4): the box pool
scoring stored around the heatmap's hot region reaches the case JSON with a positive suggestion,
and saving it unchanged records that the suggestion was kept."""

from __future__ import annotations

import pytest

from annotations.models import ImageScore, Label, LabelSchema
from ml.core.tasks import CHEST_XRAY_PNEUMONIA
from tests.annotations.test_queue import TASK, model_version, pool_image, queue_settings

pytestmark = pytest.mark.django_db
BOX = {"x": 60, "y": 40, "width": 90, "height": 120}  # inside the pool image's 240 x 256


def one_case_pool(*, probability: float, hot_box: dict | None):
    version = model_version(threshold=0.5)
    image = pool_image(version=version, probability=probability)
    ImageScore.objects.filter(instance=image).update(hot_box=hot_box)
    queue_settings(batch_size=1, labels_required=1, strategy="entropy")
    return version


def test_a_positive_suggestion_carries_the_stored_box(client_for):
    version = one_case_pool(probability=0.9, hot_box=BOX)

    case = client_for("annotator").post("/api/annotate/next", {}, format="json").json()

    assert case["pre_annotation"] == {
        "class": CHEST_XRAY_PNEUMONIA.class_for(positive=True).key,
        "probability": 0.9,
        "model_version": version.pk,
        "box": BOX,
    }


def test_a_negative_suggestion_has_no_box(client_for):
    one_case_pool(probability=0.1, hot_box=BOX)

    case = client_for("annotator").post("/api/annotate/next", {}, format="json").json()

    assert case["pre_annotation"]["class"] == CHEST_XRAY_PNEUMONIA.class_for(positive=False).key
    assert case["pre_annotation"]["box"] is None


def test_a_score_without_a_box_suggests_the_class_alone(client_for):
    one_case_pool(probability=0.9, hot_box=None)

    case = client_for("annotator").post("/api/annotate/next", {}, format="json").json()

    assert case["pre_annotation"]["class"] == CHEST_XRAY_PNEUMONIA.class_for(positive=True).key
    assert case["pre_annotation"]["box"] is None


def test_the_suggested_box_saved_unchanged_is_stored_as_kept(client_for):
    one_case_pool(probability=0.9, hot_box=BOX)
    client = client_for("annotator")
    case = client.post("/api/annotate/next", {}, format="json").json()
    box_class = LabelSchema.objects.get(task=TASK, version=1).box_classes[0]["key"]
    suggested = case["pre_annotation"]

    response = client.put(
        f"/api/annotate/cases/{case['id']}/labels",
        {
            "labels": [
                {"kind": "class", "value": suggested["class"]},
                {"kind": "box", "value": {"class": box_class, **suggested["box"]}},
            ],
            "seconds_spent": 4.0,
            "pre_annotation": "kept",
            "submit": True,
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    box = Label.objects.get(author__username="annotator-user", kind="box")
    assert box.value == {"class": box_class, **BOX}
    assert box.provenance == {"pre_annotation": "kept"}
    assert box.model_probability == 0.9
