"""Parse an HTTP Accept header into media ranges, with DICOMweb's type and transfer-syntax."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

MULTIPART = "multipart/related"
ANY = "*/*"


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header: `multipart/related; type="image/jls"; transfer-syntax=*`."""

    media_type: str
    params: dict[str, str] = field(default_factory=dict)
    q: float = 1.0

    @property
    def multipart(self) -> bool:
        return self.media_type == MULTIPART

    @property
    def part_type(self) -> str:
        """The type of each part for multipart ranges, else the media type itself."""
        if self.multipart:
            return self.params.get("type", ANY).lower()
        return self.media_type

    @property
    def transfer_syntax(self) -> str | None:
        return self.params.get("transfer-syntax")

    def type_matches(self, media_type: str) -> bool:
        """Whether this range's (part) type covers `media_type`, wildcards included."""
        wanted = self.part_type
        if wanted in (ANY, "*"):
            return True
        if wanted.endswith("/*"):
            return media_type.startswith(wanted[:-1])
        return wanted == media_type


def accept_parse(header: str | None) -> list[MediaRange]:
    """Media ranges in order of preference (q, then order given); `*/*` when there is none."""
    ranges = []
    for item in _split(header or "", ","):
        pieces = _split(item, ";")
        media_type = pieces[0].strip().lower() if pieces else ""
        if not media_type:
            continue
        params: dict[str, str] = {}
        for piece in pieces[1:]:
            key, _, value = piece.partition("=")
            params[key.strip().lower()] = value.strip().strip('"').strip()
        q = _quality(params.pop("q", "1"))
        if q > 0:
            ranges.append(MediaRange(media_type, params, q))
    if not ranges:
        return [MediaRange(ANY)]
    return sorted(ranges, key=lambda r: -r.q)


def _quality(text: str) -> float:
    try:
        return max(0.0, min(1.0, float(text)))
    except ValueError:
        return 1.0


def _split(text: str, separator: str) -> list[str]:
    """Split on `separator` outside double quotes."""
    pieces: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    return [p for p in pieces if p.strip()]


STORED = "stored"  # a negotiation's answer: send the stored bytes (else a transfer syntax UID)
EXPLICIT_LE = "1.2.840.10008.1.2.1"  # PS3.18 8.7.3: the default for application/dicom and frames


def accepts_dicom(
    ranges: list[MediaRange], stored_syntaxes: set[str], decodable: Callable[[str], bool]
) -> tuple[str | None, bool]:
    """(what to send, multipart) for retrieving Part 10 instances stored in `stored_syntaxes`.

    What to send is STORED, EXPLICIT_LE (decode what is stored otherwise), or None when no
    range of the Accept header can be met. No transfer-syntax parameter means the default,
    Explicit VR Little Endian; `transfer-syntax=*` and `*/*` take the instances as stored.
    `decodable(uid)` says whether an instance stored in `uid` can be decoded.
    """
    for r in ranges:
        if r.media_type == ANY:
            return STORED, True
        if not r.type_matches("application/dicom"):
            continue
        ts = r.transfer_syntax or EXPLICIT_LE
        if ts == "*" or stored_syntaxes <= {ts}:
            return STORED, r.multipart
        if ts == EXPLICIT_LE and all(decodable(s) for s in stored_syntaxes):
            return EXPLICIT_LE, r.multipart
    return None, True


def accepts_frames(
    ranges: list[MediaRange],
    media_type: str,
    transfer_syntax_uid: str,
    decodable: Callable[[str], bool],
) -> tuple[str | None, bool]:
    """(what to send, multipart) for frames that travel as `media_type` in
    `transfer_syntax_uid`: STORED, EXPLICIT_LE (decode compressed frames to native), or None.

    `type=application/octet-stream; transfer-syntax=*` (Cornerstone's default) takes frames in
    any encoding, as PS3.18 allows; `type=application/octet-stream` alone asks for the default,
    native little endian, for which compressed frames are decoded; a compressed type (image/jp2)
    takes the stored frames when they are in that encoding.
    """
    aliases = {"image/x-jls": "image/jls", "image/x-dicom-rle": "image/dicom-rle"}
    for r in ranges:
        if r.media_type == ANY:
            return STORED, True
        wanted = aliases.get(r.part_type, r.part_type)
        ts = r.transfer_syntax
        type_ok = MediaRange(wanted).type_matches(media_type)
        octets = wanted == "application/octet-stream"
        if ts == "*" and (type_ok or octets):
            return STORED, r.multipart
        if ts is None and type_ok:
            return STORED, r.multipart
        if ts is not None and _same_syntax(ts, transfer_syntax_uid) and (type_ok or octets):
            return STORED, r.multipart
        native = ts is None or _same_syntax(ts, EXPLICIT_LE)
        if octets and native and decodable(transfer_syntax_uid):
            return EXPLICIT_LE, r.multipart
    return None, True


def _same_syntax(asked: str, sent: str) -> bool:
    little_endian = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1"}
    return asked == sent or (asked in little_endian and sent in little_endian)
