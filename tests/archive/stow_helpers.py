"""Build STOW-RS request bodies by hand, for the cases a well-behaved client never sends."""

from __future__ import annotations

import uuid
from pathlib import Path


def multipart_body(
    payloads: list[bytes], *, part_type: str = "application/dicom"
) -> tuple[bytes, str]:
    """A multipart/related body of the payloads, and its Content-Type header."""
    boundary = uuid.uuid4().hex
    chunks = []
    for payload in payloads:
        chunks.append(f"--{boundary}\r\nContent-Type: {part_type}\r\n\r\n".encode())
        chunks.append(payload)
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    content_type = f'multipart/related; type="application/dicom"; boundary={boundary}'
    return b"".join(chunks), content_type


def multipart_body_of_files(paths: list[Path]) -> tuple[bytes, str]:
    return multipart_body([path.read_bytes() for path in paths])


def failed_reasons(body: dict) -> list[tuple[int, str]]:
    """(FailureReason, ErrorComment) of each item of FailedSOPSequence."""
    items = body.get("00081198", {}).get("Value", [])
    return [(item["00081197"]["Value"][0], item["00000902"]["Value"][0]) for item in items]


def referenced_uids(body: dict) -> list[str]:
    items = body.get("00081199", {}).get("Value", [])
    return [item["00081155"]["Value"][0] for item in items]
