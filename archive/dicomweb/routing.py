"""One URL, several verbs: DICOMweb puts STOW (POST) and QIDO (GET) on the same resource."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

View = Callable[..., HttpResponse]


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
