"""WADO-RS rendered resources (PS3.18 10.4.1.1.6) and thumbnails (PS3.18 10.4.1.2).

A frame is decoded and windowed into a JPEG (default) or PNG; `viewport=w,h` scales it to fit,
`window=center,width` overrides the stored window, `quality=1..100` sets the JPEG quality.
Thumbnails show the middle image of a series (or of a study's first series with images).

Study- and series-level rendered resources answer multipart/related with one image part per
frame of each instance, in series then instance then frame order, rendered one at a time as the
body streams; they take the instance-level parameters. A resource of more frames than
DICOMWEB_RENDERED_MAX_FRAMES (a setting, 1000 by default) is refused (400) with the count
rather than started and cut: a client wanting more asks series by series.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from functools import partial

from django.conf import settings
from django.http import HttpResponse
from django.http.request import QueryDict
from django.http.response import HttpResponseBase
from rest_framework.request import Request

from archive.dicom.render import FORMATS, RenderError, RenderOptions, frame_render
from archive.dicomweb.accept import accept_parse
from archive.dicomweb.base_api import DicomwebReadApi
from archive.dicomweb.errors import BadQuery, NotAcceptable, NotFound, Undecodable
from archive.dicomweb.frames_apis import frame_number_parse
from archive.dicomweb.multipart_response import (
    IMMUTABLE,
    ResponsePart,
    multipart_response,
)
from archive.models import Instance
from archive.selectors import instance_frame_counts, instance_get, series_thumbnail_instance

THUMBNAIL_SIZE = (128, 128)
logger = logging.getLogger(__name__)
# A rendering parameter: a viewport over render.MAX_SIDE is met by a smaller image that fits it.
NUMBER = r"-?[0-9]{1,9}(\.[0-9]{1,9})?"


def rendered_media_type(request: Request) -> str:
    """image/jpeg or image/png, whichever the Accept header prefers; NotAcceptable otherwise."""
    for media_range in accept_parse(request.headers.get("Accept")):
        for media_type in FORMATS:
            if media_range.type_matches(media_type):
                return media_type
    raise NotAcceptable(
        "Rendered images are available as image/jpeg or image/png; "
        f"the request accepts {request.headers.get('Accept')!r}"
    )


def render_options(params: QueryDict, media_type: str, *, thumbnail: bool = False) -> RenderOptions:
    viewport = _numbers(params, "viewport", 2, "width,height")
    window = _numbers(params, "window", 2, "center,width[,linear]", allow_extra=True)
    quality = _numbers(params, "quality", 1, "1 to 100")
    if quality and not 1 <= quality[0] <= 100:
        raise BadQuery("quality: expected 1 to 100")
    if viewport and min(viewport) < 1:
        raise BadQuery("viewport: width and height must be positive")
    return RenderOptions(
        media_type=media_type,
        viewport=(int(viewport[0]), int(viewport[1]))
        if viewport
        else (THUMBNAIL_SIZE if thumbnail else None),
        window=(window[0], window[1]) if window else None,
        quality=int(quality[0]) if quality else (75 if thumbnail else 90),
    )


def _numbers(
    params: QueryDict, name: str, count: int, shape: str, allow_extra: bool = False
) -> list[float] | None:
    text = params.get(name)
    if not text:
        return None
    items = [i.strip() for i in text.split(",")]
    if allow_extra and len(items) > count:
        if [i.lower() for i in items[count:]] != ["linear"]:
            raise BadQuery(f"{name}={text!r}: only the linear window function is supported")
        items = items[:count]
    if len(items) != count or not all(re.fullmatch(NUMBER, i) for i in items):
        raise BadQuery(f"{name}={text[:40]!r}: expected {shape}, numbers of at most 9 digits")
    return [float(i) for i in items]


def image_response(
    instance: Instance, *, frame: int, request: Request, thumbnail: bool = False
) -> HttpResponse:
    """The frame rendered as the client asked; 422 with the reason when it cannot be decoded."""
    if instance.number_of_frames == 0:
        raise Undecodable(f"Instance {instance.sop_instance_uid} has no pixel data to render")
    if not 1 <= frame <= instance.number_of_frames:
        raise NotFound(
            f"Frame {frame} does not exist; the instance has {instance.number_of_frames} frame(s)"
        )
    media_type = rendered_media_type(request)
    options = render_options(request.query_params, media_type, thumbnail=thumbnail)
    try:
        body = frame_render(str(instance.file.name), frame=frame, options=options)
    except RenderError as exc:
        raise Undecodable(str(exc), {"sop_instance_uid": instance.sop_instance_uid}) from exc
    response = HttpResponse(body, content_type=media_type)
    response["Cache-Control"] = IMMUTABLE
    return response


def images_response(
    request: Request, *, study_uid: str, series_uid: str | None = None
) -> HttpResponseBase:
    """Every frame of a study or series rendered, one image part each (see the docstring).

    A client that accepts a bare image type (dicomweb-client's `image/jpeg`) gets the image
    itself when there is one frame; several frames need multipart, and are a 406 saying so.
    """
    rows = instance_frame_counts(study_uid=study_uid, series_uid=series_uid)
    frames = [(str(row["file"]), n) for row in rows for n in range(1, row["number_of_frames"] + 1)]
    what = f"series {series_uid}" if series_uid else f"study {study_uid}"
    if not frames:
        raise Undecodable(f"The {what} has no pixel data to render")
    maximum = settings.DICOMWEB_RENDERED_MAX_FRAMES
    if len(frames) > maximum:
        raise BadQuery(
            f"The {what} has {len(frames)} frames; at most {maximum} are rendered in one "
            "answer. Ask for each series or instance."
        )
    media_type = rendered_media_type(request)
    options = render_options(request.query_params, media_type)
    if not _accepts_multipart(request, media_type):
        if len(frames) > 1:
            raise NotAcceptable(
                f"The {what} renders as {len(frames)} images, sent as "
                f'multipart/related; type="{media_type}"; accept that'
            )
        return image_file_response(frames[0][0], frame=1, options=options)
    parts = [
        ResponsePart(media_type, partial(_rendered_chunks, name, number, options))
        for name, number in frames
    ]
    return multipart_response(parts, part_type=media_type)


def _accepts_multipart(request: Request, media_type: str) -> bool:
    """Whether the preferred Accept range that covers `media_type` is a multipart one."""
    for media_range in accept_parse(request.headers.get("Accept")):
        if media_range.media_type == "*/*":
            return True
        if media_range.type_matches(media_type):
            return media_range.multipart
    return True


def image_file_response(file_name: str, *, frame: int, options: RenderOptions) -> HttpResponse:
    try:
        body = frame_render(file_name, frame=frame, options=options)
    except RenderError as exc:
        raise Undecodable(str(exc)) from exc
    response = HttpResponse(body, content_type=options.media_type)
    response["Cache-Control"] = IMMUTABLE
    return response


def _rendered_chunks(file_name: str, frame: int, options: RenderOptions) -> Iterator[bytes]:
    """One rendered frame. A failure here cannot change the status any more: the body stops
    short of its closing boundary, which clients report."""
    try:
        yield frame_render(file_name, frame=frame, options=options)
    except RenderError:
        logger.warning("rendered_frame_failed mid_stream=true frame=%d", frame)
        raise


class StudyRenderedApi(DicomwebReadApi):
    def get(self, request: Request, study: str) -> HttpResponseBase:
        return images_response(request, study_uid=study)


class SeriesRenderedApi(DicomwebReadApi):
    def get(self, request: Request, study: str, series: str) -> HttpResponseBase:
        return images_response(request, study_uid=study, series_uid=series)


class InstanceRenderedApi(DicomwebReadApi):
    def get(self, request: Request, study: str, series: str, sop: str) -> HttpResponse:
        instance = instance_get(study_uid=study, series_uid=series, sop_uid=sop)
        return image_response(instance, frame=1, request=request)


class FrameRenderedApi(DicomwebReadApi):
    def get(self, request: Request, study: str, series: str, sop: str, frame: str) -> HttpResponse:
        number = frame_number_parse(frame)
        instance = instance_get(study_uid=study, series_uid=series, sop_uid=sop)
        return image_response(instance, frame=number, request=request)


class InstanceThumbnailApi(DicomwebReadApi):
    def get(self, request: Request, study: str, series: str, sop: str) -> HttpResponse:
        instance = instance_get(study_uid=study, series_uid=series, sop_uid=sop)
        middle = max(1, (instance.number_of_frames + 1) // 2)
        return image_response(instance, frame=middle, request=request, thumbnail=True)


class SeriesThumbnailApi(DicomwebReadApi):
    def get(self, request: Request, study: str, series: str) -> HttpResponse:
        instance = series_thumbnail_instance(study_uid=study, series_uid=series)
        middle = max(1, (instance.number_of_frames + 1) // 2)
        return image_response(instance, frame=middle, request=request, thumbnail=True)


class StudyThumbnailApi(DicomwebReadApi):
    def get(self, request: Request, study: str) -> HttpResponse:
        instance = series_thumbnail_instance(study_uid=study)
        middle = max(1, (instance.number_of_frames + 1) // 2)
        return image_response(instance, frame=middle, request=request, thumbnail=True)
