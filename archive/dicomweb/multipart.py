"""Streaming reader for multipart/related request bodies (STOW-RS).

Each part is spooled to a temporary file as it arrives, so a large body or a large instance is
never held whole in memory. Parsing is python-multipart's; this module only routes its events.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from python_multipart.multipart import MultipartParser

CHUNK_SIZE = 256 * 1024


class MultipartError(ValueError):
    """The body is not a well-formed multipart/related message."""


@dataclass
class Part:
    """One received part: its headers (lower-cased names), the temporary file holding it, and
    the SHA-256 of its bytes, computed as they arrived so the file need not be read again."""

    headers: dict[str, str]
    path: str
    size: int = 0
    digest: Any = field(default_factory=hashlib.sha256)

    @property
    def sha256(self) -> str:
        return str(self.digest.hexdigest())

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass
class _State:
    spool_dir: str
    finished: list[Part] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    current: Part | None = None
    file: BinaryIO | None = None
    ended: bool = False


def iter_parts(stream: BinaryIO, boundary: str, spool_dir: str | Path) -> Iterator[Part]:
    """Yield each part of the body read from `stream` once it is complete.

    The caller owns each part's file and must delete it (or move it away). Raises
    MultipartError when the body ends before the closing boundary.
    """
    state = _State(spool_dir=str(spool_dir))
    parser = MultipartParser(boundary, _callbacks(state))  # type: ignore[arg-type]
    try:
        while True:
            chunk = stream.read(CHUNK_SIZE)
            if not chunk:
                break
            parser.write(chunk)
            yield from _drain(state)
        parser.finalize()
        yield from _drain(state)
    finally:
        if state.file is not None:
            state.file.close()
            if state.current is not None:
                _unlink(state.current.path)
        for part in state.finished:
            _unlink(part.path)
    if not state.ended:
        raise MultipartError("the multipart body ended before its closing boundary")


def _drain(state: _State) -> Iterator[Part]:
    while state.finished:
        yield state.finished.pop(0)


def _callbacks(state: _State) -> dict[str, object]:
    def on_part_begin() -> None:
        state.headers = {}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state.header_field += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state.header_value += data[start:end]

    def on_header_end() -> None:
        name = state.header_field.decode("latin-1").strip().lower()
        state.headers[name] = state.header_value.decode("latin-1").strip()
        state.header_field.clear()
        state.header_value.clear()

    def on_headers_finished() -> None:
        fd, path = tempfile.mkstemp(prefix="stow-", suffix=".part", dir=state.spool_dir)
        state.file = os.fdopen(fd, "wb")
        state.current = Part(headers=state.headers, path=path)

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state.file is None or state.current is None:
            return
        chunk = data[start:end]
        state.file.write(chunk)
        state.current.digest.update(chunk)
        state.current.size += end - start

    def on_part_end() -> None:
        if state.file is None or state.current is None:
            return
        state.file.close()
        state.finished.append(state.current)
        state.file, state.current = None, None

    def on_end() -> None:
        state.ended = True

    return {
        "on_part_begin": on_part_begin,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data,
        "on_part_end": on_part_end,
        "on_end": on_end,
    }


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
