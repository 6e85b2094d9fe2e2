"""Reconcile storage with the index: a file without an index row does not outlive a sweep.

Ingest writes the file first and indexes it after, and removes the file when indexing fails; but a
process killed between the two (a web worker restarted mid-request, the listener killed, a host
that lost power) leaves a stored file no row names, and received parts still spooled in the temp
folder. Such files are invisible to every reader and only take space. The sweep removes those
older than a grace period, which must exceed the longest ingest: a file younger than that may
belong to a request whose transaction has not committed yet.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from archive.models import Instance

logger = logging.getLogger(__name__)

DICOM_ROOT = "dicom"


@dataclass
class StorageReport:
    series_folders: int = 0
    orphan_files_removed: int = 0
    orphan_bytes_removed: int = 0
    temp_files_removed: int = 0
    rows_without_file: int = 0


def storage_reconcile(*, grace_seconds: float, database: bool = True) -> StorageReport:
    """Remove stored files no index row names and spooled temp files, older than the grace.

    Also counts (and logs) rows whose file is missing in the folders it walks: that is data
    already lost, which must be seen rather than hidden. With database=False only the temp
    folder is swept (a process starting up, before it may touch the database).
    """
    report = StorageReport()
    cutoff = timezone.now() - dt.timedelta(seconds=grace_seconds)
    report.temp_files_removed = temp_files_sweep(grace_seconds=grace_seconds)
    if database:
        for series_uid, folder, names in _series_folders():
            report.series_folders += 1
            _series_folder_reconcile(series_uid, folder, names, cutoff, report)
    if report.orphan_files_removed or report.temp_files_removed or report.rows_without_file:
        logger.warning(
            "storage_reconciled orphan_files_removed=%s orphan_bytes_removed=%s "
            "temp_files_removed=%s rows_without_file=%s",
            report.orphan_files_removed,
            report.orphan_bytes_removed,
            report.temp_files_removed,
            report.rows_without_file,
        )
    return report


def temp_files_sweep(*, grace_seconds: float) -> int:
    """Remove files in this host's upload temp folder untouched for longer than the grace.

    The folder holds only what receivers spool (STOW-RS parts, C-STORE data sets) until storage
    takes them; a file this old belongs to a request that died.
    """
    cutoff = time.time() - grace_seconds
    removed = 0
    with os.scandir(settings.FILE_UPLOAD_TEMP_DIR) as entries:
        for entry in entries:
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue  # taken into storage, or removed by its request, meanwhile
    return removed


def _series_folders() -> Iterator[tuple[str, str, list[str]]]:
    """(series UID, folder, file names) of each dicom/<study>/<series>/ folder in storage."""
    # Listed, not checked with exists(): object stores have no folders, and exists() of a
    # prefix is False there even when objects lie under it.
    studies, _ = _listdir(DICOM_ROOT)
    for study in studies:
        study_folder = f"{DICOM_ROOT}/{study}"
        series_list, _ = _listdir(study_folder)
        for series in series_list:
            folder = f"{study_folder}/{series}"
            _, names = _listdir(folder)
            yield series, folder, names


def _listdir(folder: str) -> tuple[list[str], list[str]]:
    try:
        return default_storage.listdir(folder)
    except FileNotFoundError:
        return [], []  # removed meanwhile (its study deleted)


def _series_folder_reconcile(
    series_uid: str, folder: str, names: list[str], cutoff: dt.datetime, report: StorageReport
) -> None:
    present = {f"{folder}/{name}" for name in names}
    # Ingest names the folder after the instance's study and series, so the series' rows name
    # every file that belongs here (looked up by the indexed UID, not by a LIKE on file names).
    indexed = set(
        Instance.objects.filter(series__series_instance_uid=series_uid).values_list(
            "file", flat=True
        )
    )
    for name in sorted(present - indexed):
        try:
            if default_storage.get_modified_time(name) >= cutoff:
                continue  # may be an ingest whose row is not committed yet
            size = default_storage.size(name)
        except FileNotFoundError:
            continue
        # Checked again just before removing: the row may have committed since the listing.
        if Instance.objects.filter(file=name).exists():
            continue
        default_storage.delete(name)
        report.orphan_files_removed += 1
        report.orphan_bytes_removed += size
    missing = {name for name in indexed if name.startswith(f"{folder}/")} - present
    if missing:
        report.rows_without_file += len(missing)
        logger.error("instance_files_missing folder_rows=%s", len(missing))
