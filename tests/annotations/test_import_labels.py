"""POST /api/annotate/import and `manage.py import_labels`: CSV or JSON rows through
label_record, every refusal reported by row with its reason, good rows kept; export JSON ->
import round-trips."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from annotations.models import Label
from annotations.services.export_dataset import mask_encode
from annotations.services.imports import labels_import
from ml.core.tasks import CHEST_XRAY_PNEUMONIA

pytestmark = pytest.mark.django_db
TASK = CHEST_XRAY_PNEUMONIA.name
POSITIVE = CHEST_XRAY_PNEUMONIA.positive_class.key
NEGATIVE = CHEST_XRAY_PNEUMONIA.negative_class.key
URL = "/api/annotate/import"
HEADER = "study_instance_uid,sop_instance_uid,frame,task,kind,value,source\n"


def csv_line(image, kind, value, *, study=None, sop=None, frame="", task=TASK) -> str:
    study = study or image.series.study.study_instance_uid
    sop = image.sop_instance_uid if sop is None else sop
    cell = value if isinstance(value, str) else json.dumps(value).replace('"', '""')
    return f'{study},{sop},{frame},{task},{kind},"{cell}",someone\n'


def upload(client, content: str, name: str = "labels.csv"):
    return client.post(
        URL, {"file": SimpleUploadedFile(name, content.encode())}, format="multipart"
    )


def test_good_rows_are_imported_and_each_bad_one_reported_with_its_reason(
    client_for, image, schema
):
    box_class = schema.box_classes[0]["key"]
    mask_class = schema.mask_classes[0]["key"]
    good_box = {"class": box_class, "x": 1, "y": 2, "width": 10, "height": 5}
    content = HEADER + "".join(
        [
            csv_line(image, "class", POSITIVE),  # 1: good
            csv_line(image, "class", "effusion"),  # 2: class not in the schema
            csv_line(image, "class", POSITIVE, study="1.2.3.999"),  # 3: unknown study
            csv_line(image, "class", POSITIVE, sop="1.2.3.998"),  # 4: unknown image
            csv_line(image, "box", {**good_box, "x": 205}),  # 5: box outside the image
            csv_line(image, "mask", {"class": mask_class, **mask_encode(np.ones((3, 3), bool))}),
            csv_line(image, "box", good_box),  # 7: good
            csv_line(image, "box", "{not json"),  # 8: value not JSON
            csv_line(image, "class", POSITIVE, frame="2"),  # 9: a frame the image lacks
            csv_line(image, "class", POSITIVE, task="no-such-task"),  # 10: task unknown
        ]
    )

    response = upload(client_for("admin"), content)

    assert response.status_code == 200
    report = response.json()
    assert report["imported"] == 2
    reasons = {item["row"]: item["reason"] for item in report["refused"]}
    assert sorted(reasons) == [2, 3, 4, 5, 6, 8, 9, 10]
    assert "effusion" in reasons[2]
    assert reasons[3] == "no such study"
    assert reasons[4] == "no such image in the study"
    assert reasons[5].startswith("value: The box") and "outside the image" in reasons[5]
    assert reasons[6].startswith("value: The mask is 3 rows by 3 columns")
    assert reasons[8] == "the value of a box label is not valid JSON"
    assert reasons[9] == "frame 2 is not a frame of the image"
    assert "no-such-task" in reasons[10]
    labels = Label.objects.order_by("id")
    assert [(label.kind, label.source, label.author) for label in labels] == [
        ("class", "imported", None),
        ("box", "imported", None),
    ]
    assert labels[0].provenance == {"import": {"file": "labels.csv", "row": 1}}
    assert labels[1].value == good_box


def test_the_same_file_imported_twice_adds_nothing_the_second_time(image):
    content = (HEADER + csv_line(image, "class", NEGATIVE)).encode()

    assert labels_import(content=content, filename="a.csv").imported == 1
    again = labels_import(content=content, filename="a.csv")

    assert again.imported == 0
    assert again.refused == [{"row": 1, "reason": "already imported"}]
    assert Label.objects.count() == 1


def test_a_csv_without_the_needed_columns_is_refused_whole(client_for, image):
    response = upload(client_for("admin"), "study_instance_uid,value\n1.2.3,x\n")

    assert response.status_code == 400
    assert "task, kind" in response.json()["detail"]
    assert not Label.objects.exists()


def test_a_file_over_the_limit_is_a_413(client_for, settings):
    settings.ANNOTATION_IMPORT_MAX_BYTES = 100

    response = upload(client_for("admin"), HEADER + "x" * 200)

    assert response.status_code == 413
    assert "at most 100" in response.json()["detail"]


def test_a_file_that_is_not_text_is_a_400(client_for):
    response = client_for("admin").post(
        URL, {"file": SimpleUploadedFile("x.json", b"\xff\xfe\x00bad")}, format="multipart"
    )

    assert response.status_code == 400


@pytest.mark.parametrize("role", ["annotator", "reviewer", "radiologist", None])
def test_only_admins_import(client_for, role, image):
    response = upload(client_for(role), HEADER + csv_line(image, "class", POSITIVE))

    assert response.status_code in (401, 403)
    assert not Label.objects.exists()


def test_export_json_imports_back_to_the_same_labels(client_for, image, schema, make_user):
    reviewer = make_user("reviewer", "dr-review")
    mask = np.zeros((image.rows, image.columns), bool)
    mask[3:9, 4:7] = True
    values = [
        ("class", POSITIVE),
        ("box", {"class": schema.box_classes[0]["key"], "x": 5, "y": 6, "width": 7, "height": 8}),
        ("mask", {"class": schema.mask_classes[0]["key"], **mask_encode(mask)}),
    ]
    for kind, value in values:
        Label.objects.create(
            task=TASK,
            study=image.series.study,
            instance=image,
            kind=kind,
            value=value,
            source=Label.Source.ADJUDICATED,
            author=reviewer,
        )
    admin = client_for("admin")
    exported = admin.get("/api/annotate/export", {"task": TASK, "format": "json"}).json()
    originals = {row["id"]: row for row in exported["labels"]}
    Label.objects.all().delete()

    response = upload(admin, json.dumps(exported), name="export.json")

    assert response.json() == {"imported": 3, "refused": []}
    again = admin.get("/api/annotate/export", {"task": TASK, "format": "json"}).json()["labels"]
    same = ("study_instance_uid", "sop_instance_uid", "frame", "kind", "value", "schema_version")
    for row in again:
        original = originals[row["provenance"]["import"]["id"]]
        assert {k: row[k] for k in same} == {k: original[k] for k in same}
        assert row["created_at"] == original["created_at"]
        assert row["source"] == "imported"
        assert row["provenance"]["import"]["author"] == "dr-review"


def test_the_command_imports_a_file_and_prints_the_report(image, tmp_path, capsys):
    path = tmp_path / "labels.csv"
    path.write_text(HEADER + csv_line(image, "class", POSITIVE) + csv_line(image, "class", "x"))

    call_command("import_labels", str(path))

    report = json.loads(capsys.readouterr().out)
    assert report["imported"] == 1
    assert [item["row"] for item in report["refused"]] == [2]
