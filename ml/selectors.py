"""Registry reads."""

from __future__ import annotations

from django.db.models import QuerySet

from ml.models import ModelVersion


def model_version_active(*, task: str) -> ModelVersion | None:
    """The task's active version, or None (then triage ranks first-in-first-out)."""
    return ModelVersion.objects.filter(task=task, is_active=True).first()


def model_versions_list(*, task: str | None = None) -> QuerySet[ModelVersion]:
    versions = ModelVersion.objects.select_related("created_by", "parent")
    return versions.filter(task=task) if task else versions
