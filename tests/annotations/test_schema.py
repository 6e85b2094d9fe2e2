"""The label schema: the current version for the workspace, new versions by admins only, every
refusal of a malformed version, and labels keeping the version they were made under."""

from __future__ import annotations

import copy

import pytest
from django.core.exceptions import ValidationError

from annotations.models import Label, LabelSchema
from annotations.services.labels import label_record
from tests.annotations.label_cases import NEGATIVE, POSITIVE, TASK, case_make, slot_give

pytestmark = pytest.mark.django_db
SCHEMAS = f"/api/annotate/schemas?task={TASK}"


def version_one():
    return LabelSchema.objects.get(task=TASK, version=1)


def proposal(**changes):
    """Version 1's lists with one extra study class, as an admin would send them."""
    v1 = version_one()
    body = {
        "classes": [
            *copy.deepcopy(v1.classes),
            {"key": "artefact", "display_name": "artefact", "hotkey": "9"},
        ],
        "multi_label": False,
        "box_classes": copy.deepcopy(v1.box_classes),
        "mask_classes": copy.deepcopy(v1.mask_classes),
        "note": "artefacts",
    }
    return {**body, **changes}


def test_the_workspace_gets_the_seeded_first_version(client_for):
    response = client_for("annotator").get(f"/api/annotate/schema?task={TASK}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["task"], body["version"], body["multi_label"]) == (TASK, 1, False)
    assert [c["key"] for c in body["classes"]] == [NEGATIVE, POSITIVE]
    assert [c["hotkey"] for c in body["classes"]] == ["1", "2"]
    assert body["box_classes"][0]["colour"].startswith("#")


def test_the_task_defaults_to_the_registered_one_and_an_unknown_task_is_refused(client_for):
    client = client_for("annotator")

    assert client.get("/api/annotate/schema").json()["task"] == TASK
    unknown = client.get("/api/annotate/schema?task=chest_ct_nodule")
    assert unknown.status_code == 400
    assert "chest_ct_nodule" in str(unknown.json()["task"])


def test_the_workspace_gets_an_older_version_by_number(client_for):
    """A case made under version 1 is labelled with version 1's keys after version 2 exists."""
    client_for("admin").post(SCHEMAS, proposal(), format="json")
    client = client_for("annotator")

    old = client.get(f"/api/annotate/schema?task={TASK}&version=1")
    current = client.get(f"/api/annotate/schema?task={TASK}&version=2")

    assert old.status_code == 200, old.content
    assert old.json()["version"] == 1
    assert [c["key"] for c in old.json()["classes"]] == [NEGATIVE, POSITIVE]
    assert current.json()["classes"][-1]["key"] == "artefact"


@pytest.mark.parametrize("version", ["2", "0", "-1"])
def test_a_version_that_does_not_exist_is_refused_with_a_clear_message(client_for, version):
    response = client_for("annotator").get(f"/api/annotate/schema?task={TASK}&version={version}")

    assert response.status_code == 400, response.content
    assert response.json()["detail"] == (
        f"Task {TASK} has no label schema version {version}; its versions are 1 to 1."
    )


def test_a_version_that_is_not_a_number_is_refused(client_for):
    response = client_for("annotator").get(f"/api/annotate/schema?task={TASK}&version=two")

    assert response.status_code == 400
    assert "version" in response.json()


@pytest.mark.parametrize("role", [None, "modality"])
def test_who_may_not_see_the_schema_does_not(client_for, role):
    response = client_for(role).get("/api/annotate/schema")

    assert response.status_code in (401, 403)


def test_an_admin_adds_a_version_and_it_becomes_the_current_one(client_for):
    admin = client_for("admin")

    response = admin.post(SCHEMAS, proposal(), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["version"] == 2 and response.json()["created_by"] == "admin-user"
    current = admin.get(f"/api/annotate/schema?task={TASK}").json()
    assert current["version"] == 2 and current["classes"][-1]["key"] == "artefact"
    assert [s["version"] for s in admin.get(SCHEMAS).json()] == [2, 1]
    assert version_one().classes == proposal()["classes"][:2]  # version 1 untouched


@pytest.mark.parametrize("role", ["annotator", "reviewer", "radiologist"])
def test_only_admins_add_versions(client_for, role):
    response = client_for(role).post(SCHEMAS, proposal(), format="json")

    assert response.status_code == 403
    assert LabelSchema.objects.filter(task=TASK).count() == 1


def _with(field, position, entry):
    body = proposal()
    body[field][position] = {**body[field][position], **entry}
    return body


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("classes", 2, {"key": NEGATIVE}),
            f"Key '{NEGATIVE}' appears twice in classes; keys are unique within a list.",
        ),
        (
            ("classes", 2, {"hotkey": "1"}),
            "Hotkey '1' of classes 'artefact' is already the hotkey of classes "
            f"'{NEGATIVE}'; each hotkey does one thing.",
        ),
        (
            ("box_classes", 0, {"colour": "orange"}),
            "box_classes 'opacity': colour 'orange' must be #rrggbb, e.g. #ff8c00.",
        ),
        (
            ("classes", 0, {"key": "healthy"}),
            f"The model's classes must stay in the schema; missing: {NEGATIVE} "
            f"(the task's classes: {NEGATIVE}, {POSITIVE}).",
        ),
        (
            ("mask_classes", 0, {"shade": "red"}),
            "Entry 1 of mask_classes must have exactly the fields key, display_name, colour, "
            "hotkey.",
        ),
    ],
    ids=["repeated-key", "repeated-hotkey", "bad-colour", "model-class-dropped", "extra-field"],
)
def test_a_malformed_version_is_refused_naming_what_is_wrong(client_for, change, message):
    response = client_for("admin").post(SCHEMAS, _with(*change), format="json")

    assert response.status_code == 400, response.content
    assert response.json()["detail"] == message
    assert LabelSchema.objects.filter(task=TASK).count() == 1


def test_a_label_records_the_version_it_was_made_under(make_user, client_for):
    client_for("admin").post(SCHEMAS, proposal(), format="json")
    annotator = make_user("annotator", "ann-v2")
    case = case_make()
    slot_give(case, annotator)
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(annotator)
    response = client.put(
        f"/api/annotate/cases/{case.pseudonym}/labels",
        {"labels": [{"kind": "class", "value": "artefact"}]},
        format="json",
    )

    assert response.status_code == 200, response.content
    label = Label.objects.get()
    assert (label.value, label.schema_version) == ("artefact", 2)


def test_old_labels_stay_valid_under_their_version_after_new_ones(make_user, client_for):
    admin = client_for("admin")
    annotator = make_user("annotator", "ann-old")
    study = case_make().study
    old = label_record(
        task=TASK, study=study, value=POSITIVE, source=Label.Source.ANNOTATOR, author=annotator
    )
    admin.post(SCHEMAS, proposal(), format="json")
    made_in_two = label_record(
        task=TASK, study=study, value="artefact", source=Label.Source.SEED, author=None
    )
    # Version 3 drops the class again.
    admin.post(SCHEMAS, proposal(classes=version_one().classes), format="json")

    assert (old.schema_version, made_in_two.schema_version) == (1, 2)
    old.full_clean()
    made_in_two.full_clean()  # still valid under version 2
    with pytest.raises(ValidationError) as refused:
        label_record(
            task=TASK, study=study, value="artefact", source=Label.Source.SEED, author=None
        )
    assert "is not a class of task chest_xray_pneumonia in label schema version 3" in str(
        refused.value
    )


def test_a_multi_label_version_takes_several_classes_but_not_one_twice(make_user, client_for):
    client_for("admin").post(SCHEMAS, proposal(multi_label=True), format="json")
    annotator = make_user("annotator", "ann-multi")
    case = case_make()
    slot_give(case, annotator)
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(annotator)
    url = f"/api/annotate/cases/{case.pseudonym}/labels"

    two = client.put(
        url, {"labels": [{"kind": "class", "value": v} for v in (POSITIVE, "artefact")]}, "json"
    )
    twice = client.put(
        url, {"labels": [{"kind": "class", "value": v} for v in (POSITIVE, POSITIVE)]}, "json"
    )

    assert two.status_code == 200, two.content
    assert twice.status_code == 400
    assert twice.json()["detail"] == f"Class {POSITIVE} is given twice."
    assert sorted(Label.objects.values_list("value", flat=True)) == sorted([POSITIVE, "artefact"])


@pytest.mark.django_db
def test_a_flushed_database_gets_version_1_back_after_post_migrate():
    """A flush (as live-server tests do after each test) empties the table the migration
    seeded; post_migrate, which a flush sends, gives every registered task its version 1
    again, so a label can be saved at once."""
    from django.core.management.sql import emit_post_migrate_signal

    from ml.core.tasks import TASKS

    LabelSchema.objects.all().delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    for task in TASKS.values():
        schema = LabelSchema.objects.get(task=task.name)
        assert schema.version == 1
        assert [c["key"] for c in schema.classes] == list(task.class_keys)
