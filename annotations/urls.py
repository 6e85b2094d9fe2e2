"""Routes of the annotation workflow, under /api/ (annotators: annotate/; reviewers: review/)."""

from django.urls import path

from annotations.apis import dicom, labels, review, schema
from annotations.apis import exports as export_apis
from annotations.apis import queue as queue_apis

urlpatterns: list = [
    # Each area adds its routes here: queue, labels and schema, de-identified DICOM, review,
    # exports and imports.
    path("review/queue", review.ReviewQueueApi.as_view(), name="review-queue"),
    path("review/agreement", review.AgreementApi.as_view(), name="review-agreement"),
    path("review/cases/<str:pseudonym>", review.ReviewCaseApi.as_view(), name="review-case"),
    path(
        "review/cases/<str:pseudonym>/decision",
        review.ReviewDecisionApi.as_view(),
        name="review-decision",
    ),
    # De-identified DICOM of a case (annotations/apis/dicom.py)
    path(
        "annotate/cases/<str:pseudonym>/dicom/metadata",
        dicom.CaseDicomMetadataApi.as_view(),
        name="annotate-case-dicom-metadata",
    ),
    path(
        "annotate/cases/<str:pseudonym>/dicom/frames/<str:frames>",
        dicom.CaseDicomFramesApi.as_view(),
        name="annotate-case-dicom-frames",
    ),
    path(
        "annotate/cases/<str:pseudonym>/dicom/rendered",
        dicom.CaseDicomRenderedApi.as_view(),
        name="annotate-case-dicom-rendered",
    ),
    path("annotate/schema", schema.LabelSchemaCurrentApi.as_view(), name="annotate-schema"),
    path("annotate/schemas", schema.LabelSchemaListApi.as_view(), name="annotate-schemas"),
    path(
        "annotate/cases/<str:pseudonym>/labels",
        labels.CaseLabelsSaveApi.as_view(),
        name="annotate-case-labels",
    ),
    path("annotate/labels/<int:label_id>", labels.LabelDetailApi.as_view(), name="annotate-label"),
    # The active-learning queue (annotations/apis/queue.py)
    path("annotate/next", queue_apis.AnnotateNextApi.as_view(), name="annotate-next"),
    path(
        "annotate/cases/<str:pseudonym>",
        queue_apis.AnnotateCaseDetailApi.as_view(),
        name="annotate-case",
    ),
    path(
        "annotate/cases/<str:pseudonym>/skip",
        queue_apis.AnnotateCaseSkipApi.as_view(),
        name="annotate-case-skip",
    ),
    path(
        "annotate/queue-settings/<str:task>",
        queue_apis.QueueSettingsApi.as_view(),
        name="annotate-queue-settings",
    ),
    path("annotate/strategies", queue_apis.StrategyListApi.as_view(), name="annotate-strategies"),
    # Admins' exports and imports (annotations/apis/exports.py)
    path("annotate/export", export_apis.DatasetExportApi.as_view(), name="annotate-export"),
    path(
        "annotate/export/dicom", export_apis.DicomExportApi.as_view(), name="annotate-export-dicom"
    ),
    path("annotate/import", export_apis.LabelsImportApi.as_view(), name="annotate-import"),
]
