"""One URL, several verbs: DICOMweb puts STOW (POST) and QIDO (GET) on the same resource.

Also what a UID in a DICOMweb path must look like, so a segment that cannot be a UID is a 400
with the reason before any lookup (NUL, letters, over 64 characters), not a 500 or a long scan.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from archive.dicomweb.errors import BadQuery

View = Callable[..., HttpResponse]

# PS3.5 9.1: digits in dot-separated components, 64 characters at most. Leading zeros are
# tolerated here: a read only has to find what ingest stored.
UID = re.compile(r"[0-9]+(\.[0-9]+)*")
MAX_UID_LENGTH = 64
# The URL keywords that hold UIDs, and what they name in a reason.
UID_SEGMENTS = {"study": "Study", "series": "Series", "sop": "SOP Instance"}


def path_uids_check(kwargs: Mapping[str, Any]) -> None:
    """Raise BadQuery naming the first study, series or instance UID of the path that is not one."""
    for keyword, name in UID_SEGMENTS.items():
        value = kwargs.get(keyword)
        if value is None:
            continue
        shown = value[:70].replace("\x00", "%00")
        if len(value) > MAX_UID_LENGTH:
            raise BadQuery(
                f"{name} UID {shown!r}…: {len(value)} characters, a UID has at most "
                f"{MAX_UID_LENGTH}"
            )
        if not UID.fullmatch(value):
            raise BadQuery(f"{name} UID {shown!r}: a UID is digits separated by dots")


def by_method(**views: View) -> View:
    """A view that hands each request to the view registered for its HTTP method."""
    allowed = ", ".join(sorted(views))

    @csrf_exempt
    def dispatch(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        view = views.get(request.method or "")
        if view is None:
            if request.method == "HEAD" and "GET" in views:
                return views["GET"](request, *args, **kwargs)
            response = HttpResponse(status=405)
            response["Allow"] = allowed
            return response
        return view(request, *args, **kwargs)

    return dispatch
