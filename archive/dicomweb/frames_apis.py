"""WADO-RS frames and bulk data (PS3.18 10.4.1.1.3-4): pixel data as stored, or decoded.

Compressed frames go out as stored (image/jpeg, image/jls, image/jp2, image/dicom-rle) when the
client takes that encoding (or `transfer-syntax=*`); native frames as little-endian
application/octet-stream. A client asking for `application/octet-stream` without a transfer
syntax asks for the default, native Explicit VR Little Endian (PS3.18 8.7.3), and gets
compressed frames decoded, one frame at a time. Nothing is encoded: an Accept only an encoder
could meet (JPEG of a JPEG 2000 instance) gets 406 with the encodings that are available.
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
from archive.dicom.transcode import TranscodeError, decodable, frames_decoded
from archive.dicomweb.accept import STORED, accept_parse, accepts_frames
from archive.dicomweb.base_api import DicomwebReadApi
from archive.dicomweb.errors import BadQuery, NotAcceptable, NotFound, Undecodable
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


NATIVE = FrameEncoding(OCTET_STREAM, EXPLICIT_LE)


def negotiate_frames(request: Request, encoding: FrameEncoding) -> tuple[FrameEncoding, bool]:
    """The encoding to send frames stored in `encoding` in (it, or NATIVE when they are to be
    decoded) and whether to answer multipart; NotAcceptable when the Accept header excludes both.
    """
    accept = request.headers.get("Accept")
    sent, multipart = accepts_frames(
        accept_parse(accept), encoding.media_type, encoding.transfer_syntax_uid, decodable
    )
    if sent is None:
        native = (
            f" or decoded as {NATIVE.content_type}"
            if encoding != NATIVE and decodable(encoding.transfer_syntax_uid)
            else ""
        )
        raise NotAcceptable(
            f"Pixel data of this instance is available as {encoding.content_type}{native} (the "
            f"archive does not encode images); accept that, or transfer-syntax=*. Asked: {accept!r}"
        )
    return (encoding if sent == STORED else NATIVE), multipart


def frames_response(
    data: list[bytes], *, encoding: FrameEncoding, multipart: bool
) -> HttpResponseBase:
    if not multipart and len(data) == 1:
        return single_part_response(data[0], content_type=encoding.content_type)
    parts = [bytes_part(d, content_type=encoding.content_type) for d in data]
    return multipart_response(parts, part_type=encoding.media_type)


def decoded_frames_response(
    instance: Instance, numbers: list[int], *, multipart: bool
) -> HttpResponseBase:
    """Frames of a compressed instance decoded to native bytes; one frame is decoded before
    answering (a failure is a 422), several while the body streams, one at a time."""
    file_name = str(instance.file.name)
    if len(numbers) == 1:
        return frames_response(_decoded(file_name, numbers), encoding=NATIVE, multipart=multipart)
    parts = [
        ResponsePart(NATIVE.content_type, lambda n=n: frames_decoded(file_name, [n]))  # type: ignore[misc]
        for n in numbers
    ]
    return multipart_response(parts, part_type=OCTET_STREAM)


def _decoded(file_name: str, numbers: list[int]) -> list[bytes]:
    try:
        return list(frames_decoded(file_name, numbers))
    except TranscodeError as exc:
        raise Undecodable(f"{exc}; accept transfer-syntax=* to get the frame as stored") from exc


class InstanceFramesApi(DicomwebReadApi):
    def get(
        self, request: Request, study: str, series: str, sop: str, frames: str
    ) -> HttpResponseBase:
        instance = instance_get(study_uid=study, series_uid=series, sop_uid=sop)
        numbers = frame_numbers_parse(frames, instance)
        encoding = frame_encoding(instance.transfer_syntax_uid)
        sent, multipart = negotiate_frames(request, encoding)
        if sent != encoding:
            return decoded_frames_response(instance, numbers, multipart=multipart)
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
        _, multipart = negotiate_frames(request, NATIVE)
        if not multipart:
            return single_part_response(found[0], content_type=OCTET_STREAM)
        return multipart_response(
            [bytes_part(found[0], content_type=OCTET_STREAM)], part_type=OCTET_STREAM
        )


def _pixel_data_response(request: Request, instance: Instance) -> HttpResponseBase:
    image = StoredImage.of(instance)
    encoding = frame_encoding(instance.transfer_syntax_uid)
    sent, multipart = negotiate_frames(request, encoding)
    every_frame = list(range(1, instance.number_of_frames + 1))
    if sent == NATIVE:
        # The whole native value as one part, streamed (it may hold many large frames); frames
        # of a compressed instance are decoded one at a time as it goes.
        if encoding == NATIVE:
            part = ResponsePart(NATIVE.content_type, lambda: pixel_data_chunks(image))
        else:
            file_name = str(instance.file.name)
            part = ResponsePart(NATIVE.content_type, lambda: frames_decoded(file_name, every_frame))
        if not multipart:
            return single_part_response(b"".join(part.chunks()), content_type=part.content_type)
        return multipart_response([part], part_type=OCTET_STREAM)
    data = frames_read(image, every_frame)
    return frames_response(data, encoding=encoding, multipart=multipart)
