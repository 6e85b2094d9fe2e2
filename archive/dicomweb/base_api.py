"""What every DICOMweb endpoint shares: permission, and no DRF content negotiation.

The endpoints answer DICOM media types (application/dicom+json, multipart/related, images) as
raw Django responses and negotiate the Accept header themselves, so DRF must not refuse an Accept
it has no renderer for. Errors still come back as JSON through the API exception handler.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from archive.dicomweb.routing import path_uids_check
from archive.permissions import CanReadArchive


class JsonErrorsNegotiation(BaseContentNegotiation):
    """Always pick the first (JSON) renderer, whatever Accept or ?format says: the DICOMweb views
    render only error bodies through it, and the label export gives ?format its own meaning."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> Any:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class DicomwebReadApi(APIView):
    """Base of QIDO-RS and WADO-RS views: radiologists, reviewers and admins only."""

    permission_classes = [CanReadArchive]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsNegotiation

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """After authentication and permissions: refuse path segments that cannot be UIDs."""
        super().initial(request, *args, **kwargs)
        path_uids_check(kwargs)


def dicomweb_root(request: Request) -> str:
    """Absolute URL of the DICOMweb root (…/dicomweb) as the client reached it."""
    from django.urls import reverse

    studies = reverse("dicomweb:studies")
    return request.build_absolute_uri(studies[: -len("/studies")])
