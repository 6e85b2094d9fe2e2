"""DICOMweb URLs (PS3.18), mounted at /dicomweb/: STOW-RS, QIDO-RS and WADO-RS on one tree."""

from __future__ import annotations

from django.urls import path

from archive.dicomweb.qido_apis import (
    InstancesSearchApi,
    SeriesInstancesSearchApi,
    SeriesSearchApi,
    StudiesSearchApi,
    StudyInstancesSearchApi,
    StudySeriesSearchApi,
)
from archive.dicomweb.routing import by_method
from archive.dicomweb.stow_apis import StudiesStoreApi

app_name = "dicomweb"

STUDY = "studies/<str:study>"
SERIES = f"{STUDY}/series/<str:series>"

urlpatterns = [
    path(
        "studies",
        by_method(GET=StudiesSearchApi.as_view(), POST=StudiesStoreApi.as_view()),
        name="studies",
    ),
    path(
        STUDY,
        by_method(POST=StudiesStoreApi.as_view()),
        name="study",
    ),
    path("series", by_method(GET=SeriesSearchApi.as_view()), name="series-search"),
    path("instances", by_method(GET=InstancesSearchApi.as_view()), name="instances-search"),
    path(f"{STUDY}/series", by_method(GET=StudySeriesSearchApi.as_view()), name="study-series"),
    path(
        f"{STUDY}/instances",
        by_method(GET=StudyInstancesSearchApi.as_view()),
        name="study-instances",
    ),
    path(
        f"{SERIES}/instances",
        by_method(GET=SeriesInstancesSearchApi.as_view()),
        name="series-instances",
    ),
]
