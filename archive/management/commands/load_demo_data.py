"""manage.py load_demo_data: the shared DICOM files and wrapped PneumoniaMNIST chest X-rays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from archive.services.demo import (
    PNEUMONIA_NPZ,
    demo_devices_register,
    demo_files_load,
    pneumonia_studies_load,
)
from archive.services.imports import import_plan


class Command(BaseCommand):
    help = (
        "Load demo data: every DICOM file under DATA_DIR/dicom except malformed/ (passed over "
        "and counted), then --count PneumoniaMNIST images (val split first, then train) "
        "wrapped as DX chest studies of made-up patients. Their labels are written to "
        "VAR_DIR/demo/pneumoniamnist_labels.csv, never into the DICOM. Re-running stores "
        "nothing twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help=f"shared data folder (default DEMO_DATA_DIR: {settings.DEMO_DATA_DIR})",
        )
        parser.add_argument(
            "--count", type=int, default=300, help="PneumoniaMNIST images to wrap (default 300)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir: Path = options["data_dir"] or Path(settings.DEMO_DATA_DIR)
        npz_path = data_dir / PNEUMONIA_NPZ
        if not (data_dir / "dicom").is_dir() or not npz_path.is_file():
            raise CommandError(f"{data_dir} holds no dicom/ folder or no {PNEUMONIA_NPZ}")
        if options["count"] < 0:
            raise CommandError("--count must not be negative")
        disable = True if options["verbosity"] < 1 else None
        with logging_redirect_tqdm():
            total = len(import_plan(paths=[data_dir / "dicom"], exclude_dirs=["malformed"]).files)
            with tqdm(total=total, unit="file", desc="dicom files", disable=disable) as bar:
                files = demo_files_load(data_dir=data_dir, on_progress=lambda _: bar.update())
            with tqdm(
                total=options["count"], unit="image", desc="pneumoniamnist", disable=disable
            ) as bar:
                wrapped, labels = pneumonia_studies_load(
                    npz_path=npz_path, count=options["count"], on_progress=lambda _: bar.update()
                )
        devices = demo_devices_register()
        if devices:
            self.stdout.write(f"DICOM devices admitted from 127.0.0.1: {', '.join(devices)}")
        for path, reason in files.refused:
            self.stdout.write(f"refused {path}: {reason}")
        self.stdout.write(
            f"DICOM files: stored {files.stored}, already stored {files.already_stored}, "
            f"refused {len(files.refused)}, skipped {files.skipped} (malformed/ and non-DICOM)"
        )
        self.stdout.write(
            f"PneumoniaMNIST studies: stored {wrapped.stored}, already stored "
            f"{wrapped.already_stored}; labels in {labels}"
        )
