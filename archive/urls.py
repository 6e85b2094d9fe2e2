"""DICOMweb URLs (PS3.18), mounted at /dicomweb/: STOW-RS, QIDO-RS and WADO-RS on one tree."""

from __future__ import annotations

from django.urls import path

from archive.dicomweb.frames_apis import InstanceBulkdataApi, InstanceFramesApi
from archive.dicomweb.qido_apis import (
    InstancesSearchApi,
    SeriesInstancesSearchApi,
    SeriesSearchApi,
    StudiesSearchApi,
    StudyInstancesSearchApi,
    StudySeriesSearchApi,
)
from archive.dicomweb.rendered_apis import (
    FrameRenderedApi,
    InstanceRenderedApi,
    InstanceThumbnailApi,
    SeriesRenderedApi,
    SeriesThumbnailApi,
    StudyRenderedApi,
    StudyThumbnailApi,
)
from archive.dicomweb.routing import by_method
from archive.dicomweb.stow_apis import StudiesStoreApi
from archive.dicomweb.wado_apis import (
    InstanceMetadataApi,
    InstanceRetrieveApi,
    SeriesMetadataApi,
    SeriesRetrieveApi,
    StudyMetadataApi,
    StudyRetrieveApi,
)

app_name = "dicomweb"

STUDY = "studies/<str:study>"
SERIES = f"{STUDY}/series/<str:series>"
INSTANCE = f"{SERIES}/instances/<str:sop>"

urlpatterns = [
    path(
        "studies",
        by_method(GET=StudiesSearchApi.as_view(), POST=StudiesStoreApi.as_view()),
        name="studies",
    ),
    path(
        STUDY,
        by_method(GET=StudyRetrieveApi.as_view(), POST=StudiesStoreApi.as_view()),
        name="study",
    ),
    path(f"{STUDY}/metadata", by_method(GET=StudyMetadataApi.as_view()), name="study-metadata"),
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
    path(SERIES, by_method(GET=SeriesRetrieveApi.as_view()), name="series"),
    path(f"{SERIES}/metadata", by_method(GET=SeriesMetadataApi.as_view()), name="series-metadata"),
    path(INSTANCE, by_method(GET=InstanceRetrieveApi.as_view()), name="instance"),
    path(
        f"{INSTANCE}/metadata",
        by_method(GET=InstanceMetadataApi.as_view()),
        name="instance-metadata",
    ),
    path(
        f"{INSTANCE}/frames/<str:frames>",
        by_method(GET=InstanceFramesApi.as_view()),
        name="instance-frames",
    ),
    path(
        f"{INSTANCE}/bulkdata/<str:tag>",
        by_method(GET=InstanceBulkdataApi.as_view()),
        name="instance-bulkdata",
    ),
    path(
        f"{INSTANCE}/rendered",
        by_method(GET=InstanceRenderedApi.as_view()),
        name="instance-rendered",
    ),
    path(
        f"{INSTANCE}/frames/<str:frame>/rendered",
        by_method(GET=FrameRenderedApi.as_view()),
        name="frame-rendered",
    ),
    path(
        f"{INSTANCE}/thumbnail",
        by_method(GET=InstanceThumbnailApi.as_view()),
        name="instance-thumbnail",
    ),
    path(
        f"{SERIES}/thumbnail", by_method(GET=SeriesThumbnailApi.as_view()), name="series-thumbnail"
    ),
    path(f"{STUDY}/thumbnail", by_method(GET=StudyThumbnailApi.as_view()), name="study-thumbnail"),
    path(f"{SERIES}/rendered", by_method(GET=SeriesRenderedApi.as_view()), name="series-rendered"),
    path(f"{STUDY}/rendered", by_method(GET=StudyRenderedApi.as_view()), name="study-rendered"),
]
