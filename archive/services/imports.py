"""Import DICOM files from disk (files, folders, DICOMDIR filesets) through the ingest service.

Files are copied into storage, never moved or changed. Used by `manage.py import_dicom` and the
demo data loader.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError

from archive.dicom.failures import InstanceRefused
from archive.services.ingest import IngestResult, instance_ingest

logger = logging.getLogger(__name__)

DICOMDIR_NAME = "DICOMDIR"
# Files in a scanned folder that are certainly not DICOM instances (manifests, notes, images).
NOT_DICOM_SUFFIXES = frozenset(
    {".csv", ".md", ".txt", ".json", ".xml", ".html", ".pdf", ".png", ".jpg", ".jpeg", ".npz"}
)


@dataclass
class ImportPlan:
    """The files to import, in order, and how many a folder scan passed over."""

    files: list[Path] = field(default_factory=list)
    skipped: int = 0


@dataclass
class ImportSummary:
    stored: int = 0
    already_stored: int = 0
    skipped: int = 0
    refused: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def failed_completely(self) -> bool:
        """Nothing could be stored (or was already) and something was refused."""
        return not self.stored and not self.already_stored and bool(self.refused)


def import_plan(*, paths: Iterable[Path], exclude_dirs: Iterable[str] = ()) -> ImportPlan:
    """Expand files, folders (recursively) and DICOMDIR files into the instance files to import.

    A DICOMDIR named on the command line contributes the files it references; a DICOMDIR found
    in a folder is not an instance and is passed over (the folder scan finds its files). Hidden
    files, files with a non-DICOM suffix and folders named in `exclude_dirs` are counted in
    `skipped`. A file reached twice is imported once. Raises FileNotFoundError for a missing path.
    """
    plan = ImportPlan()
    excluded = set(exclude_dirs)
    seen: set[Path] = set()
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist")
        if path.is_dir():
            candidates = _folder_files(path, excluded, plan)
        elif path.name.upper() == DICOMDIR_NAME:
            candidates = iter(dicomdir_files(path))
        else:
            candidates = iter([path])
        for candidate in candidates:
            key = candidate.resolve()
            if key not in seen:
                seen.add(key)
                plan.files.append(candidate)
    return plan


def _folder_files(folder: Path, excluded: set[str], plan: ImportPlan) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.upper() == DICOMDIR_NAME:
            continue  # a DICOMDIR indexes files the scan finds anyway; it is not an instance
        relative = path.relative_to(folder)
        if _passed_over(relative, excluded):
            plan.skipped += 1
        else:
            yield path


def _passed_over(relative: Path, excluded: set[str]) -> bool:
    return (
        bool(excluded.intersection(relative.parts[:-1]))
        or any(part.startswith(".") for part in relative.parts)
        or relative.suffix.lower() in NOT_DICOM_SUFFIXES
    )


def dicomdir_files(dicomdir: Path) -> list[Path]:
    """The files a DICOMDIR references, in record order (paths relative to its folder).

    Raises ValueError when the DICOMDIR cannot be read.
    """
    try:
        ds = pydicom.dcmread(dicomdir)
    except (InvalidDicomError, OSError, ValueError) as exc:
        raise ValueError(f"{dicomdir} is not a readable DICOMDIR: {exc}") from exc
    files = []
    for record in ds.get("DirectoryRecordSequence", []):
        file_id = record.get("ReferencedFileID")
        if not file_id:
            continue
        parts = [file_id] if isinstance(file_id, str) else list(file_id)
        files.append(dicomdir.parent.joinpath(*(str(part).strip() for part in parts)))
    return files


def file_import(*, path: Path) -> IngestResult:
    """Store one file through `instance_ingest` (copied, never moved). Raises InstanceRefused."""
    try:
        with open(path, "rb") as fp:
            return instance_ingest(fp=fp, source="import")
    except OSError as exc:
        raise InstanceRefused(f"The file cannot be read: {exc.strerror or exc}") from exc


def files_import(
    *, plan: ImportPlan, on_progress: Callable[[Path], None] | None = None
) -> ImportSummary:
    """Import every file of `plan`; a refused file is listed with its reason, the rest go on.

    Safe to re-run: instances already stored are counted, not stored again.
    """
    summary = ImportSummary(skipped=plan.skipped)
    for path in plan.files:
        try:
            result = file_import(path=path)
        except InstanceRefused as exc:
            summary.refused.append((path, exc.reason))
        except Exception as exc:  # one broken file must not stop a bulk import
            logger.exception("instance_ingest_failed source=import")
            summary.refused.append((path, f"The archive failed to store it: {exc}"))
        else:
            if result.created:
                summary.stored += 1
            else:
                summary.already_stored += 1
        if on_progress is not None:
            on_progress(path)
    logger.info(
        "files_imported stored=%d already_stored=%d refused=%d skipped=%d",
        summary.stored,
        summary.already_stored,
        len(summary.refused),
        summary.skipped,
    )
    return summary
