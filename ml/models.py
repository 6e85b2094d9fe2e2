"""The model registry: immutable model versions, one active per task, and an audit trail.

A version's content (weights, input spec, threshold, calibration, metrics, data snapshot, who
made it) never changes once registered; only its operational state (active, load error) does.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

# What may change on a registered version: whether it is active and whether it loads.
OPERATIONAL_FIELDS = frozenset({"is_active", "load_error", "load_error_at"})


class ImmutableVersionError(Exception):
    """Raised on an attempt to change a registered version's content."""


class ModelVersion(models.Model):
    task = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    architecture = models.CharField(max_length=64)
    weights = models.FileField(max_length=512)
    weights_sha256 = models.CharField(max_length=64)
    input_spec = models.JSONField()
    threshold = models.FloatField()
    calibration = models.JSONField()
    metrics = models.JSONField()
    data_snapshot = models.JSONField()
    training_config = models.JSONField(default=dict)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Null: made by the system (the first model, trained by the run command).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    is_active = models.BooleanField(default=False)
    # Set when a worker could not load the weights: scoring with it pauses until it is cleared.
    load_error = models.TextField(blank=True)
    load_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "version"], name="model_version_unique"),
            models.UniqueConstraint(
                fields=["task"], condition=Q(is_active=True), name="model_one_active_per_task"
            ),
            models.CheckConstraint(
                condition=Q(threshold__gte=0) & Q(threshold__lte=1),
                name="model_threshold_in_unit_interval",
            ),
        ]
        ordering = ["task", "-version"]

    def __str__(self) -> str:
        return f"{self.task} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            fields = set(kwargs.get("update_fields") or ())
            if not fields or not fields <= OPERATIONAL_FIELDS:
                raise ImmutableVersionError(
                    f"{self.label} is registered; only {sorted(OPERATIONAL_FIELDS)} may change"
                )
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return f"{self.task} v{self.version}"


class ModelAuditEntry(models.Model):
    class Action(models.TextChoices):
        REGISTERED = "registered", "registered"
        ACTIVATED = "activated", "activated"
        DEACTIVATED = "deactivated", "deactivated"
        LOAD_FAILED = "load_failed", "failed to load"
        EVALUATED = "evaluated", "evaluated on the test set"
        PROMOTION_WAITING = "waiting", "waiting for an admin"
        SHADOW_STARTED = "shadow_started", "shadow scoring started"
        SHADOW_STOPPED = "shadow_stopped", "shadow scoring stopped"
        REJECTED = "rejected", "rejected"

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="audit")
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "model audit entries"

    def __str__(self) -> str:
        return f"{self.action} {self.version_id} at {self.at:%Y-%m-%d %H:%M}"


# --- retraining loop (issue 12) ---------------------------------------------------------------


class TrainingRun(models.Model):
    """One retraining of a task: queued -> running -> succeeded / failed / cancelled.

    At most one run per task is `running`; later requests wait `queued` behind it. A running
    run holds a lease (`lease_owner`, `lease_expires_at`) that its worker renews while it
    works, so a redelivered message (the broker's visibility timeout) finds the lease alive and
    does nothing, and a run whose worker died is found by the sweep once the lease lapses:
    resumed from `checkpoint` (a storage name) or failed with the reason, never left running.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"
        CANCELLED = "cancelled", "cancelled"

    class Mode(models.TextChoices):
        FINE_TUNE = "fine_tune", "fine-tune the active version"
        SCRATCH = "scratch", "train from scratch"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "an admin (page or API)"
        COMMAND = "command", "manage.py retrain"
        SCHEDULE = "schedule", "a nightly schedule"
        LABELS = "labels", "enough new labels"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    task = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.FINE_TUNE)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    # The message went out at (a queued run whose message is older than the resend delay and
    # that nothing claimed is sent again by the sweep).
    sent_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The active version when the run started: the fine-tuning parent and the comparison's
    # baseline. Null when the task had none.
    base_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The version the run registered (not active until promoted).
    candidate = models.OneToOneField(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="training_run"
    )
    attempts = models.PositiveIntegerField(default=0)
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    # What the run is doing: snapshot, preprocessing, training, evaluating, registering, done.
    phase = models.CharField(max_length=16, blank=True)
    epoch = models.PositiveIntegerField(default=0)
    epochs = models.PositiveIntegerField(default=0)
    # The latest epoch's figures: loss, val_auc, val_loss, seconds, seconds_left.
    progress = models.JSONField(default=dict, blank=True)
    history = models.JSONField(default=list, blank=True)  # one dict per finished epoch
    log = models.TextField(blank=True)  # timestamped lines, kept with the run
    error = models.TextField(blank=True)
    config = models.JSONField(default=dict, blank=True)  # TrainingConfig.to_dict() it used
    # Lineage: which labels (ids, sources, counts), which seed data, the split rule and sizes.
    data_snapshot = models.JSONField(default=dict, blank=True)
    checkpoint = models.CharField(max_length=512, blank=True)  # storage name of the last one
    checkpoint_epoch = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["task"], condition=Q(status="running"), name="training_one_running_per_task"
            ),
        ]
        indexes = [models.Index(fields=["task", "status"], name="training_task_status_idx")]
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"training run {self.pk} of {self.task} ({self.status})"


class TrainingSettings(models.Model):
    """Per task: the operating point and the promotion gate an admin sets."""

    task = models.CharField(max_length=64, unique=True)
    # The threshold of a new version is chosen on validation for this sensitivity.
    target_sensitivity = models.FloatField(default=0.95)
    # Automatic promotion needs the candidate's AUC above the active one's by more than this,
    # with the paired comparison's one-sided 95% lower bound above it too.
    promotion_margin = models.FloatField(default=0.0)
    auto_promote = models.BooleanField(default=True)
    # When > 0, a candidate that passes the gate scores new studies silently for this long
    # before it may be promoted (ShadowDeployment).
    shadow_hours = models.FloatField(default=0.0)
    default_mode = models.CharField(
        max_length=16, choices=TrainingRun.Mode.choices, default=TrainingRun.Mode.FINE_TUNE
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "training settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(target_sensitivity__gt=0) & Q(target_sensitivity__lte=1),
                name="training_target_sensitivity_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"training settings of {self.task}"


class RetrainSchedule(models.Model):
    """A retraining trigger kept in the database; beat runs it through its PeriodicTask.

    kind "nightly": a run every day at hour:minute (the server's time zone).
    kind "labels": checked every `check_minutes`; a run when at least `min_new_labels` usable
    labels exist that the active version did not train on.
    """

    class Kind(models.TextChoices):
        NIGHTLY = "nightly", "every night"
        LABELS = "labels", "when enough new labels exist"

    task = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    enabled = models.BooleanField(default=True)
    hour = models.PositiveSmallIntegerField(default=2)
    minute = models.PositiveSmallIntegerField(default=0)
    min_new_labels = models.PositiveIntegerField(default=200)
    check_minutes = models.PositiveIntegerField(default=15)
    mode = models.CharField(
        max_length=16, choices=TrainingRun.Mode.choices, default=TrainingRun.Mode.FINE_TUNE
    )
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=500, blank=True)  # "started run 7", "3 of 200 ..."

    class Meta:
        ordering = ["task", "id"]

    def __str__(self) -> str:
        return f"{self.kind} retraining of {self.task}"


class ModelEvaluation(models.Model):
    """One version scored on the task's fixed test set (identified by its fingerprint).

    `sample_keys_sha256` fingerprints the ordered list of test images; two evaluations with
    the same fingerprint have `probabilities` aligned image by image (a paired comparison).
    `metrics`: auc, auc_ci [lo, hi], sensitivity, specificity, threshold, ece, brier, n,
    positives, roc [[fpr, tpr], ...], reliability [{lower, upper, mean_probability,
    observed_rate, count}, ...].
    """

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="evaluations")
    test_set_sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    positives = models.PositiveIntegerField()
    probabilities = models.JSONField()  # calibrated, in the test set's order
    metrics = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "test_set_sha256"], name="model_evaluation_unique"
            ),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"evaluation of {self.version_id} on {self.test_set_sha256[:12]}"


class ModelComparison(models.Model):
    """A candidate against the version active at the time, on one fixed test set.

    `difference`: auc (candidate - baseline), ci [lo, hi], p_value, method ("DeLong").
    `gate`: {"passed": bool, "reasons": [str, ...], "margin": float}.
    `decision`: what happened: auto-promoted, waiting for an admin, shadowing, promoted by an
    admin, rejected (an admin dismissed it).
    """

    class Decision(models.TextChoices):
        AUTO_PROMOTED = "auto_promoted", "promoted automatically"
        WAITING = "waiting", "waiting for an admin"
        SHADOWING = "shadowing", "scoring in shadow"
        PROMOTED = "promoted", "promoted by an admin"
        REJECTED = "rejected", "rejected by an admin"

    candidate = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, related_name="comparisons"
    )
    baseline = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    test_set_sha256 = models.CharField(max_length=64)
    difference = models.JSONField(default=dict)
    gate = models.JSONField(default=dict)
    decision = models.CharField(max_length=16, choices=Decision.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"comparison of {self.candidate_id} against {self.baseline_id}"


class ShadowDeployment(models.Model):
    """A candidate scoring incoming studies silently beside the active version, for a while."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="shadows")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"shadow of {self.version_id} from {self.started_at:%Y-%m-%d %H:%M}"


class ShadowScore(models.Model):
    """What the shadow candidate said about one study, beside what the active version said."""

    deployment = models.ForeignKey(
        ShadowDeployment, on_delete=models.CASCADE, related_name="scores"
    )
    study = models.ForeignKey("archive.Study", on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField(null=True, blank=True)  # calibrated; null: not judged
    positive = models.BooleanField(null=True, blank=True)
    active_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    active_probability = models.FloatField(null=True, blank=True)
    active_positive = models.BooleanField(null=True, blank=True)
    scored_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["deployment", "study"], name="shadow_score_unique"),
        ]

    def __str__(self) -> str:
        return f"shadow score of study {self.study_id}"
