"""manage.py export_labels --task T --format json|coco|dicom: a snapshot to stdout (or a file),
or the task's ground truth as DICOM SEG/SR stored into the archive."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.services.export_dataset import dataset_export_coco, dataset_export_json
from annotations.services.export_dicom import labels_dicom_export
from ml.core.tasks import TASKS


class Command(BaseCommand):
    help = (
        "Export a task's labels: --format json (every label, the format import_labels reads), "
        "coco (boxes and masks as COCO, classes as image_labels), or dicom (adjudicated masks as "
        "SEG and boxes/classes as SR, stored into the archive; --include-annotator-labels adds "
        "the annotators'). json and coco go to stdout or --output; dicom prints what it stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--task", default=next(iter(TASKS)), choices=list(TASKS))
        parser.add_argument("--format", default="json", choices=["json", "coco", "dicom"])
        parser.add_argument("--output", type=Path, help="write the snapshot here, not stdout")
        parser.add_argument("--include-annotator-labels", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        task, kind = options["task"], options["format"]
        if kind == "dicom":
            export = labels_dicom_export(
                task=task, include_annotator_labels=options["include_annotator_labels"]
            )
            self.stdout.write(json.dumps(export.as_json(), indent=2))
            return
        build = dataset_export_coco if kind == "coco" else dataset_export_json
        text = json.dumps(build(task=task), indent=2)
        if options["output"] is None:
            self.stdout.write(text)
            return
        try:
            options["output"].write_text(text)
        except OSError as error:
            raise CommandError(f"{options['output']}: {error.strerror or error}") from error
