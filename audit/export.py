"""The audit log as CSV lines (the API's export) or JSON lines (the A.5 messages), streamed."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from audit.emit import event_message
from audit.vocabulary import ACTIONS, display_of

CSV_HEADER = [
    "id", "time", "event_code", "event", "event_type_code", "event_type", "action", "outcome",
    "outcome_description", "user_id", "username", "roles", "source", "peer", "method", "path",
    "status", "duration_ms", "patients", "studies", "objects",
]  # fmt: skip


class _Echo:
    def write(self, value: str) -> str:
        return value


def _patient_text(obj: Any) -> str:
    return f"{obj.identifier} {obj.name}".strip()


def _cell(value: Any) -> Any:
    """A cell a spreadsheet will not run: text from DICOM headers may start with = + - @."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_lines(events: Any) -> Iterator[str]:
    """A header line, then one CSV line per event (objects joined); streams `events`."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for e in events.iterator(chunk_size=500):
        objects = list(e.participants.all())
        yield writer.writerow(
            [_cell(v) for v in [
                e.pk, e.time.astimezone(UTC).isoformat(), e.event_id, display_of(e.event_id),
                e.event_type, display_of(e.event_type) if e.event_type else "",
                ACTIONS.get(e.action, e.action), e.outcome, e.outcome_description,
                "" if e.user_id is None else e.user_id, e.username, e.roles.replace(",", " "),
                e.source, e.peer, e.method, e.path, "" if e.status is None else e.status,
                "" if e.duration_ms is None else e.duration_ms,
                " ".join(_patient_text(o) for o in objects if o.kind == "patient"),
                " ".join(o.identifier for o in objects if o.kind == "study"),
                " ".join(f"{o.kind}:{o.identifier}" for o in objects),
            ]]
        )  # fmt: skip


def json_lines(events: Any) -> Iterator[str]:
    """One A.5 JSON message per event, newline-terminated, as the `audit.events` logger writes."""
    for e in events.iterator(chunk_size=500):
        message = event_message(e, list(e.participants.all()))
        yield json.dumps(message, separators=(",", ":"), default=str) + "\n"
