"""WADO-RS frames and bulk data (PS3.18 10.4.1.1.3-4): pixel data in its stored encoding.

Compressed frames go out as stored (image/jpeg, image/jls, image/jp2, image/dicom-rle); native
frames as little-endian application/octet-stream. Nothing is transcoded: an Accept that only a
transcoder could satisfy gets 406 with the encoding that is available.
"""

from __future__ import annotations

import re

from django.http.response import HttpResponseBase
from rest_framework.request import Request

from archive.dicom.stored_pixels import (
    EXPLICIT_LE,
    PIXEL_DATA_TAG,
    FrameEncoding,
    StoredImage,
    bulk_element_read,
    frame_encoding,
    frames_read,
    pixel_data_chunks,
)
from archive.dicomweb.accept import accept_parse, accepts_frames
from archive.dicomweb.base_api import DicomwebReadApi
from archive.dicomweb.errors import BadQuery, NotAcceptable, NotFound
from archive.dicomweb.multipart_response import (
    ResponsePart,
    bytes_part,
    multipart_response,
    single_part_response,
)
from archive.models import Instance
from archive.selectors import instance_get

OCTET_STREAM = "application/octet-stream"


# A frame number has at most 10 digits: Number of Frames is a 32-bit column.
FRAME_NUMBER = r"[0-9]{1,10}"


def frame_number_parse(text: str) -> int:
    """One frame number of a URL; BadQuery when it is not one (no instance has 11 digits' worth)."""
    if not re.fullmatch(FRAME_NUMBER, text):
        raise BadQuery(f"Frame {text[:20]!r}: expected one frame number of at most 10 digits")
    return int(text)


def frame_numbers_parse(text: str, instance: Instance) -> list[int]:
    """`1,3,5` as frame numbers; BadQuery when malformed, NotFound past the last frame."""
    if not re.fullmatch(rf"{FRAME_NUMBER}(,{FRAME_NUMBER})*", text):
        raise BadQuery(
            f"Frame list {text[:40]!r}: expected 1-based numbers of at most 10 digits "
            "separated by commas"
        )
    numbers = [int(n) for n in text.split(",")]
    if len(numbers) > max(instance.number_of_frames, 1):
        raise BadQuery(
            f"Frame list names {len(numbers)} frames; the instance has {instance.number_of_frames}"
        )
    if instance.number_of_frames == 0:
        raise NotFound(f"Instance {instance.sop_instance_uid} has no pixel data")
    wrong = [n for n in numbers if not 1 <= n <= instance.number_of_frames]
    if wrong:
        raise NotFound(
            f"Frame {wrong[0]} does not exist; "
            f"the instance has {instance.number_of_frames} frame(s)"
        )
    return numbers


def negotiate_frames(request: Request, encoding: FrameEncoding) -> bool:
    """Whether to answer multipart; NotAcceptable when the Accept header excludes the encoding."""
    accept = request.headers.get("Accept")
    acceptable, multipart = accepts_frames(
        accept_parse(accept), encoding.media_type, encoding.transfer_syntax_uid
    )
    if not acceptable:
        raise NotAcceptable(
            f"Pixel data of this instance is available as {encoding.content_type} only (the "
            f"archive does not transcode); accept that, or transfer-syntax=*. Asked: {accept!r}"
        )
    return multipart


def frames_response(
    data: list[bytes], *, encoding: FrameEncoding, multipart: bool
) -> HttpResponseBase:
    if not multipart and len(data) == 1:
        return single_part_response(data[0], content_type=encoding.content_type)
    parts = [bytes_part(d, content_type=encoding.content_type) for d in data]
    return multipart_response(parts, part_type=encoding.media_type)


class InstanceFramesApi(DicomwebReadApi):
    def get(
        self, request: Request, study: str, series: str, sop: str, frames: str
    ) -> HttpResponseBase:
        instance = instance_get(study_uid=study, series_uid=series, sop_uid=sop)
        numbers = frame_numbers_parse(frames, instance)
        encoding = frame_encoding(instance.transfer_syntax_uid)
        multipart = negotiate_frames(request, encoding)
        data = frames_read(StoredImage.of(instance), numbers)
        return frames_response(data, encoding=encoding, multipart=multipart)


class InstanceBulkdataApi(DicomwebReadApi):
    """Bulk data by tag, as the BulkDataURIs of the metadata name it; 7FE00010 is Pixel Data."""

    def get(
        self, request: Request, study: str, series: str, sop: str, tag: str
    ) -> HttpResponseBase:
        if not re.fullmatch(r"[0-9A-Fa-f]{8}", tag):
            raise BadQuery(f"Bulk data tag {tag!r}: expected eight hexadecimal digits")
        instance = instance_get(study_uid=study, series_uid=series, sop_uid=sop)
        if int(tag, 16) == PIXEL_DATA_TAG and instance.number_of_frames:
            return _pixel_data_response(request, instance)
        found = bulk_element_read(str(instance.file.name), int(tag, 16))
        if found is None:
            raise NotFound(f"Instance {sop} has no bulk data element {tag.upper()}")
        encoding = FrameEncoding(OCTET_STREAM, EXPLICIT_LE)
        multipart = negotiate_frames(request, encoding)
        if not multipart:
            return single_part_response(found[0], content_type=OCTET_STREAM)
        return multipart_response(
            [bytes_part(found[0], content_type=OCTET_STREAM)], part_type=OCTET_STREAM
        )


def _pixel_data_response(request: Request, instance: Instance) -> HttpResponseBase:
    image = StoredImage.of(instance)
    encoding = frame_encoding(instance.transfer_syntax_uid)
    multipart = negotiate_frames(request, encoding)
    if encoding.media_type == OCTET_STREAM:
        # Native: the whole value as one part, streamed (it may hold many large frames).
        part = ResponsePart(encoding.content_type, lambda: pixel_data_chunks(image))
        if not multipart:
            return single_part_response(b"".join(part.chunks()), content_type=part.content_type)
        return multipart_response([part], part_type=OCTET_STREAM)
    data = frames_read(image, list(range(1, instance.number_of_frames + 1)))
    return frames_response(data, encoding=encoding, multipart=multipart)
