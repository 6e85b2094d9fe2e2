"""manage.py import_dicom PATH...: store DICOM files, folders and DICOMDIR filesets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from archive.services.imports import ImportSummary, files_import, import_plan


class Command(BaseCommand):
    help = (
        "Import DICOM instances into the archive. Each PATH is a file, a folder (searched "
        "recursively; DICOMDIR files, hidden files and non-DICOM suffixes such as .csv or .md are "
        "passed over) or a DICOMDIR (the files it references are imported). Files are copied, "
        "never moved; instances already stored are counted, not stored twice, so re-running is "
        "safe. Prints: stored N, already stored M, refused K, with each refused file and its "
        "reason. Exit status is 1 only when nothing could be stored and at least one file was "
        "refused; otherwise 0, even if some files were refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        parser.add_argument(
            "--exclude-dir",
            action="append",
            default=[],
            metavar="NAME",
            help="pass over folders with this name while scanning (repeatable)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            plan = import_plan(paths=options["paths"], exclude_dirs=options["exclude_dir"])
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        quiet = options["verbosity"] < 1
        with (
            logging_redirect_tqdm(),
            tqdm(total=len(plan.files), unit="file", desc="import", disable=quiet or None) as bar,
        ):
            summary = files_import(plan=plan, on_progress=lambda _path: bar.update())
        self._report(summary)
        if summary.failed_completely:
            raise CommandError("No instance could be stored")

    def _report(self, summary: ImportSummary) -> None:
        for path, reason in summary.refused:
            self.stdout.write(f"refused {path}: {reason}")
        line = (
            f"stored {summary.stored}, already stored {summary.already_stored}, "
            f"refused {len(summary.refused)}"
        )
        if summary.skipped:
            line += f", skipped {summary.skipped} non-instance files"
        style = self.style.SUCCESS if not summary.refused else self.style.WARNING
        self.stdout.write(style(line))
