"""WADO-RS (PS3.18 10.4): retrieve stored instances and their metadata.

Instances go out byte for byte as stored, streamed from storage; metadata is the DICOM JSON kept
at ingest with its BulkDataURIs made absolute for the client's view of the server.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from rest_framework.request import Request

from archive.dicom.parse import BULK_BASE
from archive.dicomweb.accept import accept_parse, accepts_dicom
from archive.dicomweb.base_api import DicomwebReadApi, dicomweb_root
from archive.dicomweb.errors import NotAcceptable
from archive.dicomweb.json_responses import DICOM_JSON
from archive.dicomweb.multipart_response import (
    IMMUTABLE,
    StreamedBody,
    file_part,
    multipart_response,
)
from archive.dicomweb.qido_apis import json_accept_check
from archive.selectors import instance_files, instance_ids, instance_metadata_batch

METADATA_BATCH = 200


def retrieve_response(
    request: Request, *, study_uid: str, series_uid: str | None = None, sop_uid: str | None = None
) -> HttpResponseBase:
    """The instances of a study, series or one instance as multipart/related application/dicom."""
    rows = instance_files(study_uid=study_uid, series_uid=series_uid, sop_uid=sop_uid)
    syntaxes = {row["transfer_syntax_uid"] for row in rows}
    acceptable, multipart = accepts_dicom(accept_parse(request.headers.get("Accept")), syntaxes)
    if not acceptable:
        raise NotAcceptable(
            "Instances are sent as stored, in " + ", ".join(sorted(syntaxes)) + "; accept "
            'multipart/related; type="application/dicom" with that transfer-syntax or '
            "transfer-syntax=* (the archive does not transcode)"
        )
    if not multipart and len(rows) == 1:
        part = file_part(rows[0]["file"], size=rows[0]["file_size"], content_type="")
        response = StreamedBody(part.chunks(), content_type="application/dicom")
        response["Content-Length"] = str(rows[0]["file_size"])
        response["Cache-Control"] = IMMUTABLE
        return response
    parts = [
        file_part(
            row["file"],
            size=row["file_size"],
            content_type=f"application/dicom; transfer-syntax={row['transfer_syntax_uid']}",
        )
        for row in rows
    ]
    return multipart_response(parts, part_type="application/dicom")


def metadata_response(
    request: Request, *, study_uid: str, series_uid: str | None = None, sop_uid: str | None = None
) -> HttpResponseBase:
    """The stored DICOM JSON of each instance, as one JSON array streamed in batches."""
    json_accept_check(request)
    ids = instance_ids(study_uid=study_uid, series_uid=series_uid, sop_uid=sop_uid)
    root = dicomweb_root(request)

    def body() -> Iterator[str]:
        yield "["
        for start in range(0, len(ids), METADATA_BATCH):
            batch = instance_metadata_batch(ids=ids[start : start + METADATA_BATCH])
            prefix = "," if start else ""
            yield prefix + ",".join(text.replace(BULK_BASE, root) for text in batch)
        yield "]"

    if len(ids) <= METADATA_BATCH:
        return HttpResponse("".join(body()), content_type=DICOM_JSON)
    return StreamedBody(body(), content_type=DICOM_JSON)


class StudyRetrieveApi(DicomwebReadApi):
    def get(self, request: Request, study: str) -> HttpResponseBase:
        return retrieve_response(request, study_uid=study)


class SeriesRetrieveApi(DicomwebReadApi):
    def get(self, request: Request, study: str, series: str) -> HttpResponseBase:
        return retrieve_response(request, study_uid=study, series_uid=series)


class InstanceRetrieveApi(DicomwebReadApi):
    def get(self, request: Request, study: str, series: str, sop: str) -> HttpResponseBase:
        return retrieve_response(request, study_uid=study, series_uid=series, sop_uid=sop)


class StudyMetadataApi(DicomwebReadApi):
    def get(self, request: Request, study: str) -> HttpResponseBase:
        return metadata_response(request, study_uid=study)


class SeriesMetadataApi(DicomwebReadApi):
    def get(self, request: Request, study: str, series: str) -> HttpResponseBase:
        return metadata_response(request, study_uid=study, series_uid=series)


class InstanceMetadataApi(DicomwebReadApi):
    def get(self, request: Request, study: str, series: str, sop: str) -> HttpResponseBase:
        return metadata_response(request, study_uid=study, series_uid=series, sop_uid=sop)
