"""Import of existing labels from CSV or JSON (the dataset export's JSON, so export -> import
round-trips), each row through label_record, with a report of what was refused and why.

A bad row never stops the good ones: each row is written in its own savepoint. Imported labels
carry source "imported", no author, and in `provenance["import"]` the file, the row, and (from
our JSON) the original label's id, source and author.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime

from annotations.models import Label
from annotations.services.labels import label_record
from archive.models import Instance, Study
from config.errors import DomainError

logger = logging.getLogger(__name__)

CSV_COLUMNS = ("study_instance_uid", "task", "kind", "value")
OPTIONAL_CSV_COLUMNS = ("sop_instance_uid", "frame", "source")
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def import_max_bytes() -> int:
    """The largest file an import accepts (ANNOTATION_IMPORT_MAX_BYTES, default 20 MiB): it is
    parsed in memory, one label row at a time written after."""
    return int(getattr(settings, "ANNOTATION_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


class ImportRefused(DomainError):
    """The file as a whole cannot be read (not CSV or JSON, missing columns); nothing written."""


class ImportTooLarge(DomainError):
    status = 413
    code = "too_large"


class RowRefused(Exception):
    """One row cannot be imported; its message is the report's reason."""


@dataclass
class ImportReport:
    imported: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)  # {"row": n, "reason"}
    label_ids: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"imported": self.imported, "refused": self.refused}


def labels_import(*, content: bytes, filename: str = "") -> ImportReport:
    """Import every row of a CSV or JSON file of labels; report imported and refused rows.

    CSV: a header with study_instance_uid, task, kind, value (a class key, or JSON for a box or
    a mask) and optionally sop_instance_uid, frame, source (ignored: always "imported"); rows
    are numbered from 1 after the header. JSON: the dataset export ({"labels": [...]}) or a
    list of such rows, numbered from 1. Raises ImportTooLarge or ImportRefused for the file as
    a whole. A row equal to a label imported before is refused ("already imported"), so running
    the same import twice adds nothing.
    """
    if len(content) > import_max_bytes():
        raise ImportTooLarge(
            f"The file is {len(content)} bytes; an import takes at most {import_max_bytes()}."
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused("The file is not UTF-8 text (CSV or JSON).") from None
    rows = _json_rows(text) if _looks_like_json(filename, text) else _csv_rows(text)
    report = ImportReport()
    for number, row in rows:
        try:
            label = _row_import(row, filename=filename, number=number)
        except RowRefused as refusal:
            report.refused.append({"row": number, "reason": str(refusal)})
            continue
        report.imported += 1
        report.label_ids.append(label.pk)
    logger.info("labels_imported imported=%s refused=%s", report.imported, len(report.refused))
    return report


def _looks_like_json(filename: str, text: str) -> bool:
    if filename.lower().endswith(".json"):
        return True
    if filename.lower().endswith(".csv"):
        return False
    return text.lstrip()[:1] in ("{", "[")


def _json_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportRefused(f"The file is not valid JSON: {error}") from None
    rows = document.get("labels") if isinstance(document, dict) else document
    if not isinstance(rows, list):
        raise ImportRefused('A JSON import is a list of labels, or an object with "labels".')
    return ((number, row) for number, row in enumerate(rows, start=1))


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in CSV_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise ImportRefused(
            f"The CSV lacks the column(s) {', '.join(missing)}; it needs "
            f"{', '.join(CSV_COLUMNS)} (and may have {', '.join(OPTIONAL_CSV_COLUMNS)})."
        )
    return ((number, {**row, "_csv": True}) for number, row in enumerate(reader, start=1))


def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return value.strip() if isinstance(value, str) else ""


def _target(row: dict[str, Any]) -> tuple[Study, Instance | None, int | None]:
    study = Study.objects.filter(study_instance_uid=_text(row, "study_instance_uid")).first()
    if study is None:
        raise RowRefused("no such study")
    instance = None
    if sop := _text(row, "sop_instance_uid"):
        instance = Instance.objects.filter(sop_instance_uid=sop, series__study=study).first()
        if instance is None:
            raise RowRefused("no such image in the study")
    frame = row.get("frame")
    if frame in (None, ""):
        return study, instance, None
    try:
        number = int(frame)
    except (TypeError, ValueError):
        raise RowRefused(f"frame {frame!r} is not a whole number") from None
    if number < 1 or instance is None or number > max(instance.number_of_frames, 1):
        raise RowRefused(f"frame {number} is not a frame of the image")
    return study, instance, number


def _value(row: dict[str, Any], kind: str) -> Any:
    value = row.get("value")
    if not row.get("_csv") or kind == Label.Kind.CLASS:
        return value.strip() if isinstance(value, str) else value
    try:
        return json.loads(value or "")
    except json.JSONDecodeError:
        raise RowRefused(f"the value of a {kind} label is not valid JSON") from None


def _created_at(row: dict[str, Any]) -> dt.datetime | None:
    """The original label's time, from our JSON export; None (now) otherwise."""
    moment = row.get("created_at")
    if not isinstance(moment, str) or not moment:
        return None
    try:
        parsed = parse_datetime(moment)
    except ValueError:
        parsed = None
    if parsed is None:
        raise RowRefused(f"created_at {moment!r} is not an ISO 8601 date and time")
    return parsed


def _reason(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in error.message_dict.items())
    return " ".join(error.messages)


def _row_import(row: Any, *, filename: str, number: int) -> Label:
    if not isinstance(row, dict):
        raise RowRefused("a row is an object with the label's fields")
    study, instance, frame = _target(row)
    task, kind = _text(row, "task"), _text(row, "kind")
    value = _value(row, kind)
    if Label.objects.filter(
        task=task,
        study=study,
        instance=instance,
        frame_number=frame,
        kind=kind,
        value=value,
        source=Label.Source.IMPORTED,
    ).exists():
        raise RowRefused("already imported")
    origin: dict[str, Any] = {"file": filename, "row": number}
    if not row.get("_csv"):
        origin |= {k: row.get(k) for k in ("id", "source", "author") if k in row}
    try:
        return label_record(
            task=task,
            study=study,
            instance=instance,
            frame_number=frame,
            kind=kind,  # type: ignore[arg-type]  # label_record's validation names a bad kind
            value=value,
            source=Label.Source.IMPORTED,
            author=None,
            created_at=_created_at(row),
            schema_version=_schema_version(row),
            provenance={"import": origin},
        )
    except ValidationError as error:
        raise RowRefused(_reason(error)) from None


def _schema_version(row: dict[str, Any]) -> int | None:
    """The version our JSON export names; None (the task's current one) for CSV rows."""
    version = row.get("schema_version")
    if version is None or row.get("_csv"):
        return None
    if isinstance(version, bool) or not isinstance(version, int):
        raise RowRefused(f"schema_version {version!r} is not a whole number")
    return version
