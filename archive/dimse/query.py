"""C-FIND identifiers (PS3.4 C.4.1) matched on the index QIDO-RS uses, and the answers' data sets.

An identifier's keys with a value are matching keys, turned into the same conditions a QIDO-RS
query string becomes (single value, `*`/`?` wildcards, date and time ranges, lists of UIDs,
universal matching), so DICOMweb and DIMSE find exactly the same studies. Keys the index does
not hold are return keys answered empty (PS3.4 C.2.2.1.3: optional keys). The PATIENT level is
the distinct patients of matching studies. Queries are relational: a SERIES-level query need not
name its study (dcmtk and most workstations expect that).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.http import QueryDict
from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    PatientRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelGet,
    PatientRootQueryRetrieveInformationModelMove,
)

from archive.dicomweb.errors import BadQuery
from archive.dicomweb.qido_query import BY_TAG, LEVELS, Attribute, Level, qido_query_parse
from archive.models import Patient
from archive.selectors import PREFIXES, qido_search

IDENTIFIER_DOES_NOT_MATCH = 0xA900
UNABLE_TO_PROCESS = 0xC000
PAGE = 500

QR_LEVELS: dict[str, Level | None] = {
    "PATIENT": None,
    "STUDY": "study",
    "SERIES": "series",
    "IMAGE": "instance",
}
PATIENT_ROOT = {
    str(PatientRootQueryRetrieveInformationModelFind),
    str(PatientRootQueryRetrieveInformationModelMove),
    str(PatientRootQueryRetrieveInformationModelGet),
}
UNIQUE_KEYS: dict[str, str] = {
    "PATIENT": "PatientID",
    "STUDY": "StudyInstanceUID",
    "SERIES": "SeriesInstanceUID",
    "IMAGE": "SOPInstanceUID",
}
# Elements that are part of the identifier but not keys.
NOT_KEYS = {0x00080005, 0x00080052, 0x00080056, 0x00080054, 0x00081190}
# Patient-level return keys counted rather than stored.
PATIENT_COUNTS = {
    "NumberOfPatientRelatedStudies": "studies",
    "NumberOfPatientRelatedSeries": "studies__series",
    "NumberOfPatientRelatedInstances": "studies__series__instances",
}


class IdentifierError(Exception):
    """An identifier the archive cannot answer; `status` is the C-FIND/C-MOVE/C-GET failure."""

    def __init__(self, status: int, comment: str) -> None:
        super().__init__(comment)
        self.status = status
        self.comment = comment[:64]


@dataclass
class Identifier:
    """A parsed identifier: its level, matching keys as a QIDO-RS query, and the tags to return."""

    qr_level: str
    level: Level  # the index level searched ("study" for PATIENT)
    params: QueryDict
    return_tags: list[int] = field(default_factory=list)

    def key(self, keyword: str) -> str:
        return str(self.params.get(keyword, ""))


def identifier_parse(identifier: Dataset, *, sop_class: str) -> Identifier:
    """Split an identifier into matching and return keys. Raises IdentifierError."""
    try:
        qr_level = str(identifier.get("QueryRetrieveLevel", "")).strip().upper()
    except (ValueError, TypeError, KeyError, AttributeError):  # a value pydicom cannot decode
        qr_level = ""
    allowed = QR_LEVELS if sop_class in PATIENT_ROOT else {**QR_LEVELS, "PATIENT": "none"}
    if qr_level not in QR_LEVELS or allowed[qr_level] == "none":
        raise IdentifierError(
            IDENTIFIER_DOES_NOT_MATCH,
            f"Query/Retrieve Level {qr_level or '(missing)'} is not one of this model's",
        )
    level: Level = QR_LEVELS[qr_level] or "study"
    params = QueryDict(mutable=True)
    result = Identifier(qr_level, level, params)
    for element in identifier:
        tag = int(element.tag)
        if tag in NOT_KEYS or element.tag.is_private or element.tag.element == 0:
            continue
        result.return_tags.append(tag)
        attribute = BY_TAG.get(f"{tag:08X}")
        if attribute is None or attribute.match == "none" or element.VR == "SQ":
            continue  # not matched on: answered empty
        if not _matchable(attribute, qr_level, level):
            continue
        text = _text(element)
        if text:
            params[attribute.keyword] = text
    unique = int(tag_for_keyword(UNIQUE_KEYS[qr_level]) or 0)
    if unique not in result.return_tags:
        result.return_tags.append(unique)
    return result


def _matchable(attribute: Attribute, qr_level: str, level: Level) -> bool:
    if qr_level == "PATIENT":
        return str(attribute.field or "").startswith("patient__")
    return LEVELS.index(attribute.level) <= LEVELS.index(level)


def _text(element: DataElement) -> str:
    value = element.value
    if value is None:
        return ""
    if isinstance(value, MultiValue | list):
        return "\\".join(str(v) for v in value).strip()
    if isinstance(value, bytes):
        return value.decode("ascii", "replace").strip()
    return str(value).strip()


def find_matches(identifier: Identifier) -> Iterator[Dataset]:
    """Answer data sets for an identifier, page by page. Raises IdentifierError."""
    try:
        query = qido_query_parse(identifier.params, level=identifier.level)
    except BadQuery as exc:
        raise IdentifierError(UNABLE_TO_PROCESS, exc.message) from None
    columns = _columns(identifier)
    fields = sorted({c for c in columns.values() if c} | {"pk"})
    maximum = settings.DICOM_FIND_MAX_RESULTS
    seen_patients: set[int] = set()
    sent = 0
    query.limit, query.offset = PAGE, 0
    while True:
        rows = qido_search(query=query, fields=fields)
        for row in rows:
            if identifier.qr_level == "PATIENT":
                patient_pk = row[_patient_pk(identifier.level)]
                if patient_pk in seen_patients:
                    continue
                seen_patients.add(patient_pk)
            sent += 1
            if sent > maximum:
                raise IdentifierError(
                    UNABLE_TO_PROCESS, f"More than {maximum} matches; narrow the query"
                )
            yield _answer(identifier, columns, row)
        if len(rows) < PAGE:
            return
        query.offset += PAGE


def _patient_pk(level: Level) -> str:
    return PREFIXES[level]["study"] + "patient_id"


def _columns(identifier: Identifier) -> dict[int, str | None]:
    """Each return tag's column (relative to the searched level), None when not indexed."""
    columns: dict[int, str | None] = {}
    level = identifier.level
    for tag in identifier.return_tags:
        attribute = BY_TAG.get(f"{tag:08X}")
        if (
            attribute is None
            or attribute.field is None
            or not _matchable(attribute, identifier.qr_level, level)
        ):
            columns[tag] = None
        else:
            columns[tag] = PREFIXES[level][attribute.level] + attribute.field
    if identifier.qr_level == "PATIENT":
        columns[-1] = _patient_pk(level)
    return columns


def _answer(identifier: Identifier, columns: dict[int, str | None], row: dict[str, Any]) -> Dataset:
    answer = Dataset()
    answer.SpecificCharacterSet = "ISO_IR 192"
    answer.QueryRetrieveLevel = identifier.qr_level
    counts = _patient_counts(identifier, row[columns[-1]]) if -1 in columns else {}  # type: ignore[index]
    for tag in identifier.return_tags:
        keyword = keyword_for_tag(tag)
        column = columns.get(tag)
        if column is not None:
            value = _value(BY_TAG[f"{tag:08X}"], row[column])
        elif keyword == "InstanceAvailability":
            value = "ONLINE"
        elif keyword == "RetrieveAETitle":
            value = settings.DICOM_AE_TITLE
        elif keyword in counts:
            value = counts[keyword]
        else:
            value = None
        answer.add(DataElement(tag, _vr(tag), value))
    return answer


def _patient_counts(identifier: Identifier, patient_pk: int) -> dict[str, int]:
    wanted = {
        k: v for k, v in PATIENT_COUNTS.items() if tag_for_keyword(k) in identifier.return_tags
    }
    if not wanted:
        return {}
    aggregates = {k: Count(path, distinct=True) for k, v in wanted.items() for path in [v]}
    return Patient.objects.filter(pk=patient_pk).aggregate(**aggregates)


def _value(attribute: Attribute, value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d")
    if attribute.match == "modalities":
        return [v for v in str(value).split("\\") if v]
    return value


def _vr(tag: int) -> str:
    try:
        vr = dictionary_VR(tag)
    except KeyError:
        return "UN"
    return vr.split(" or ")[0]
