"""manage.py import_labels FILE: import labels from a CSV or JSON file and print the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.services.imports import ImportRefused, ImportTooLarge, labels_import


class Command(BaseCommand):
    help = (
        "Import labels from a CSV (columns study_instance_uid, sop_instance_uid, frame, task, "
        "kind, value; source is ignored: imported) or JSON file (the format of GET "
        "/api/annotate/export?format=json). Prints the report as JSON: imported N and each "
        "refused row with its reason. Rows imported before are refused, so re-running is safe. "
        "Exit status 1 when the file as a whole cannot be read."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror or error}") from error
        try:
            report = labels_import(content=content, filename=path.name)
        except (ImportRefused, ImportTooLarge) as error:
            raise CommandError(error.message) from error
        self.stdout.write(json.dumps(report.as_json(), indent=2))
