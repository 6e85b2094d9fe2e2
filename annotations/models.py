"""The one label store and the annotation workflow around it.

- Label: a task's answer for a target (a study, or one image, or one frame of it) made under a
  LabelSchema version: a class, a box or a mask. It records where it came from (source, author,
  time), what the author was shown (model version and probability) and how long it took, and in
  `provenance` the rest (the case, whether the model's pre-annotation was kept, the annotators
  and reviewer behind an adjudicated label).
- LabelSchema: the admin-edited, versioned classes of a task (study/image classes, box classes,
  mask classes with colours and keys). Versions are immutable; an edit adds one.
- ImageScore: what pool scoring (ml) stored per unlabelled image for a model version.
- QueueSettings, AnnotationBatch, AnnotationCase, CaseSlot, CaseSkip: the active-learning queue.
  A batch is chosen by a strategy (ml.core.active_learning); each of its cases is one image to be
  labelled by `labels_required` annotators, one CaseSlot each, locked with an expiry.
- ReviewDecision: a reviewer's accept / edit / reject of a case's labels.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from annotations.validation import box_value_errors, class_value_errors, mask_value_errors
from archive.models import Instance, Study
from ml.core.tasks import task_get

# The first schema version of every task (seeded from the task registry by migration 0002).
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
    # The annotation case the label was made in (annotators' and adjudicated labels).
    case = models.ForeignKey(
        "AnnotationCase", null=True, blank=True, on_delete=models.CASCADE, related_name="labels"
    )
    updated_at = models.DateTimeField(auto_now=True)
    # The rest of where it came from, e.g. {"pre_annotation": "kept" | "edited" | "none"} for an
    # annotator's label; {"annotators": [ids], "reviewer": id, "decision": "accept",
    # "suggestion_kept": bool} for an adjudicated one; {"file": ..., "row": n} for an import.
    provenance = models.JSONField(default=dict, blank=True)

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
        """The value is valid under the label's schema version (class, box or mask, see
        annotations.validation), boxes and masks fit the image, the image is the study's, and
        without multi_label an author gives a target one class only."""
        try:
            task = task_get(self.task)
        except ValueError as error:
            raise ValidationError({"task": str(error)}) from None
        schema = LabelSchema.objects.filter(task=task.name, version=self.schema_version).first()
        if schema is None:
            latest = LabelSchema.objects.filter(task=task.name).aggregate(v=models.Max("version"))
            raise ValidationError(
                {
                    "schema_version": f"Task {task.name} has no label schema version "
                    f"{self.schema_version} (latest: {latest['v']})."
                }
            )
        errors = self._target_errors() or self._value_errors(schema)
        if not errors and self.kind == self.Kind.CLASS and not schema.multi_label:
            errors = self._second_class_errors(schema)
        if errors:
            raise ValidationError(errors)

    def _target_errors(self) -> dict[str, str]:
        if self.instance is None:
            return {}
        if self.instance.series.study_id != self.study_id:
            return {"instance": "The image is not one of the study's."}
        frames = self.instance.number_of_frames or 1
        if self.frame_number is not None and self.frame_number > frames:
            return {
                "frame_number": f"Frame {self.frame_number} does not exist; the image has {frames}."
            }
        return {}

    def _value_errors(self, schema: LabelSchema) -> dict[str, str]:
        where = f"task {self.task} in label schema version {schema.version}"
        if self.kind == self.Kind.CLASS:
            keys = [entry["key"] for entry in schema.classes]
            return class_value_errors(value=self.value, keys=keys, where=where)
        if self.kind not in self.Kind.values:
            return {"kind": f"kind {self.kind!r} is not one of {', '.join(self.Kind.values)}."}
        if self.instance is None:
            return {"instance": f"A {self.kind} is drawn on an image: give the image."}
        rows, columns = self.instance.rows, self.instance.columns
        if not rows or not columns:
            return {"instance": f"The image's size is unknown, so a {self.kind} cannot be checked."}
        check = box_value_errors if self.kind == self.Kind.BOX else mask_value_errors
        regions = schema.box_classes if self.kind == self.Kind.BOX else schema.mask_classes
        keys = [entry["key"] for entry in regions]
        return check(value=self.value, keys=keys, rows=rows, columns=columns, where=where)

    def _second_class_errors(self, schema: LabelSchema) -> dict[str, str]:
        """One class per author, source and target when the schema is not multi-label (imports
        and seed data have no author to hold to it)."""
        if self.author_id is None:
            return {}
        others = Label.objects.filter(
            task=self.task,
            study_id=self.study_id,
            instance_id=self.instance_id,
            frame_number=self.frame_number,
            author_id=self.author_id,
            source=self.source,
            kind=self.Kind.CLASS,
        ).exclude(pk=self.pk)
        other = others.values_list("value", flat=True).first()
        if other is None:
            return {}
        return {
            "value": f"This target already has your class {other!r}; label schema version "
            f"{schema.version} of {self.task} allows one class per target (not multi-label)."
        }


class LabelSchema(models.Model):
    """One immutable version of a task's label schema.

    `classes`: the study/image classes, [{"key", "display_name", "hotkey"}] (hotkey: one key,
    "1".."9" by default); they always include the task registry's classes (the model's), and may
    add more. `multi_label`: whether one target may carry several of them. `box_classes` and
    `mask_classes`: [{"key", "display_name", "colour": "#rrggbb", "hotkey"}]. A mask class's
    segment number (DICOM SEG) is its 1-based position in `mask_classes`.
    """

    task = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    classes = models.JSONField()
    multi_label = models.BooleanField(default=False)
    box_classes = models.JSONField(default=list)
    mask_classes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "version"], name="label_schema_task_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="label_schema_version_1"),
        ]

    def __str__(self) -> str:
        return f"{self.task} schema v{self.version}"


class QueueSettings(models.Model):
    """How a task's annotation queue is chosen and shared, set by an admin."""

    task = models.CharField(max_length=64, unique=True)
    strategy = models.CharField(max_length=32, default="weighted_kmeans_pp")
    labels_required = models.PositiveSmallIntegerField(default=2)  # k annotators per case
    batch_size = models.PositiveIntegerField(default=50)
    lock_seconds = models.PositiveIntegerField(default=900)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "queue settings"
        constraints = [
            models.CheckConstraint(condition=Q(labels_required__gte=1), name="queue_k_from_1"),
            models.CheckConstraint(condition=Q(batch_size__gte=1), name="queue_batch_from_1"),
            models.CheckConstraint(condition=Q(lock_seconds__gte=10), name="queue_lock_min_10s"),
        ]

    def __str__(self) -> str:
        return f"{self.task} queue ({self.strategy}, k={self.labels_required})"


class ImageScore(models.Model):
    """Pool scoring's result for one image (frame) under one model version.

    `embedding` is the model's pooled features before the last layer, float32 little-endian
    bytes (numpy .tobytes()), `embedding_dim` values long.
    """

    task = models.CharField(max_length=64)
    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="pool_scores")
    frame_number = models.PositiveIntegerField(default=1)
    model_version = models.ForeignKey("ml.ModelVersion", on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField()
    entropy = models.FloatField()
    margin = models.FloatField()
    mc_mean = models.FloatField(null=True, blank=True)
    mc_variance = models.FloatField(null=True, blank=True)
    bald = models.FloatField(null=True, blank=True)
    embedding = models.BinaryField()
    embedding_dim = models.PositiveIntegerField()
    # The model's pre-annotation box, {"x", "y", "width", "height"} in the frame's pixels (x the
    # column), around its class activation map's hot region (ml.core.heatmap_box); null when
    # the map had nothing to point at or the row predates it.
    hot_box = models.JSONField(null=True, blank=True)
    scored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["task", "model_version", "instance", "frame_number"],
                name="image_score_once_per_version",
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=1), name="image_score_p_0_1"
            ),
        ]
        indexes = [models.Index(fields=["task", "model_version"], name="image_score_task_ver")]

    def __str__(self) -> str:
        return f"score of instance {self.instance_id} frame {self.frame_number}"


class AnnotationBatch(models.Model):
    """A batch of cases chosen together by one strategy from one pool."""

    task = models.CharField(max_length=64)
    strategy = models.CharField(max_length=32)
    model_version = models.ForeignKey(
        "ml.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pool_size = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    labels_required = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.task} batch {self.pk} ({self.strategy}, {self.size})"


class AnnotationCase(models.Model):
    """One image (frame) to be labelled by `labels_required` annotators.

    `pseudonym` is the only id annotators see (never a UID or the study's database id). `pick`
    is the strategy's record of why it was chosen: {"rank", "strategy", "scores": {...}} with
    the ImageScore figures behind it.
    """

    class Status(models.TextChoices):
        OPEN = "open", "open"  # slots left to label
        LABELLED = "labelled", "labelled"  # every slot submitted, awaiting review
        ADJUDICATED = "adjudicated", "adjudicated"  # a reviewer decided: ground truth exists

    task = models.CharField(max_length=64)
    pseudonym = models.CharField(max_length=32, unique=True)
    batch = models.ForeignKey(AnnotationBatch, on_delete=models.CASCADE, related_name="cases")
    rank = models.PositiveIntegerField()  # pick order within the batch, 0 first
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="annotation_cases")
    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="+")
    frame_number = models.PositiveIntegerField(default=1)
    strategy = models.CharField(max_length=32)
    pick = models.JSONField(default=dict)
    labels_required = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["task", "instance", "frame_number"], name="case_once_per_image"
            )
        ]
        indexes = [
            models.Index(fields=["task", "status"], name="case_task_status"),
            # The queue's order over open cases only (bench/next_case.py: next case walks it and
            # stops at the first takeable slots instead of sorting every open case).
            models.Index(
                fields=["task", "batch", "rank"], condition=Q(status="open"), name="case_open_order"
            ),
        ]

    def __str__(self) -> str:
        return f"case {self.pseudonym}"


class CaseSlot(models.Model):
    """One of a case's k labelling places. Taken by one conditional UPDATE (free, or locked
    with an expired lock, and not already the annotator's on this case), as worklist claims are.
    """

    class Status(models.TextChoices):
        FREE = "free", "free"
        LOCKED = "locked", "locked"  # an annotator has it until locked_until
        SUBMITTED = "submitted", "submitted"

    case = models.ForeignKey(AnnotationCase, on_delete=models.CASCADE, related_name="slots")
    number = models.PositiveSmallIntegerField()  # 1..k
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.FREE)
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    locked_until = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    seconds_spent = models.FloatField(null=True, blank=True)
    # Who held the slot before another annotator took it over when their lock expired: their
    # drafts were removed with it, and their late saves are told why (409), not "no such case".
    previous_annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="slot_number_per_case"),
            models.UniqueConstraint(
                fields=["case", "annotator"],
                condition=Q(annotator__isnull=False),
                name="slot_one_per_annotator",
            ),
            models.CheckConstraint(
                condition=Q(status="free") | Q(annotator__isnull=False),
                name="slot_taken_has_annotator",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "locked_until"], name="slot_status_lock"),
            # Next case probes each open case, in queue order, for a slot not yet submitted:
            # only those slots are indexed, so the index stays small however many are done.
            models.Index(
                fields=["case", "number"],
                condition=Q(status__in=["free", "locked"]),
                name="slot_open_by_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} slot {self.number}"


class CaseSkip(models.Model):
    """An annotator passed on a case, with the reason; they are not given it again."""

    case = models.ForeignKey(AnnotationCase, on_delete=models.CASCADE, related_name="skips")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "annotator"], name="skip_once_per_annotator")
        ]

    def __str__(self) -> str:
        return f"skip of {self.case}"


class ReviewDecision(models.Model):
    """A reviewer's decision on a labelled case; the adjudicated labels it produced carry
    source "adjudicated" and the case."""

    class Decision(models.TextChoices):
        ACCEPT = "accept", "accept"  # the agreed (or one chosen) annotation becomes truth
        EDIT = "edit", "edit"  # the reviewer's own edited version becomes truth
        REJECT = "reject", "reject"  # no truth: the image is unusable or the labels are wrong

    case = models.OneToOneField(AnnotationCase, on_delete=models.CASCADE, related_name="review")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=8, choices=Decision.choices)
    note = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.decision} of {self.case}"


class Measurement(models.Model):
    """A reader's measurement (length, angle, ROI) on one image frame, kept per user.

    Moved here from triage (issue 11: annotations is the one store of what people mark on
    images); the table was renamed from triage_measurement, rows and ids kept.
    """

    class Tool(models.TextChoices):
        LENGTH = "Length", "length"
        ANGLE = "Angle", "angle"
        ELLIPTICAL_ROI = "EllipticalROI", "elliptical ROI"
        RECTANGLE_ROI = "RectangleROI", "rectangle ROI"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="measurements")
    annotation_uid = models.CharField(max_length=64)  # the viewer's id for it
    tool = models.CharField(max_length=16, choices=Tool.choices)
    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="+")
    frame_number = models.PositiveIntegerField(default=1)
    data = models.JSONField()  # the viewer's annotation data: handles in world coordinates
    summary = models.CharField(max_length=200, blank=True)  # "23.4 mm"
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "study", "annotation_uid"], name="measurement_unique_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tool} {self.annotation_uid}"
