"""STOW-RS: POST /dicomweb/studies[/{study}] with multipart/related; type="application/dicom"."""

from __future__ import annotations

import os
from contextlib import ExitStack
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from archive.dicom.failures import InstanceRefused
from archive.dicomweb.base_api import JsonErrorsNegotiation, dicomweb_root
from archive.dicomweb.json_responses import attr, dicom_json_response
from archive.dicomweb.multipart import MultipartError, Part, iter_parts
from archive.permissions import CanStoreInstances
from archive.services.ingest import IncomingFile, IngestResult, instances_ingest

# Parts indexed in one transaction; bounded so a huge request is not held in one transaction.
BATCH_SIZE = 32


class MultipartRelatedParser(BaseParser):
    """Accepts multipart/related; the view streams the body itself."""

    media_type = "multipart/related"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        return None


class StudiesStoreApi(APIView):
    """Store instances; answers with ReferencedSOPSequence and FailedSOPSequence.

    200 when every instance was stored (or already was), 202 when some were refused, 409 when
    all were, 415 for a body that is not multipart/related of application/dicom parts.
    """

    permission_classes = [CanStoreInstances]
    parser_classes = [MultipartRelatedParser]
    # The answer is application/dicom+json, which DRF has no renderer for: don't let it 406.
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsNegotiation

    def post(self, request: Request, study: str | None = None) -> HttpResponse:
        boundary, problem = _boundary(request.content_type)
        if problem:
            return _error(415, problem)
        stored: list[IngestResult] = []
        failed: list[InstanceRefused] = []
        batch: list[Part] = []
        try:
            for part in iter_parts(_body_stream(request), boundary, settings.FILE_UPLOAD_TEMP_DIR):
                batch.append(part)
                if len(batch) == BATCH_SIZE:
                    _ingest_parts(batch, study, stored, failed)
                    batch = []
            _ingest_parts(batch, study, stored, failed)
            batch = []
        except MultipartError as exc:
            _ingest_parts(batch, study, stored, failed)
            batch = []
            if not stored and not failed:
                return _error(400, f"Malformed multipart body: {exc}")
            failed.append(InstanceRefused(f"Malformed multipart body: {exc}"))
        finally:
            _discard(batch)  # parts not ingested because of an error we did not expect
        if not stored and not failed:
            return _error(400, "The request holds no instances")
        status = 200 if not failed else (202 if stored else 409)
        return dicom_json_response(_response_body(request, study, stored, failed), status=status)


def _boundary(content_type: str) -> tuple[str, str | None]:
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "multipart/related":
        return "", 'STOW-RS needs Content-Type multipart/related; type="application/dicom"'
    options: dict[str, str] = {}
    for item in params.split(";"):
        key, _, value = item.strip().partition("=")
        options[key.strip().lower()] = value.strip().strip('"')
    part_type = options.get("type", "application/dicom").lower()
    if part_type != "application/dicom":
        return "", f'Only type="application/dicom" parts are accepted, not {part_type!r}'
    if not options.get("boundary"):
        return "", "multipart/related without a boundary parameter"
    return options["boundary"], None


def _body_stream(request: Request) -> Any:
    environ = request._request.META
    if "CONTENT_LENGTH" not in environ and environ.get("wsgi.input_terminated"):
        return environ["wsgi.input"]  # chunked upload; the server marks where it ends
    return request._request


def _ingest_parts(
    parts: list[Part],
    study: str | None,
    stored: list[IngestResult],
    failed: list[InstanceRefused],
) -> None:
    """Ingest the received parts as one batch; each part's outcome goes to stored or failed."""
    dicom_parts = []
    for part in parts:
        if part.content_type in ("", "application/dicom"):
            dicom_parts.append(part)
        else:
            failed.append(
                InstanceRefused(f"Part of type {part.content_type!r} is not application/dicom")
            )
    with ExitStack() as stack:
        files = [
            IncomingFile(stack.enter_context(open(p.path, "rb")), p.path, p.sha256)
            for p in dicom_parts
        ]
        outcomes = instances_ingest(files=files, source="stow", expected_study_uid=study)
    for outcome in outcomes:
        (failed if isinstance(outcome, InstanceRefused) else stored).append(outcome)  # type: ignore[arg-type]
    _discard(parts)


def _discard(parts: list[Part]) -> None:
    """Remove spooled parts that storage did not move into place."""
    for part in parts:
        if os.path.exists(part.path):
            os.unlink(part.path)


def _response_body(
    request: Request,
    study: str | None,
    stored: list[IngestResult],
    failed: list[InstanceRefused],
) -> dict[str, Any]:
    root = dicomweb_root(request)
    body: dict[str, Any] = {}
    study_uids = {r.study_instance_uid for r in stored}
    if study or len(study_uids) == 1:
        body["00081190"] = attr("UR", f"{root}/studies/{study or study_uids.pop()}")
    if stored:
        body["00081199"] = {
            "vr": "SQ",
            "Value": [
                {
                    "00081150": attr("UI", r.sop_class_uid),
                    "00081155": attr("UI", r.sop_instance_uid),
                    "00081190": attr(
                        "UR",
                        f"{root}/studies/{r.study_instance_uid}/series/"
                        f"{r.series_instance_uid}/instances/{r.sop_instance_uid}",
                    ),
                }
                for r in stored
            ],
        }
    if failed:
        body["00081198"] = {
            "vr": "SQ",
            "Value": [
                {
                    "00081150": attr("UI", f.sop_class_uid),
                    "00081155": attr("UI", f.sop_instance_uid),
                    "00081197": attr("US", f.failure_code),
                    # Error Comment: the reason in words, so a sender can act on it.
                    "00000902": attr("LO", f.reason),
                }
                for f in failed
            ],
        }
    return body


def _error(status: int, message: str) -> HttpResponse:
    return dicom_json_response({"detail": message}, status=status)
