"""Worklist URLs under /api/."""

from __future__ import annotations

from django.urls import path

from triage.apis import (
    FindingHeatmapApi,
    WorklistEntryDetailApi,
    WorklistEntryOpenApi,
    WorklistEntryReadApi,
    WorklistListApi,
)

urlpatterns = [
    path("worklist", WorklistListApi.as_view(), name="worklist"),
    path("worklist/<str:study_uid>", WorklistEntryDetailApi.as_view(), name="worklist-entry"),
    path("worklist/<str:study_uid>/open", WorklistEntryOpenApi.as_view(), name="worklist-open"),
    path("worklist/<str:study_uid>/read", WorklistEntryReadApi.as_view(), name="worklist-read"),
    path("findings/<int:finding_id>/heatmap", FindingHeatmapApi.as_view(), name="finding-heatmap"),
]
