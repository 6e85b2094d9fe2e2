"""Storage is reconciled with the index (issue 10, item 3): no file without a row survives a
sweep, no row is written without its file, and one part that fails in a way nobody expected
costs only that part.

Before, one part raising an unexpected error answered the whole STOW-RS request 500 and left
the files of the parts before it in storage with no index row; a web process killed mid-ingest
left stored files without rows and `stow-*.part` spool files that nothing removed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from archive.models import Instance
from archive.services import ingest as ingest_module
from archive.services.storage_sweep import storage_reconcile
from tests.archive.stow_helpers import failed_reasons, multipart_body_of_files, referenced_uids
from tests.conftest import SHARED_DICOM

SLICES = sorted((SHARED_DICOM / "ct" / "dcmqi_ct_3slice").glob("*.dcm"))


def stored_names() -> set[str]:
    """Every file under storage's dicom/ folder, as storage names."""
    root = Path(settings.VAR_DIR) / "storage"
    return {str(path.relative_to(root)) for path in (root / "dicom").rglob("*") if path.is_file()}


def indexed_names() -> set[str]:
    return set(Instance.objects.values_list("file", flat=True))


def age(path_or_name: str, seconds: float) -> None:
    """Make a file look `seconds` old, as one left by a process killed that long ago."""
    path = path_or_name if os.path.isabs(path_or_name) else default_storage.path(path_or_name)
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.fixture
def second_part_explodes(monkeypatch):
    """parse_instance raises an error nobody planned for on the second file it sees."""
    real = ingest_module.parse_instance
    seen = []

    def parse(fp, **kwargs):
        seen.append(fp)
        if len(seen) == 2:
            raise RecursionError("maximum recursion depth exceeded")
        return real(fp, **kwargs)

    monkeypatch.setattr(ingest_module, "parse_instance", parse)


def test_a_part_that_fails_unexpectedly_is_refused_alone_and_leaves_no_file(
    db, client_for, second_part_explodes
):
    body, content_type = multipart_body_of_files(SLICES)

    response = client_for("modality").post(
        "/dicomweb/studies", data=body, content_type=content_type
    )

    assert response.status_code == 202
    answer = response.json()
    assert len(referenced_uids(answer)) == 2
    [(code, reason)] = failed_reasons(answer)
    assert code == 0x0110
    assert "could not process" in reason
    assert "Recursion" not in reason and "Traceback" not in reason
    assert stored_names() == indexed_names()
    assert len(indexed_names()) == 2


def test_the_sweep_removes_stored_files_without_rows_and_keeps_indexed_ones(db, ingest_file):
    kept = ingest_file(SLICES[0])
    kept_name = Instance.objects.get(sop_instance_uid=kept.sop_instance_uid).file.name
    # What a web process killed between writing the file and committing its row leaves behind.
    orphan = default_storage.save(
        "dicom/1.2.3/1.2.3.4/1.2.3.4.5.dcm", ContentFile(SLICES[1].read_bytes())
    )
    beside = default_storage.save(
        f"{os.path.dirname(kept_name)}/1.2.3.4.6.dcm", ContentFile(SLICES[2].read_bytes())
    )
    for name in (orphan, beside, kept_name):
        age(name, 7200)

    report = storage_reconcile(grace_seconds=3600)

    assert report.orphan_files_removed == 2
    assert stored_names() == {kept_name}
    assert default_storage.exists(kept_name)


def test_the_sweep_leaves_a_file_being_ingested_now(db):
    # A file just written whose row is still being committed is not an orphan yet.
    young = default_storage.save("dicom/1.2.3/1.2.3.4/1.2.3.4.7.dcm", ContentFile(b"x" * 200))

    report = storage_reconcile(grace_seconds=3600)

    assert report.orphan_files_removed == 0
    assert default_storage.exists(young)


def test_the_sweep_removes_stale_spool_files_of_killed_requests_and_keeps_fresh_ones():
    spool = Path(settings.FILE_UPLOAD_TEMP_DIR)
    stale = [spool / "stow-killed.part", spool / "tmpkilled.dcm"]
    fresh = spool / "stow-receiving.part"
    for path in [*stale, fresh]:
        path.write_bytes(b"partial")
    for path in stale:
        age(str(path), 7200)

    report = storage_reconcile(grace_seconds=3600, database=False)

    assert report.temp_files_removed == 2
    assert not any(path.exists() for path in stale)
    assert fresh.exists()
    fresh.unlink()


def test_an_instance_stored_under_an_alternative_name_survives_the_sweep(db, ingest_file):
    # A file left at the canonical name by a killed request makes storage pick another name for
    # the instance when it is sent again: the row names that file, and only the leftover goes.
    first = ingest_file(SLICES[0])
    instance = Instance.objects.get(sop_instance_uid=first.sop_instance_uid)
    canonical = instance.file.name
    instance.delete()  # as if the row had never committed
    resent = ingest_file(SLICES[0])
    alternative = Instance.objects.get(sop_instance_uid=resent.sop_instance_uid).file.name
    assert alternative != canonical
    for name in (canonical, alternative):
        age(name, 7200)

    report = storage_reconcile(grace_seconds=3600)

    assert report.orphan_files_removed == 1
    assert stored_names() == {alternative}
    with default_storage.open(alternative, "rb") as fp:
        assert fp.read() == SLICES[0].read_bytes()


def test_the_sweep_runs_on_beat():
    assert any(
        entry["task"] == "archive.storage_reconcile"
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    )
