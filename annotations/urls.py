"""Routes of the annotation workflow, under /api/ (annotators: annotate/; reviewers: review/)."""

from django.urls import path  # noqa: F401 - each area adds its paths below

urlpatterns: list = [
    # Each area adds its routes here: queue, labels and schema, de-identified DICOM, review,
    # exports and imports.
]
