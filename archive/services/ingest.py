"""Store DICOM instances: the single service behind STOW-RS, C-STORE and folder import.

Order of work, so that a crash at any point leaves no half-written instance:
parse and validate -> write the file to storage -> index it in one transaction. A file without an
index row is invisible (and is removed if the transaction fails); an index row always has its file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, TypeVar

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, connection

from archive.dicom.failures import (
    DATASET_DOES_NOT_MATCH,
    OUT_OF_RESOURCES,
    PROCESSING_FAILURE,
    InstanceRefused,
)
from archive.dicom.parse import ParsedInstance, file_size_of, parse_instance
from archive.models import Instance
from archive.services.index_writes import (
    IngestResult,
    Outcome,
    UnindexedFile,
    file_index,
    files_index,
)

__all__ = ["IncomingFile", "IngestResult", "instance_ingest", "instances_ingest"]

logger = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


class StoredFile(File):  # type: ignore[type-arg]
    """A received file on local disk; storage may move it into place instead of copying."""

    def __init__(self, fp: BinaryIO, path: str) -> None:
        super().__init__(fp, name=os.path.basename(path))
        self._path = path

    def temporary_file_path(self) -> str:
        return self._path


@dataclass(frozen=True)
class IncomingFile:
    """A received Part 10 file: open for reading, with what the receiver already knows of it."""

    fp: BinaryIO
    movable_path: str | None = None  # a temporary copy on local disk that storage may move
    sha256: str | None = None  # computed while receiving, to spare a second read


def instance_ingest(
    *,
    fp: BinaryIO,
    source: str,
    expected_study_uid: str | None = None,
    movable_path: str | None = None,
) -> IngestResult:
    """Validate and store the Part 10 file open in `fp`; idempotent per SOP Instance UID.

    `source` names the door ("stow", "c-store", "import") for logs. With `expected_study_uid`
    (STOW to /studies/{uid}) an instance of another study is refused. `movable_path` says the
    file is a temporary copy on local disk that storage may move rather than copy.
    Raises InstanceRefused with a reason and failure code; safe to retry.
    """
    stored = _file_store_or_refusal(IncomingFile(fp, movable_path), expected_study_uid, source)
    if isinstance(stored, InstanceRefused):
        raise stored
    try:
        outcome = _index_retrying(file_index, stored)
    except BaseException:
        default_storage.delete(stored.name)
        raise
    _log_and_clean(stored, outcome, source)
    if isinstance(outcome, InstanceRefused):
        raise outcome
    return outcome


def instances_ingest(
    *,
    files: list[IncomingFile],
    source: str,
    expected_study_uid: str | None = None,
) -> list[Outcome]:
    """Store several files (one STOW-RS request), indexing them in one transaction.

    Outcome i answers files[i]: an IngestResult, or the InstanceRefused that says why that file
    was not stored. One bad file never stops the others.
    """
    outcomes: list[Outcome | UnindexedFile] = []
    try:
        for file in files:
            outcomes.append(_file_store_or_refusal(file, expected_study_uid, source))
    except BaseException:
        # Not an error of one file (the process is being stopped): leave no file without a row.
        for outcome in outcomes:
            if isinstance(outcome, UnindexedFile):
                default_storage.delete(outcome.name)
        raise
    stored = [o for o in outcomes if isinstance(o, UnindexedFile)]
    try:
        indexed = iter(_index_retrying(files_index, stored) if stored else [])
    except Exception:  # a failed batch must answer every file, not lose them
        logger.exception("instances_index_failed source=%s count=%s", source, len(stored))
        for unindexed in stored:
            default_storage.delete(unindexed.name)
        # Each failure names its instance, so the client knows what to send again.
        return [_index_failure(o) if isinstance(o, UnindexedFile) else o for o in outcomes]
    answers: list[Outcome] = []
    for outcome in outcomes:
        if isinstance(outcome, UnindexedFile):
            result = next(indexed)
            _log_and_clean(outcome, result, source)
            answers.append(result)
        else:
            answers.append(outcome)
    return answers


def _file_store_or_refusal(
    file: IncomingFile, expected_study_uid: str | None, source: str
) -> UnindexedFile | InstanceRefused:
    try:
        return instance_store_file(
            fp=file.fp,
            expected_study_uid=expected_study_uid,
            movable_path=file.movable_path,
            sha256=file.sha256,
        )
    except InstanceRefused as refusal:
        return refusal
    except Exception as exc:  # noqa: BLE001 - a defect met by one file must not cost the others
        # Type and place only: the message of an error raised while reading a data set may
        # quote its values, and patient data never goes into logs.
        where = traceback.extract_tb(exc.__traceback__)[-1]
        logger.error(
            "instance_processing_failed source=%s error=%s at=%s:%s",
            source,
            type(exc).__name__,
            where.filename,
            where.lineno,
        )
        return InstanceRefused(
            "The archive could not process this instance; it was not stored",
            failure_code=PROCESSING_FAILURE,
        )


def _index_retrying(index: Callable[[T], R], files: T) -> R:
    """Index, and once more on a fresh connection when the database dropped the one in use
    (PostgreSQL restarted or failed over between the pool's check and the query)."""
    try:
        return index(files)
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise  # the caller's transaction is lost with the connection: it must decide
        logger.warning("index_retried reason=database_connection_lost")
        connection.close()
        return index(files)


def _index_failure(file: UnindexedFile) -> InstanceRefused:
    return InstanceRefused(
        "The archive failed to index this instance; it was not stored, send it again",
        failure_code=PROCESSING_FAILURE,
        sop_class_uid=file.parsed.sop_class_uid,
        sop_instance_uid=file.parsed.sop_instance_uid,
    )


def instance_store_file(
    *,
    fp: BinaryIO,
    expected_study_uid: str | None = None,
    movable_path: str | None = None,
    sha256: str | None = None,
) -> UnindexedFile:
    """Parse, validate and write the file to storage; the caller must index it or delete it.

    No look-up before storing: re-sends are rare, and the unique SOP Instance UID makes the
    insert of a duplicate fail, which returns the stored instance and removes the new copy.
    """
    size = file_size_of(fp)
    parsed = parse_instance(fp, file_size=size)
    if expected_study_uid and parsed.study_instance_uid != expected_study_uid:
        raise InstanceRefused(
            f"Study Instance UID {parsed.study_instance_uid} does not match the study in the URL",
            failure_code=DATASET_DOES_NOT_MATCH,
            sop_class_uid=parsed.sop_class_uid,
            sop_instance_uid=parsed.sop_instance_uid,
        )
    sha256 = sha256 or _sha256(fp)
    return UnindexedFile(parsed, _store_file(fp, parsed, movable_path), size, sha256)


def _log_and_clean(file: UnindexedFile, outcome: Outcome, source: str) -> None:
    """Remove the new copy when it was not indexed (a duplicate or a refusal), and log."""
    if isinstance(outcome, InstanceRefused):
        default_storage.delete(file.name)
        logger.info("instance_refused source=%s code=%#06x", source, outcome.failure_code)
        return
    if not outcome.created and not _row_names_file(outcome.instance_id, file.name):
        default_storage.delete(file.name)
    logger.info(
        "instance_stored source=%s instance_id=%s created=%s",
        source,
        outcome.instance_id,
        outcome.created,
    )


def _row_names_file(instance_id: int, name: str) -> bool:
    """Whether the stored instance's row names this very file: a retried index whose first try
    did commit finds its own row, and must not remove the file that row points to."""
    return Instance.objects.filter(pk=instance_id, file=name).exists()


def _sha256(fp: BinaryIO) -> str:
    fp.seek(0)
    digest = hashlib.file_digest(fp, "sha256")  # type: ignore[arg-type]
    fp.seek(0)
    return digest.hexdigest()


def _store_file(fp: BinaryIO, parsed: ParsedInstance, movable_path: str | None) -> str:
    name = (
        f"dicom/{parsed.study_instance_uid}/{parsed.series_instance_uid}/"
        f"{parsed.sop_instance_uid}.dcm"
    )
    fp.seek(0)
    content: File = StoredFile(fp, movable_path) if movable_path else File(fp)  # type: ignore[type-arg]
    try:
        return default_storage.save(name, content)
    except OSError as exc:
        raise InstanceRefused(
            f"The archive could not store the file: {exc.strerror or exc}",
            failure_code=OUT_OF_RESOURCES,
            sop_class_uid=parsed.sop_class_uid,
            sop_instance_uid=parsed.sop_instance_uid,
        ) from exc
