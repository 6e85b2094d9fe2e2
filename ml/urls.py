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

# --- promotion: settings, comparison, rollback, reject, shadow (ml/promotion_apis.py) -----------
from ml.promotion_apis import (  # noqa: E402 - appended section, kept apart from the others
    ModelComparisonApi,
    ModelRollbackApi,
    ModelShadowApi,
    ModelShadowStopApi,
    ModelVersionRejectApi,
    TrainingSettingsApi,
)

urlpatterns += [
    path("training/settings/<str:task>", TrainingSettingsApi.as_view(), name="training-settings"),
    path("models/rollback", ModelRollbackApi.as_view(), name="model-rollback"),
    path(
        "models/<int:version_id>/comparison",
        ModelComparisonApi.as_view(),
        name="model-version-comparison",
    ),
    path(
        "models/<int:version_id>/reject",
        ModelVersionRejectApi.as_view(),
        name="model-version-reject",
    ),
    path("models/<int:version_id>/shadow", ModelShadowApi.as_view(), name="model-version-shadow"),
    path(
        "models/<int:version_id>/shadow/stop",
        ModelShadowStopApi.as_view(),
        name="model-version-shadow-stop",
    ),
]

# --- retraining: training runs and schedules (ml/training_apis.py) ------------------------------
from ml.training_apis import (  # noqa: E402 - appended section, kept apart from the others
    RetrainScheduleDetailApi,
    RetrainScheduleListApi,
    TrainingRunCancelApi,
    TrainingRunDetailApi,
    TrainingRunListApi,
)

urlpatterns += [
    path("training/runs", TrainingRunListApi.as_view(), name="training-runs"),
    path("training/runs/<int:run_id>", TrainingRunDetailApi.as_view(), name="training-run"),
    path(
        "training/runs/<int:run_id>/cancel",
        TrainingRunCancelApi.as_view(),
        name="training-run-cancel",
    ),
    path("training/schedules", RetrainScheduleListApi.as_view(), name="retrain-schedules"),
    path(
        "training/schedules/<int:schedule_id>",
        RetrainScheduleDetailApi.as_view(),
        name="retrain-schedule",
    ),
]
