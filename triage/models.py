"""Scoring results and the worklist.

A StudyScoring is one (study, model version) pair: the unit of work of the inference queue and
the study-level finding. ImageFinding holds each image's result or the reason it was not judged.
WorklistEntry is a study's place in the radiologists' queue, with the reasons for it, its
turnaround timestamps and who is reading it now (a claim that expires). WorklistEvent is the change
feed the browsers follow; StudyRead is a finished read (its label is in annotations' label store,
as are a reader's measurements).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from archive.models import Instance, Study
from ml.models import ModelVersion


class StudyScoring(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        NOT_APPLICABLE = "not_applicable", "not applicable"
        FAILED = "failed", "failed"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="scorings")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # The study's instance count this scoring covers: more instances later means score again.
    num_instances = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField()
    # When the task message last went out; null: not sent (broker down), the sweep sends it.
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    # The study-level finding: the most suspicious applicable image.
    probability = models.FloatField(null=True, blank=True)
    urgency = models.FloatField(null=True, blank=True)  # calibrated probability
    positive = models.BooleanField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    num_images_scored = models.PositiveIntegerField(default=0)
    num_images_not_applicable = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["study", "model_version"], name="scoring_one_per_study_version"
            )
        ]
        indexes = [models.Index(fields=["status", "queued_at"], name="scoring_status_queued_idx")]

    def __str__(self) -> str:
        return f"Scoring {self.pk} ({self.status})"


class ImageFinding(models.Model):
    scoring = models.ForeignKey(StudyScoring, on_delete=models.CASCADE, related_name="findings")
    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="findings")
    frame_number = models.PositiveIntegerField(default=1)  # 1-based, as in WADO-RS frame URLs
    applicable = models.BooleanField()
    reason = models.CharField(max_length=256, blank=True)  # why not applicable
    probability = models.FloatField(null=True, blank=True)
    urgency = models.FloatField(null=True, blank=True)
    positive = models.BooleanField(null=True, blank=True)
    heatmap = models.FileField(max_length=512, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scoring", "instance", "frame_number"], name="finding_one_per_frame"
            )
        ]

    def __str__(self) -> str:
        return f"Finding {self.pk} of scoring {self.scoring_id}"


class WorklistEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "waiting"
        READ = "read", "read"

    class AiStatus(models.TextChoices):
        PENDING = "pending", "score pending"
        POSITIVE = "positive", "flagged"
        NEGATIVE = "negative", "not flagged"
        NOT_APPLICABLE = "not_applicable", "not applicable"
        FAILED = "failed", "scoring failed"
        OFF = "off", "no active model"

    study = models.OneToOneField(Study, on_delete=models.CASCADE, related_name="worklist_entry")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WAITING)
    clinical_priority = models.CharField(max_length=8)  # triage.priority.ClinicalPriority
    clinical_reason = models.CharField(max_length=256)
    modality = models.CharField(max_length=128, blank=True)  # modalities in study, for filters

    # Turnaround timestamps.
    received_at = models.DateTimeField()
    stable_at = models.DateTimeField()
    scored_at = models.DateTimeField(null=True, blank=True)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    # Two places, both earliest-deadline-first: with the model's urgency, and without it (the
    # order used whenever the active model cannot be used).
    due_at = models.DateTimeField()
    reasons = models.JSONField(default=list)
    fifo_due_at = models.DateTimeField()
    fifo_reasons = models.JSONField(default=list)

    ai_status = models.CharField(max_length=16, choices=AiStatus.choices)
    ai_note = models.CharField(max_length=256, blank=True)
    # The scoring's calibrated probability, or -1 without one (lowest): copied here so the list
    # sorts by AI result with an index (a plain column: SQLite indexes cannot say NULLS LAST).
    ai_sort_key = models.FloatField(default=-1.0)
    scoring = models.ForeignKey(
        StudyScoring, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Who is reading it now. A claim counts only until claim_expires_at: a reader whose browser
    # died does not block the study for long; an open viewer renews it (heartbeat).
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "worklist entries"
        indexes = [
            models.Index(fields=["status", "due_at", "id"], name="worklist_status_due_idx"),
            models.Index(fields=["status", "fifo_due_at", "id"], name="worklist_status_fifo_idx"),
            models.Index(fields=["status", "received_at"], name="worklist_status_received_idx"),
            models.Index(fields=["received_at", "id"], name="worklist_received_idx"),
            # Filtered views ("AI flagged", "STAT") in priority order, and their counts.
            models.Index(
                fields=["status", "ai_status", "due_at", "id"], name="worklist_ai_due_idx"
            ),
            models.Index(
                fields=["status", "clinical_priority", "due_at", "id"],
                name="worklist_class_due_idx",
            ),
            models.Index(fields=["status", "-ai_sort_key", "id"], name="worklist_status_prob_idx"),
            models.Index(fields=["-ai_sort_key", "id"], name="worklist_prob_idx"),
        ]

    def __str__(self) -> str:
        return f"Worklist entry for study {self.study_id}"


class WorklistEvent(models.Model):
    """One change to the worklist, in commit order of ids; browsers follow these over SSE."""

    class Kind(models.TextChoices):
        PLACED = "placed", "placed"  # new on the worklist
        MOVED = "moved", "moved"  # its place or AI result changed
        CLAIMED = "claimed", "claimed"
        RELEASED = "released", "released"
        READ = "read", "read"

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    study_instance_uid = models.CharField(max_length=64)
    actor = models.CharField(max_length=150, blank=True)  # user name for claims and reads
    created_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.study_instance_uid}"


class StudyRead(models.Model):
    """A radiologist's finished read: how long it took and what the AI said then.

    The label it gives (the reader's answer to the model's question, for retraining) is an
    annotations.Label of source radiologist_read by the reader at `read_at`, with the model
    version and probability the reader was shown.
    """

    class Verdict(models.TextChoices):
        AI_RIGHT = "ai_right", "AI right"
        AI_WRONG = "ai_wrong", "AI wrong"

    entry = models.OneToOneField(WorklistEntry, on_delete=models.CASCADE, related_name="read")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    read_at = models.DateTimeField()
    duration_seconds = models.FloatField()
    verdict = models.CharField(max_length=8, choices=Verdict.choices, blank=True)

    # What the reader was shown.
    ai_status = models.CharField(max_length=16)
    ai_probability = models.FloatField(null=True, blank=True)
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"Read of entry {self.entry_id}"
