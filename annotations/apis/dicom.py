"""The de-identified image of an annotation case, for the annotator's viewer (Cornerstone3D).

Three resources under /api/annotate/cases/<pseudonym>/dicom/, shaped like their WADO-RS
counterparts so the viewer's wadors loader reads them unchanged: `metadata` (a one-element DICOM
JSON array), `frames/<n>` (multipart/related frames, negotiated as archive's frames are) and
`rendered` (PNG, bounded and windowed as archive renders, with nothing drawn on it). Answers
name the case by its pseudonym only: no UID and no database id, in errors either.
"""

from __future__ import annotations

import re

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from annotations.models import AnnotationCase
from annotations.services.deid import case_for_viewer, case_metadata
from archive.dicom.render import RenderError, frame_render
from archive.dicom.stored_pixels import StoredImage, frame_encoding, frames_read
from archive.dicomweb.accept import accept_parse
from archive.dicomweb.base_api import JsonErrorsNegotiation
from archive.dicomweb.errors import BadQuery, NotAcceptable, NotFound, Undecodable
from archive.dicomweb.frames_apis import FRAME_NUMBER, frames_response, negotiate_frames
from archive.dicomweb.json_responses import dicom_json_response
from archive.dicomweb.multipart_response import IMMUTABLE
from archive.dicomweb.rendered_apis import render_options

PNG = "image/png"


class CaseDicomApi(APIView):
    """Base: any logged-in user; whether the case is theirs to see is case_for_viewer's call."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsNegotiation

    def case(self, request: Request, pseudonym: str) -> AnnotationCase:
        return case_for_viewer(pseudonym=pseudonym, user=request.user)


class CaseDicomMetadataApi(CaseDicomApi):
    @extend_schema(
        responses={
            (200, "application/dicom+json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="one-element array of DICOM JSON, de-identified"
            )
        }
    )
    def get(self, request: Request, pseudonym: str) -> HttpResponse:
        case = self.case(request, pseudonym)
        return dicom_json_response([case_metadata(case=case)])


class CaseDicomFramesApi(CaseDicomApi):
    @extend_schema(
        responses={
            (200, "multipart/related"): OpenApiResponse(
                OpenApiTypes.BINARY, description="the frames as stored, as WADO-RS sends them"
            )
        }
    )
    def get(self, request: Request, pseudonym: str, frames: str) -> HttpResponseBase:
        case = self.case(request, pseudonym)
        numbers = frame_numbers_parse(frames, case)
        encoding = frame_encoding(case.instance.transfer_syntax_uid)
        multipart = negotiate_frames(request, encoding)
        data = frames_read(StoredImage.of(case.instance), numbers)
        return frames_response(data, encoding=encoding, multipart=multipart)


class CaseDicomRenderedApi(CaseDicomApi):
    @extend_schema(
        responses={(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="PNG")}
    )
    def get(self, request: Request, pseudonym: str) -> HttpResponse:
        case = self.case(request, pseudonym)
        _png_accept_check(request)
        frame_numbers_parse(str(case.frame_number), case)
        options = render_options(request.query_params, PNG)
        try:
            body = frame_render(
                str(case.instance.file.name), frame=case.frame_number, options=options
            )
        except RenderError as exc:
            raise Undecodable(str(exc), {"case": case.pseudonym}) from exc
        response = HttpResponse(body, content_type=PNG)
        response["Cache-Control"] = IMMUTABLE
        return response


def frame_numbers_parse(text: str, case: AnnotationCase) -> list[int]:
    """`1` or `1,3`: frames of the case's image; BadQuery when malformed, NotFound past the end.

    Unlike archive's parser, the messages name the case, never the instance's UID.
    """
    if not re.fullmatch(rf"{FRAME_NUMBER}(,{FRAME_NUMBER})*", text):
        raise BadQuery(f"Frames {text[:40]!r}: expected 1-based numbers separated by commas")
    numbers = [int(n) for n in text.split(",")]
    count = case.instance.number_of_frames
    if count == 0:
        raise NotFound(f"The image of case {case.pseudonym} has no pixel data")
    wrong = [n for n in numbers if not 1 <= n <= count]
    if wrong or len(numbers) > count:
        raise NotFound(
            f"Frame {(wrong or numbers)[0]} does not exist; the image of case "
            f"{case.pseudonym} has {count} frame(s)"
        )
    return numbers


def _png_accept_check(request: Request) -> None:
    if not any(r.type_matches(PNG) for r in accept_parse(request.headers.get("Accept"))):
        raise NotAcceptable(
            f"The rendered image is available as {PNG}; the request accepts "
            f"{request.headers.get('Accept', '')[:100]!r}"
        )
