"""The attributes the archive index keeps, read from an instance's DICOM JSON.

Reading them from the JSON (already built for WADO metadata) rather than from the pydicom data
set saves converting each element a second time on the ingest path.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

DicomJson = dict[str, Any]


def _first(body: DicomJson, tag: str) -> Any:
    values = body.get(tag, {}).get("Value")
    return values[0] if values else None


def text(body: DicomJson, tag: str, max_length: int) -> str:
    """The first value as text; a person name keeps its = separated groups; multi-valued
    strings are joined with a backslash as in DICOM."""
    element = body.get(tag)
    if not element or not element.get("Value"):
        return ""
    values = element["Value"]
    if element.get("vr") == "PN":
        name = values[0]
        groups = [name.get(g, "") for g in ("Alphabetic", "Ideographic", "Phonetic")]
        joined = "=".join(groups).rstrip("=")
    else:
        joined = "\\".join("" if v is None else str(v) for v in values)
    return joined.strip()[:max_length]


def integer(body: DicomJson, tag: str) -> int | None:
    value = _first(body, tag)
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def date(body: DicomJson, tag: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text(body, tag, 8), "%Y%m%d").date()
    except ValueError:
        return None


def patient_attributes(body: DicomJson) -> dict[str, str]:
    name = text(body, "00100010", 324)
    return {
        "patient_id": text(body, "00100020", 64),
        "issuer_of_patient_id": text(body, "00100021", 64),
        "patient_name": name,
        "patient_name_search": name.upper(),
        "patient_birth_date": text(body, "00100030", 8),
        "patient_sex": text(body, "00100040", 16),
    }


def study_attributes(body: DicomJson) -> dict[str, Any]:
    return {
        "study_date": date(body, "00080020"),
        "study_time": text(body, "00080030", 16),
        "accession_number": text(body, "00080050", 16),
        "study_id": text(body, "00200010", 16),
        "study_description": text(body, "00081030", 64),
        "referring_physician_name": text(body, "00080090", 324),
    }


def series_attributes(body: DicomJson) -> dict[str, Any]:
    return {
        "modality": text(body, "00080060", 16),
        "series_number": integer(body, "00200011"),
        "series_description": text(body, "0008103E", 64),
        "body_part_examined": text(body, "00180015", 16),
        "performed_procedure_step_start_date": text(body, "00400244", 8),
        "performed_procedure_step_start_time": text(body, "00400245", 16),
    }


def instance_attributes(body: DicomJson, num_frames: int) -> dict[str, Any]:
    return {
        "instance_number": integer(body, "00200013"),
        "rows": integer(body, "00280010"),
        "columns": integer(body, "00280011"),
        "number_of_frames": num_frames,
        "bits_allocated": integer(body, "00280100"),
        "samples_per_pixel": integer(body, "00280002"),
        "photometric_interpretation": text(body, "00280004", 16),
    }
