"""QIDO-RS (PS3.18 10.6): search studies, series and instances; answers application/dicom+json.

No match is 200 with an empty array, which dicomweb-client and OHIF read without special cases.

QIDO-RS has no total. A client that wants one (the archive browser's pager) sends
`Prefer: count=exact` (RFC 7240, spelt as PostgREST does) and gets `X-Total-Count`; others pay
nothing, and a page that ends the results says its total without a COUNT query.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from rest_framework.request import Request

from archive.dicomweb.accept import accept_parse
from archive.dicomweb.base_api import DicomwebReadApi, dicomweb_root
from archive.dicomweb.errors import NotAcceptable
from archive.dicomweb.json_responses import DICOM_JSON
from archive.dicomweb.qido_json import ResultShape, search_body
from archive.dicomweb.qido_query import Level, qido_query_parse
from archive.selectors import qido_count, qido_search

JSON_TYPES = (DICOM_JSON, "application/json")
COUNT_PREFERENCE = "count=exact"


def search_response(
    request: Request,
    *,
    level: Level,
    study_uid: str | None = None,
    series_uid: str | None = None,
) -> HttpResponse:
    """Run one QIDO-RS search and answer it; shared by every search resource."""
    json_accept_check(request)
    query = qido_query_parse(request.query_params, level=level)
    scoped: set[Level] = {"study"} if study_uid else set()
    if series_uid:
        scoped.add("series")
    shape = ResultShape(query, scoped=scoped)
    # At most QIDO_MAX_RESULTS matches per answer; one more is read to know whether any were
    # left out, which the answer then says (PS3.18 8.3.4.5: a 299 Warning).
    maximum = settings.QIDO_MAX_RESULTS
    query.limit = maximum + 1 if query.limit is None else min(query.limit, maximum + 1)
    rows = qido_search(
        query=query, fields=shape.fields(), study_uid=study_uid, series_uid=series_uid
    )
    truncated = len(rows) > maximum
    if truncated or query.limit > maximum:
        rows, query.limit = rows[:maximum], maximum
    root = dicomweb_root(request)
    response = HttpResponse(search_body(rows, shape, root), content_type=DICOM_JSON)
    response["Vary"] = "Accept, Prefer"
    warnings = list(query.warnings)
    if truncated:
        warnings.append(
            "The number of results exceeded the maximum supported by the server. "
            "Additional results can be requested."
        )
    if warnings:
        # PS3.18 8.3.4.5 spells each one 299 {service}: "text"; several are comma-separated.
        host = request.get_host()
        response["Warning"] = ", ".join(
            f'299 {host}: "{text.replace(chr(34), chr(39))}"' for text in warnings
        )
    if COUNT_PREFERENCE in _preferences(request):
        total = qido_count(
            query=query, study_uid=study_uid, series_uid=series_uid, rows_returned=len(rows)
        )
        response["X-Total-Count"] = str(total)
        response["Preference-Applied"] = COUNT_PREFERENCE
    return response


def _preferences(request: Request) -> set[str]:
    """The preferences of the Prefer header (RFC 7240), lower-cased, parameters dropped."""
    header = request.headers.get("Prefer", "")
    return {p.split(";")[0].strip().lower() for p in header.split(",") if p.strip()}


def json_accept_check(request: Request) -> None:
    """406 unless the client takes DICOM JSON (or anything)."""
    ranges = accept_parse(request.headers.get("Accept"))
    if not any(r.type_matches(t) for r in ranges if not r.multipart for t in JSON_TYPES):
        raise NotAcceptable(
            "This resource is available as application/dicom+json only; "
            f"the request accepts {request.headers.get('Accept')!r}"
        )


class StudiesSearchApi(DicomwebReadApi):
    def get(self, request: Request) -> HttpResponse:
        return search_response(request, level="study")


class SeriesSearchApi(DicomwebReadApi):
    def get(self, request: Request) -> HttpResponse:
        return search_response(request, level="series")


class StudySeriesSearchApi(DicomwebReadApi):
    def get(self, request: Request, study: str) -> HttpResponse:
        return search_response(request, level="series", study_uid=study)


class InstancesSearchApi(DicomwebReadApi):
    def get(self, request: Request) -> HttpResponse:
        return search_response(request, level="instance")


class StudyInstancesSearchApi(DicomwebReadApi):
    def get(self, request: Request, study: str) -> HttpResponse:
        return search_response(request, level="instance", study_uid=study)


class SeriesInstancesSearchApi(DicomwebReadApi):
    def get(self, request: Request, study: str, series: str) -> HttpResponse:
        return search_response(request, level="instance", study_uid=study, series_uid=series)
