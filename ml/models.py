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
