"""Model registry and task registry URLs under /api/."""

from __future__ import annotations

from django.urls import path

from ml.apis import ModelVersionActivateApi, ModelVersionListApi
from ml.monitoring_apis import ModelMonitoringApi
from ml.task_apis import TaskListApi

urlpatterns = [
    path("tasks", TaskListApi.as_view(), name="tasks"),
    path("models", ModelVersionListApi.as_view(), name="model-versions"),
    path("models/monitoring", ModelMonitoringApi.as_view(), name="model-monitoring"),
    path(
        "models/<int:version_id>/activate",
        ModelVersionActivateApi.as_view(),
        name="model-version-activate",
    ),
]
