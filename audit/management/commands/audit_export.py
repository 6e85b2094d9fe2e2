"""manage.py audit_export: the audit log (or a time range of it) as JSON lines or CSV."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from audit.export import csv_lines, json_lines
from audit.selectors import AuditFilters, audit_events
from audit.services import audit_record


def _time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parse_datetime(value) or datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise CommandError(f"--{name} must be an ISO 8601 date or date-time, e.g. 2026-11-30")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Write the audit events between --since and --until (inclusive, ISO 8601, UTC when no "
        "offset) to standard output or --output, newest first, as JSON lines (the DICOM PS3.15 "
        "A.5 messages) or CSV. The export is itself recorded (Audit Log Used)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since")
        parser.add_argument("--until")
        parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
        parser.add_argument("--output", help="a file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        filters = AuditFilters(
            since=_time(options["since"], "since"), until=_time(options["until"], "until")
        )
        lines = csv_lines if options["format"] == "csv" else json_lines
        out = open(options["output"], "w", encoding="utf-8") if options["output"] else sys.stdout  # noqa: SIM115
        try:
            for line in lines(audit_events(filters=filters)):
                out.write(line)
        finally:
            if out is not sys.stdout:
                out.close()
        audit_record(
            event="audit_log_used",
            action="R",
            description=f"audit_export {options['format']} since={options['since'] or '-'} "
            f"until={options['until'] or '-'}",
        )
