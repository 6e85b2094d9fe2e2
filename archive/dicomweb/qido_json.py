"""QIDO-RS result rows as DICOM JSON: which attributes each level returns, and their values.

A search can return thousands of rows, so each attribute's conversion is chosen once per search
(`ResultShape`) and rows are then built with plain dict operations, already in tag order.

An attribute without a value is sent as `{"vr": ...}` with no Value (PS3.18 F.2.5), except
ModalitiesInStudy, which is left out of a result when it is empty unless the client named it in
includefield. Both forms are valid for an attribute with no value (a result carries the
attributes the server has; an empty one may be absent or sent without Value), and OHIF's study
list reads ModalitiesInStudy's Value without a check: one study whose series have no Modality
would otherwise blank the whole list. The other study attributes OHIF reads (through getString
and getName) cope with a missing Value, so they keep the explicit empty form.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from archive.dicom.parse import BULK_BASE
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
URL_SEGMENTS: dict[Level, str] = {"study": "studies", "series": "series", "instance": "instances"}
NUMERIC_VRS = {"IS", "US", "UL", "SL", "SS", "DS", "FL", "FD"}
# Left out of a result when empty, unless asked for by includefield (see the module docstring).
OMITTED_WHEN_EMPTY = {"ModalitiesInStudy"}
Converter = Callable[[Any], dict[str, Any] | None]


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
        self._uid_columns = [
            (URL_SEGMENTS[lv], self.column(_uid_attribute(lv))) for lv in LEVELS[: depth + 1]
        ]
        self._plan = sorted(
            [
                (a.tag, a.field and self.column(a), _converter(a, query.include_tags))
                for a in self.attributes
            ],
            key=lambda step: step[0],
        )

    def fields(self) -> list[str]:
        columns = [self.column(a) for a in self.attributes if a.field is not None]
        return columns + (["metadata_json"] if self.needs_metadata else [])

    def column(self, attribute: Attribute) -> str:
        return f"{PREFIXES[self.level][attribute.level]}{attribute.field}"

    def row_json(self, row: dict[str, Any], root: str) -> dict[str, Any]:
        body: dict[str, Any] = {}
        url = root + "".join(f"/{segment}/{row[column]}" for segment, column in self._uid_columns)
        retrieve_url: dict[str, Any] | None = {"vr": "UR", "Value": [url]}
        for tag, column, convert in self._plan:
            if retrieve_url and tag > RETRIEVE_URL_TAG:
                body[RETRIEVE_URL_TAG], retrieve_url = retrieve_url, None
            element = convert(row[column] if column else None)
            if element is not None:
                body[tag] = element
        if retrieve_url:
            body[RETRIEVE_URL_TAG] = retrieve_url
        if self.needs_metadata:
            stored = _stored_attributes(row["metadata_json"], root, self)
            body = dict(sorted({**stored, **body}.items()))
        return body


def _uid_attribute(level: Level) -> Attribute:
    return next(a for a in ATTRIBUTES if a.keyword == UID_KEYWORDS[level])


def _converter(attribute: Attribute, include_tags: set[str]) -> Converter:
    """A function from a column value to the attribute's DICOM JSON (PS3.18 F.2), or to None
    when the attribute is to be left out of the result."""
    vr = attribute.vr
    empty: dict[str, Any] | None = {"vr": vr}
    if attribute.keyword in OMITTED_WHEN_EMPTY and attribute.tag not in include_tags:
        empty = None
    if attribute.field is None:
        constant = {"vr": vr, "Value": [CONSTANTS[attribute.keyword]]}
        return lambda _: constant
    if attribute.match == "modalities":
        return lambda v: {"vr": vr, "Value": v.split("\\")} if v else empty
    if vr == "PN":
        return lambda v: {"vr": vr, "Value": [{"Alphabetic": v}]} if v else empty
    if vr == "DA":
        return lambda v: {"vr": vr, "Value": [_date_text(v)]} if v else empty
    if attribute.keyword == "NumberOfFrames":
        return lambda v: {"vr": vr, "Value": [v]} if v else empty  # no pixels: absent, not 0
    if vr in NUMERIC_VRS:
        return lambda v: {"vr": vr, "Value": [v]} if v is not None else empty
    return lambda v: {"vr": vr, "Value": [v]} if v else empty


def _date_text(value: dt.date | str) -> str:
    if isinstance(value, dt.date):
        return f"{value.year:04d}{value.month:02d}{value.day:02d}"
    return value


def _stored_attributes(metadata_json: str, root: str, shape: ResultShape) -> dict[str, Any]:
    stored: dict[str, Any] = json.loads(metadata_json.replace(BULK_BASE, root))
    if shape.include_all:
        return {k: v for k, v in stored.items() if not k.startswith("0002")}
    return {tag: stored[tag] for tag in shape.extra_tags if tag in stored}


def search_body(rows: list[dict[str, Any]], shape: ResultShape, root: str) -> str:
    """The response body: a JSON array of one DICOM JSON data set per row."""
    return json.dumps([shape.row_json(row, root) for row in rows], separators=(",", ":"))
