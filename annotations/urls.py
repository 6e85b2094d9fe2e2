"""Routes of the annotation workflow, under /api/ (annotators: annotate/; reviewers: review/)."""

from django.urls import path  # noqa: F401 - each area adds its paths below

from annotations.apis import review

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
]
