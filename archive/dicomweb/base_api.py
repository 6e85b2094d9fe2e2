"""What every DICOMweb endpoint shares: permission, and no DRF content negotiation.

The endpoints answer DICOM media types (application/dicom+json, multipart/related, images) as
raw Django responses and negotiate the Accept header themselves, so DRF must not refuse an Accept
it has no renderer for. Errors still come back as JSON through the API exception handler.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
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


def dicomweb_root(request: Request | HttpRequest) -> str:
    """Absolute URL of the DICOMweb root (…/dicomweb) as the client reached it.

    The URLs in answers (BulkDataURIs, RetrieveURLs) must lead back to this server, port
    included. Django builds them from the Host header, and dicomweb-client sends `Host: 127.0.0.1`
    without the port; a client then calls port 80. So a host without a port gets the port the
    request came in on. Behind a reverse proxy, X-Forwarded-Host, -Port and -Proto name the
    public address, but only when settings say the proxy is trusted (USE_X_FORWARDED_HOST,
    USE_X_FORWARDED_PORT, SECURE_PROXY_SSL_HEADER); otherwise anyone could point the URLs of an
    answer elsewhere.
    """
    from django.urls import reverse

    studies = reverse("dicomweb:studies")
    return f"{request.scheme}://{_host_with_port(request)}{studies[: -len('/studies')]}"


def _host_with_port(request: Request | HttpRequest) -> str:
    host = request.get_host()  # honours a trusted X-Forwarded-Host; validates ALLOWED_HOSTS
    if _has_port(host):
        return host
    forwarded_host = settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in request.META
    forwarded_port = settings.USE_X_FORWARDED_PORT and "HTTP_X_FORWARDED_PORT" in request.META
    if forwarded_host and not forwarded_port:
        return host  # the proxy named its host without a port: its scheme's default one
    port = str(request.get_port())  # a trusted X-Forwarded-Port, else the port connected to
    if port == ("443" if request.is_secure() else "80"):
        return host
    return f"{host}:{port}"


def _has_port(host: str) -> bool:
    """Whether `host` (a name, an IPv4 or a [bracketed] IPv6 address) ends with `:port`."""
    return host.rpartition("]")[2].rpartition(":")[1] == ":"
