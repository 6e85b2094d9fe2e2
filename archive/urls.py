"""DICOMweb URLs (PS3.18), mounted at /dicomweb/."""

from __future__ import annotations

from django.urls import path

from archive.dicomweb.routing import by_method
from archive.dicomweb.stow_apis import StudiesStoreApi

app_name = "dicomweb"

UID = "<str:study>"

urlpatterns = [
    path("studies", by_method(POST=StudiesStoreApi.as_view()), name="studies"),
    path(f"studies/{UID}", by_method(POST=StudiesStoreApi.as_view()), name="study"),
]
