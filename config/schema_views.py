"""/api/schema/: the OpenAPI document for API clients, Swagger UI for a browser.

Apart from config.schema because drf-spectacular's views import the DEFAULT_SCHEMA_CLASS setting,
which names config.schema.AutoSchema.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from drf_spectacular.plumbing import set_query_parameters
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


class SchemaPageView(SpectacularSwaggerView):
    """Swagger UI (drf-spectacular-sidecar's local copy) reading the schema as JSON."""

    def _get_schema_url(self, request: Any) -> str:
        url: str = super()._get_schema_url(request)
        return set_query_parameters(url=url, format="json")


_schema_file = SpectacularAPIView.as_view()
_schema_page = SchemaPageView.as_view(url_name="schema")


def api_schema(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """/api/schema/: a browser (Accept: text/html) reads it in Swagger UI; API clients get the
    OpenAPI document as before (YAML, or JSON with ?format=json or Accept: application/json)."""
    wants_page = "text/html" in request.headers.get("Accept", "") and "format" not in request.GET
    view = _schema_page if wants_page else _schema_file
    response: HttpResponse = view(request, *args, **kwargs)
    response.setdefault("Vary", "Accept")
    return response
