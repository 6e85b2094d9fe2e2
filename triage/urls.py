"""Worklist URLs under /api/."""

from __future__ import annotations

from django.urls import path

from triage import apis
from triage.streams import worklist_events

STUDY = "worklist/<str:study_uid>"

urlpatterns = [
    path("worklist", apis.WorklistListApi.as_view(), name="worklist"),
    path("worklist/events", worklist_events, name="worklist-events"),
    path("worklist/next", apis.WorklistNextApi.as_view(), name="worklist-next"),
    path(STUDY, apis.WorklistEntryDetailApi.as_view(), name="worklist-entry"),
    path(f"{STUDY}/claim", apis.WorklistEntryClaimApi.as_view(), name="worklist-claim"),
    path(f"{STUDY}/release", apis.WorklistEntryReleaseApi.as_view(), name="worklist-release"),
    path(f"{STUDY}/read", apis.WorklistEntryReadApi.as_view(), name="worklist-read"),
    path(
        "studies/<str:study_uid>/measurements",
        apis.StudyMeasurementsApi.as_view(),
        name="study-measurements",
    ),
    path(
        "studies/<str:study_uid>/measurements/<str:annotation_uid>",
        apis.StudyMeasurementApi.as_view(),
        name="study-measurement",
    ),
    path(
        "findings/<int:finding_id>/heatmap",
        apis.FindingHeatmapApi.as_view(),
        name="finding-heatmap",
    ),
    path("turnaround", apis.TurnaroundApi.as_view(), name="turnaround"),
]
