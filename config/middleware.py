"""Input every endpoint must refuse the same way, before any view or database sees it.

NUL (%00) in a path or a query parameter is a 400 with the reason: PostgreSQL text cannot hold
it, so any lookup with it would fail as a 500. A body larger than Django reads
(DATA_UPLOAD_MAX_MEMORY_SIZE) is a 413 with the reason, for views outside DRF too (DRF views
get the same answer from config.exceptions).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

NUL = "\x00"


def error_response(message: str, *, status: int, code: str) -> JsonResponse:
    """An error in the shape the API exception handler gives: {"detail", "code"}."""
    return JsonResponse({"detail": message, "code": code}, status=status)


def too_large_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return f"The request body is larger than the {limit} bytes this endpoint accepts."


def nul_reason(request: HttpRequest) -> str | None:
    """Why the request is refused for a NUL character, or None when it has none."""
    if NUL in request.path_info:
        return "The path contains a NUL character (%00), which no UID or name can hold."
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in value for value in values):
            shown = name.replace(NUL, "%00")
            return f"Query parameter {shown!r} contains a NUL character (%00)."
    return None


class BadInputMiddleware:
    """Refuse NUL in paths and query parameters (400) and oversized bodies (413), as JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reason = nul_reason(request)
        if reason is not None:
            return error_response(reason, status=400, code="bad_request")
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return error_response(too_large_message(), status=413, code="too_large")
        return None
