"""WADO-RS (PS3.18 10.4): retrieve stored instances and their metadata.

Instances go out in the transfer syntax the client asks for: as stored, byte for byte and
streamed from storage, for `transfer-syntax=*` or the stored syntax; in Explicit VR Little
Endian, the default when none is named (PS3.18 8.7.3), decoded one instance at a time while the
multipart body streams (archive/dicom/transcode.py). Metadata is the DICOM JSON kept at ingest
with its BulkDataURIs made absolute for the client's view of the server.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from rest_framework.request import Request

from archive.dicom.parse import BULK_BASE
from archive.dicom.transcode import TranscodeError, decodable, instance_decoded
from archive.dicomweb.accept import EXPLICIT_LE, STORED, accept_parse, accepts_dicom
from archive.dicomweb.base_api import DicomwebReadApi, dicomweb_root
from archive.dicomweb.errors import NotAcceptable
from archive.dicomweb.json_responses import DICOM_JSON
from archive.dicomweb.multipart_response import (
    IMMUTABLE,
    ResponsePart,
    StreamedBody,
    bytes_part,
    file_part,
    multipart_response,
)
from archive.dicomweb.qido_apis import json_accept_check
from archive.selectors import instance_files, instance_ids, instance_metadata_batch

METADATA_BATCH = 200
logger = logging.getLogger(__name__)


def retrieve_response(
    request: Request, *, study_uid: str, series_uid: str | None = None, sop_uid: str | None = None
) -> HttpResponseBase:
    """The instances of a study, series or one instance as multipart/related application/dicom."""
    rows = instance_files(study_uid=study_uid, series_uid=series_uid, sop_uid=sop_uid)
    syntaxes = {row["transfer_syntax_uid"] for row in rows}
    accept = request.headers.get("Accept")
    sent, multipart = accepts_dicom(accept_parse(accept), syntaxes, decodable)
    if sent is None:
        raise NotAcceptable(_refusal(syntaxes, accept))
    parts = [_instance_part(row, sent) for row in rows]
    if len(rows) == 1:
        parts = [_decoded_now(parts[0])]  # a decoding error is still a clear answer
    if not multipart and len(rows) == 1:
        # "application/dicom; transfer-syntax=…": what is sent, as each multipart part says.
        response = StreamedBody(parts[0].chunks(), content_type=parts[0].content_type)
        if parts[0].length is not None:
            response["Content-Length"] = str(parts[0].length)
        response["Cache-Control"] = IMMUTABLE
        return response
    return multipart_response(parts, part_type="application/dicom")


def _instance_part(row: dict[str, Any], sent: str) -> ResponsePart:
    syntax = row["transfer_syntax_uid"]
    if sent == STORED or syntax == sent:
        return file_part(
            row["file"],
            size=row["file_size"],
            content_type=f"application/dicom; transfer-syntax={syntax}",
        )
    file_name = str(row["file"])
    return ResponsePart(
        f"application/dicom; transfer-syntax={sent}", lambda: _decoded_chunks(file_name)
    )


def _decoded_chunks(file_name: str) -> Iterator[bytes]:
    """One instance decoded while the body streams. A failure here cannot change the status
    any more: the body stops short of its closing boundary, which clients report."""
    try:
        yield instance_decoded(file_name)
    except TranscodeError:
        logger.warning("instance_transcode_failed mid_stream=true")
        raise


def _decoded_now(part: ResponsePart) -> ResponsePart:
    """`part` with its bytes produced now (one instance), so that a failure is a 406."""
    if part.length is not None:
        return part
    try:
        data = b"".join(part.chunks())
    except TranscodeError as exc:
        raise NotAcceptable(
            f"{exc}. Accept transfer-syntax=* to retrieve the instance as stored."
        ) from exc
    return bytes_part(data, content_type=part.content_type)


def _refusal(syntaxes: set[str], accept: str | None) -> str:
    stored = ", ".join(sorted(syntaxes))
    undecodable = sorted(s for s in syntaxes if not decodable(s))
    if undecodable:
        return (
            f"Instances stored in {', '.join(undecodable)} cannot be decoded here; accept "
            'multipart/related; type="application/dicom" with transfer-syntax=* (or the stored '
            f"syntax) to retrieve them as stored. Asked: {accept!r}"
        )
    return (
        f"Instances are stored in {stored} and can be sent as stored or in Explicit VR Little "
        f"Endian ({EXPLICIT_LE}); accept one of those, or transfer-syntax=*. Asked: {accept!r}"
    )


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
