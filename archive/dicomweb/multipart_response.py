"""multipart/related responses (PS3.18 8.7.2.1), streamed so a series is never held in memory.

Each part is written `--boundary CRLF Content-Type: … CRLF CRLF <bytes> CRLF`, with no preamble:
Cornerstone's WADO-RS loader reads the first part's headers from the first bytes of the body.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.core.files.storage import default_storage
from django.http import HttpResponse, StreamingHttpResponse

CHUNK_SIZE = 256 * 1024
IMMUTABLE = "private, max-age=86400"  # an instance never changes under its SOP Instance UID


@dataclass(frozen=True)
class ResponsePart:
    """One part: its Content-Type, its length when known, and a callable yielding its bytes."""

    content_type: str
    chunks: Callable[[], Iterable[bytes]]
    length: int | None = None
    location: str | None = None


class StreamedBody(StreamingHttpResponse):
    """A streaming response over a synchronous iterator (file reads, database batches) that
    streams under both servers.

    Under WSGI it is Django's own. Under ASGI, Django would read a synchronous iterator whole
    into memory before sending a byte (and warn in the web log); here each chunk is read in the
    request's worker thread and sent as soon as it is read.
    """

    async def __aiter__(self):  # type: ignore[override]
        chunks = iter(self.streaming_content)
        pull = sync_to_async(next)
        while (chunk := await pull(chunks, None)) is not None:
            yield chunk


def file_part(file_name: str, *, size: int | None, content_type: str) -> ResponsePart:
    return ResponsePart(content_type, lambda: file_chunks(file_name), size)


def bytes_part(data: bytes, *, content_type: str, location: str | None = None) -> ResponsePart:
    return ResponsePart(content_type, lambda: (data,), len(data), location)


def file_chunks(file_name: str) -> Iterator[bytes]:
    """A stored file in chunks, closed even when the client goes away mid-way."""
    with default_storage.open(file_name, "rb") as fp:
        while chunk := fp.read(CHUNK_SIZE):
            yield chunk


def _part_head(boundary: str, part: ResponsePart) -> bytes:
    lines = [f"--{boundary}", f"Content-Type: {part.content_type}"]
    if part.length is not None:
        lines.append(f"Content-Length: {part.length}")
    if part.location:
        lines.append(f"Content-Location: {part.location}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def multipart_response(parts: list[ResponsePart], *, part_type: str) -> StreamedBody:
    """Stream `parts` as one multipart/related body whose parts are of `part_type`."""
    boundary = uuid.uuid4().hex

    def body() -> Iterator[bytes]:
        for part in parts:
            yield _part_head(boundary, part)
            yield from part.chunks()
            yield b"\r\n"
        yield f"--{boundary}--\r\n".encode("latin-1")

    response = StreamedBody(
        body(),
        content_type=f'multipart/related; type="{part_type}"; boundary={boundary}',
    )
    if all(p.length is not None for p in parts):
        heads = sum(len(_part_head(boundary, p)) + 2 for p in parts)
        total = heads + sum(p.length or 0 for p in parts) + len(boundary) + 6
        response["Content-Length"] = str(total)
    response["Cache-Control"] = IMMUTABLE
    return response


def single_part_response(data: bytes, *, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = IMMUTABLE
    return response
