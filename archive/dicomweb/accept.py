"""Parse an HTTP Accept header into media ranges, with DICOMweb's type and transfer-syntax."""

from __future__ import annotations

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


def accepts_dicom(ranges: list[MediaRange], stored_syntaxes: set[str]) -> tuple[bool, bool]:
    """(acceptable, multipart) for retrieving Part 10 instances stored in `stored_syntaxes`.

    No transfer-syntax parameter is read as "as stored": the archive never transcodes.
    """
    for r in ranges:
        if r.media_type == ANY:
            return True, True
        if not r.type_matches("application/dicom"):
            continue
        ts = r.transfer_syntax
        if ts in (None, "*") or stored_syntaxes == {ts}:
            return True, r.multipart
    return False, True


def accepts_frames(
    ranges: list[MediaRange], media_type: str, transfer_syntax_uid: str
) -> tuple[bool, bool]:
    """(acceptable, multipart) for frames that travel as `media_type` in `transfer_syntax_uid`.

    `type=application/octet-stream; transfer-syntax=*` (Cornerstone's default) accepts frames in
    any encoding, as PS3.18 allows; without a transfer-syntax the part type must match.
    """
    aliases = {"image/x-jls": "image/jls", "image/x-dicom-rle": "image/dicom-rle"}
    for r in ranges:
        if r.media_type == ANY:
            return True, True
        wanted = aliases.get(r.part_type, r.part_type)
        ts = r.transfer_syntax
        type_ok = MediaRange(wanted).type_matches(media_type)
        if ts == "*" and (type_ok or wanted == "application/octet-stream"):
            return True, r.multipart
        if ts is None and type_ok:
            return True, r.multipart
        if (
            ts is not None
            and _same_syntax(ts, transfer_syntax_uid)
            and (type_ok or wanted == "application/octet-stream")
        ):
            return True, r.multipart
    return False, True


def _same_syntax(asked: str, sent: str) -> bool:
    little_endian = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1"}
    return asked == sent or (asked in little_endian and sent in little_endian)
