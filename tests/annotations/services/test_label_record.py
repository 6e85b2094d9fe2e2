"""label_record: the one door into the label store refuses what the task registry does not know,
and writes nothing when it refuses."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from annotations.models import Label
from annotations.services.labels import label_record
from ml.core.tasks import CHEST_XRAY_PNEUMONIA
from tests.triage.studies import waiting_study

pytestmark = pytest.mark.django_db
TASK = CHEST_XRAY_PNEUMONIA.name
POSITIVE = CHEST_XRAY_PNEUMONIA.positive_class.key


@pytest.fixture
def annotator(make_user):
    return make_user("annotator")


def record(**overrides):
    arguments = {
        "task": TASK,
        "value": POSITIVE,
        "source": Label.Source.ANNOTATOR,
        **overrides,
    }
    return label_record(**arguments)


def test_it_stores_a_class_label_under_schema_version_one(annotator):
    study = waiting_study(0)
    instance = study.series.get().instances.get()

    label = record(
        study=study, author=annotator, instance=instance, frame_number=1, seconds_spent=4
    )

    stored = Label.objects.get()
    assert stored == label
    assert (stored.task, stored.value, stored.kind) == (TASK, POSITIVE, "class")
    assert stored.schema_version == 1 and stored.author == annotator
    assert (stored.instance, stored.frame_number, stored.seconds_spent) == (instance, 1, 4)


def test_a_class_not_in_the_task_is_refused_and_nothing_is_written(annotator):
    study = waiting_study(0)

    with pytest.raises(ValidationError) as refused:
        record(study=study, author=annotator, value="effusion")

    assert refused.value.message_dict["value"] == [
        "'effusion' is not a class of task chest_xray_pneumonia in label schema version 1 "
        "(its classes: normal, pneumonia)"
    ]
    assert list(refused.value.message_dict) == ["value"]
    assert not Label.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"task": "chest_ct_nodule"}, "task"),
        ({"value": ["pneumonia"]}, "value"),
        ({"kind": Label.Kind.BOX, "value": {"x": 1}}, "instance"),  # a box without its image
        ({"schema_version": 9}, "schema_version"),
        ({"frame_number": 2}, "__all__"),  # a frame without its image
        ({"model_probability": 1.5}, "__all__"),
    ],
)
def test_bad_labels_are_refused_naming_what_is_wrong(annotator, overrides, field):
    study = waiting_study(0)

    with pytest.raises(ValidationError) as refused:
        record(study=study, author=annotator, **overrides)

    assert field in refused.value.message_dict
    assert not Label.objects.exists()


def test_only_imported_and_seed_labels_may_have_no_author():
    study = waiting_study(0)

    with pytest.raises(ValidationError):
        record(study=study, author=None)
    record(study=study, author=None, source=Label.Source.SEED)
    record(study=study, author=None, source=Label.Source.IMPORTED)

    assert Label.objects.count() == 2


def test_an_image_of_another_study_is_refused(annotator):
    study, other = waiting_study(0), waiting_study(1)
    elsewhere = other.series.get().instances.get()

    with pytest.raises(ValidationError) as refused:
        record(study=study, author=annotator, instance=elsewhere)

    assert "instance" in refused.value.message_dict
    assert not Label.objects.exists()
