"""QIDO-RS result rows as DICOM JSON: which attributes each level returns, and their values."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from archive.dicom.parse import BULK_BASE
from archive.dicomweb.json_responses import attr
from archive.dicomweb.qido_query import (
    ATTRIBUTES,
    BY_TAG,
    LEVELS,
    RETRIEVE_URL_TAG,
    Attribute,
    Level,
    QidoQuery,
)
from archive.selectors import PREFIXES

CONSTANTS = {"SpecificCharacterSet": "ISO_IR 192", "InstanceAvailability": "ONLINE"}
UID_KEYWORDS: dict[Level, str] = {
    "study": "StudyInstanceUID",
    "series": "SeriesInstanceUID",
    "instance": "SOPInstanceUID",
}


class ResultShape:
    """What one search returns: the indexed attributes, the columns they need, and whether
    instance rows must also read their stored DICOM JSON (includefield of other attributes)."""

    def __init__(self, query: QidoQuery, *, scoped: set[Level]) -> None:
        level = query.level
        depth = LEVELS.index(level)
        # The level searched, plus the levels above it that the URL does not fix (PS3.18 10.6.3).
        shown = {lv for lv in LEVELS[: depth + 1] if lv == level or lv not in scoped}
        if query.include_all:
            shown = set(LEVELS[: depth + 1])
        self.level = level
        self.attributes = [
            a
            for a in ATTRIBUTES
            if LEVELS.index(a.level) <= depth
            and (
                a.level in shown
                or a.tag in query.include_tags
                or a.keyword == UID_KEYWORDS[a.level]
            )
        ]
        self.extra_tags = {
            t for t in query.include_tags if t not in BY_TAG and t != RETRIEVE_URL_TAG
        }
        self.needs_metadata = level == "instance" and (query.include_all or bool(self.extra_tags))
        self.include_all = query.include_all

    def fields(self) -> list[str]:
        columns = [self.column(a) for a in self.attributes if a.field is not None]
        return columns + (["metadata_json"] if self.needs_metadata else [])

    def column(self, attribute: Attribute) -> str:
        return f"{PREFIXES[self.level][attribute.level]}{attribute.field}"

    def row_json(self, row: dict[str, Any], root: str) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.needs_metadata:
            body.update(_stored_attributes(row["metadata_json"], root, self))
        for attribute in self.attributes:
            if attribute.field is None:
                body[attribute.tag] = attr(attribute.vr, CONSTANTS.get(attribute.keyword))
            else:
                body[attribute.tag] = _value(attribute, row[self.column(attribute)])
        body[RETRIEVE_URL_TAG] = attr("UR", self._retrieve_url(row, root))
        return dict(sorted(body.items()))

    def _retrieve_url(self, row: dict[str, Any], root: str) -> str:
        url = root
        for level, segment in (
            ("study", "studies"),
            ("series", "series"),
            ("instance", "instances"),
        ):
            uid = row[self.column(_uid_attribute(level))]  # type: ignore[arg-type]
            url += f"/{segment}/{uid}"
            if level == self.level:
                break
        return url


def _uid_attribute(level: Level) -> Attribute:
    return next(a for a in ATTRIBUTES if a.keyword == UID_KEYWORDS[level])


def _value(attribute: Attribute, value: Any) -> dict[str, Any]:
    if isinstance(value, dt.date):
        return attr(attribute.vr, value.strftime("%Y%m%d"))
    if attribute.match == "modalities":
        return attr(attribute.vr, *(value or "").split("\\"))
    if (
        attribute.vr in ("IS", "US", "UL", "SL", "SS")
        and value == 0
        and attribute.keyword in ("NumberOfFrames",)
    ):
        return attr(attribute.vr)  # no pixel data: Number of Frames is absent, not 0
    return attr(attribute.vr, value)


def _stored_attributes(metadata_json: str, root: str, shape: ResultShape) -> dict[str, Any]:
    stored: dict[str, Any] = json.loads(metadata_json.replace(BULK_BASE, root))
    stored.pop("00020010", None)  # File Meta belongs to the file, not to search results
    if shape.include_all:
        return {k: v for k, v in stored.items() if not k.startswith("0002")}
    return {tag: stored[tag] for tag in shape.extra_tags if tag in stored}
