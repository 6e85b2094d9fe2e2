"""Scoring results and the worklist.

A StudyScoring is one (study, model version) pair: the unit of work of the inference queue and
the study-level finding. ImageFinding holds each image's result or the reason it was not judged.
WorklistEntry is a study's place in the radiologists' queue, with the reasons for it and its
turnaround timestamps.
"""

from __future__ import annotations

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
    scoring = models.ForeignKey(
        StudyScoring, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "worklist entries"
        indexes = [
            models.Index(fields=["status", "due_at", "id"], name="worklist_status_due_idx"),
            models.Index(fields=["status", "fifo_due_at", "id"], name="worklist_status_fifo_idx"),
            models.Index(fields=["status", "received_at"], name="worklist_status_received_idx"),
        ]

    def __str__(self) -> str:
        return f"Worklist entry for study {self.study_id}"
