"""The one label store: every label of every task, whoever made it, with its provenance.

A Label is a task's answer for a target (a study, or one image, or one frame of it) made under a
label schema version: a class now (value = the class key, checked against the task registry in
ml.core.tasks), boxes and masks once the label schema (issue 11, section 2) defines theirs. It
records where it came from (source, author, time), what the author was shown (model version
and probability) and how long it took. Measurements still live in triage (triage.Measurement),
to be moved here later.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from archive.models import Instance, Study
from ml.core.tasks import task_get

# The label schema version labels are made under until the schema is versioned (section 2).
SCHEMA_VERSION = 1


class Label(models.Model):
    class Kind(models.TextChoices):
        CLASS = "class", "class"
        BOX = "box", "box"
        MASK = "mask", "mask"

    class Source(models.TextChoices):
        RADIOLOGIST_READ = "radiologist_read", "radiologist read"
        ANNOTATOR = "annotator", "annotator"
        ADJUDICATED = "adjudicated", "adjudicated"
        IMPORTED = "imported", "imported"
        SEED = "seed", "seed data"

    task = models.CharField(max_length=64)
    schema_version = models.PositiveIntegerField(default=SCHEMA_VERSION)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="labels")
    instance = models.ForeignKey(
        Instance, null=True, blank=True, on_delete=models.CASCADE, related_name="labels"
    )
    frame_number = models.PositiveIntegerField(null=True, blank=True)  # 1-based, as in WADO-RS
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.JSONField()  # kind "class": the class key
    source = models.CharField(max_length=16, choices=Source.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # What the author was shown, if anything.
    model_version = models.ForeignKey(
        "ml.ModelVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    model_probability = models.FloatField(null=True, blank=True)
    seconds_spent = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(frame_number__isnull=True) | Q(instance__isnull=False),
                name="label_frame_needs_instance",
            ),
            models.CheckConstraint(
                condition=Q(frame_number__isnull=True) | Q(frame_number__gte=1),
                name="label_frame_from_one",
            ),
            models.CheckConstraint(
                condition=Q(schema_version__gte=1), name="label_schema_from_one"
            ),
            models.CheckConstraint(
                # Imported and seed labels came in without a person behind them here.
                condition=Q(author__isnull=False) | Q(source__in=["imported", "seed"]),
                name="label_author_unless_imported_or_seed",
            ),
            models.CheckConstraint(
                condition=Q(model_probability__isnull=True)
                | Q(model_probability__gte=0, model_probability__lte=1),
                name="label_probability_0_1",
            ),
            models.CheckConstraint(
                condition=Q(seconds_spent__isnull=True) | Q(seconds_spent__gte=0),
                name="label_seconds_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["task", "study"], name="label_task_study_idx")]

    def __str__(self) -> str:
        return f"Label {self.pk} ({self.task}: {self.value})"

    def clean(self) -> None:
        """The task is registered and the value is one of its classes; the image is the study's."""
        errors: dict[str, str] = {}
        try:
            task = task_get(self.task)
        except ValueError as error:
            raise ValidationError({"task": str(error)}) from None
        if self.kind != self.Kind.CLASS:
            errors["kind"] = "Only class labels for now; boxes and masks come with the schema."
        elif not isinstance(self.value, str):
            errors["value"] = f"A class label's value is a class key of {task.name}."
        else:
            try:
                task.class_get(self.value)
            except ValueError as error:
                errors["value"] = str(error)
        if self.instance is not None and self.instance.series.study_id != self.study_id:
            errors["instance"] = "The image is not one of the study's."
        if errors:
            raise ValidationError(errors)
