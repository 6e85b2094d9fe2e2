"""Dataset snapshots: GET /api/annotate/export as JSON (every label with its target by UID) and
as COCO (boxes and column-major RLE masks checked against COCO's own invariants by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from annotations.models import Label
from annotations.services.export_dataset import mask_decode, mask_encode, rle_encode
from ml.core.tasks import CHEST_XRAY_PNEUMONIA

pytestmark = pytest.mark.django_db
TASK = CHEST_XRAY_PNEUMONIA.name
POSITIVE = CHEST_XRAY_PNEUMONIA.positive_class.key
URL = "/api/annotate/export"


def stored(image, kind, value, author=None, source=Label.Source.IMPORTED) -> Label:
    return Label.objects.create(
        task=TASK,
        study=image.series.study,
        instance=image,
        kind=kind,
        value=value,
        source=source,
        author=author,
    )


def an_l_shaped_mask(image) -> np.ndarray:
    """Not symmetric, so row-major and column-major run lengths differ."""
    mask = np.zeros((image.rows, image.columns), dtype=bool)
    mask[10:40, 20:25] = True
    mask[35:40, 20:60] = True
    return mask


def test_row_major_rle_round_trips_and_starts_with_zeros():
    mask = np.array([[1, 1, 0], [0, 1, 1]], dtype=bool)

    value = mask_encode(mask)

    assert value == {"rows": 2, "columns": 3, "rle": [0, 2, 2, 2]}
    assert np.array_equal(mask_decode(value), mask)
    assert rle_encode(np.zeros(4, bool)) == [4]


def test_the_json_snapshot_names_each_labels_target_author_and_provenance(
    client_for, image, make_user
):
    reviewer = make_user("reviewer", "dr-review")
    label = stored(image, "class", POSITIVE, author=reviewer, source=Label.Source.ADJUDICATED)
    Label.objects.filter(pk=label.pk).update(provenance={"decision": "accept"})

    response = client_for("admin").get(URL, {"task": TASK, "format": "json"})

    assert response.status_code == 200
    [row] = response.json()["labels"]
    assert row["study_instance_uid"] == image.series.study.study_instance_uid
    assert row["series_instance_uid"] == image.series.series_instance_uid
    assert row["sop_instance_uid"] == image.sop_instance_uid
    assert (row["kind"], row["value"], row["source"]) == ("class", POSITIVE, "adjudicated")
    assert (row["author"], row["schema_version"]) == ("dr-review", 1)
    assert row["provenance"] == {"decision": "accept"}
    assert row["created_at"] and row["updated_at"]


def test_the_coco_snapshot_keeps_coco_invariants(client_for, image, schema):
    box_class, mask_class = schema.box_classes[0]["key"], schema.mask_classes[0]["key"]
    stored(image, "box", {"class": box_class, "x": 20, "y": 10, "width": 40, "height": 30})
    mask = an_l_shaped_mask(image)
    stored(image, "mask", {"class": mask_class, **mask_encode(mask)})
    stored(image, "class", POSITIVE)

    response = client_for("admin").get(URL, {"task": TASK, "format": "coco"})

    assert response.status_code == 200
    coco = response.json()
    [coco_image] = coco["images"]
    assert coco_image["file_name"] == image.sop_instance_uid
    assert (coco_image["width"], coco_image["height"]) == (211, 169)
    names = {c["id"]: c["name"] for c in coco["categories"]}
    box, segment = coco["annotations"]
    assert names[box["category_id"]] == box_class and box["iscrowd"] == 0
    assert box["bbox"] == [20, 10, 40, 30] and box["area"] == 40 * 30
    assert names[segment["category_id"]] == mask_class
    rle = segment["segmentation"]
    assert rle["size"] == [169, 211] and sum(rle["counts"]) == 169 * 211
    # COCO's RLE is column-major: decoding it in Fortran order gives the label's mask back.
    flat = np.repeat(np.arange(len(rle["counts"])) % 2 == 1, rle["counts"])
    assert np.array_equal(flat.reshape((211, 169)).T, mask)
    assert segment["area"] == int(mask.sum())
    assert segment["bbox"] == [20, 10, 40, 30]
    assert len({a["id"] for a in coco["annotations"]}) == 2
    assert coco["image_labels"][0]["image_id"] == coco_image["id"]
    assert coco["image_labels"][0]["class"] == POSITIVE
    assert POSITIVE in [c["key"] for c in coco["image_classes"]]


@pytest.mark.parametrize("role", ["annotator", "radiologist", None])
def test_only_those_who_may_see_every_label_export_them(client_for, role):
    response = client_for(role).get(URL, {"task": TASK})

    assert response.status_code in (401, 403)


def test_an_unknown_format_or_task_is_a_400(client_for):
    admin = client_for("admin")

    assert admin.get(URL, {"format": "xml"}).status_code == 400
    assert admin.get(URL, {"task": "no-such-task"}).status_code == 400
    assert admin.get(URL, {"source": "nobody"}).status_code == 400
