"""Store one DICOM instance: the single service behind STOW-RS, C-STORE and folder import.

Order of work, so that a crash at any point leaves no half-written instance:
parse and validate -> write the file to storage -> index it in one transaction. A file without an
index row is invisible (and is removed if the transaction fails); an index row always has its file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from archive.dicom.failures import DATASET_DOES_NOT_MATCH, OUT_OF_RESOURCES, InstanceRefused
from archive.dicom.parse import ParsedInstance, file_size_of, parse_instance
from archive.models import Instance, Patient, Series, Study
from archive.services.stability import study_schedule_stability_check

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    sop_class_uid: str
    sop_instance_uid: str
    study_instance_uid: str
    series_instance_uid: str
    instance_id: int
    created: bool  # False when the instance was already stored (idempotent re-send)


class StoredFile(File):  # type: ignore[type-arg]
    """A received file on local disk; storage may move it into place instead of copying."""

    def __init__(self, fp: BinaryIO, path: str) -> None:
        super().__init__(fp, name=os.path.basename(path))
        self._path = path

    def temporary_file_path(self) -> str:
        return self._path


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
    size = file_size_of(fp)
    parsed = parse_instance(fp, file_size=size)
    if expected_study_uid and parsed.study_instance_uid != expected_study_uid:
        raise InstanceRefused(
            f"Study Instance UID {parsed.study_instance_uid} does not match the study in the URL",
            failure_code=DATASET_DOES_NOT_MATCH,
            sop_class_uid=parsed.sop_class_uid,
            sop_instance_uid=parsed.sop_instance_uid,
        )
    # No look-up before storing: re-sends are rare, and the unique SOP Instance UID makes the
    # insert of a duplicate fail, which returns the stored instance and removes the new copy.
    sha256 = _sha256(fp)
    name = _store_file(fp, parsed, movable_path)
    try:
        result = _index(parsed, name=name, size=size, sha256=sha256)
    except BaseException:
        default_storage.delete(name)
        raise
    if not result.created:
        default_storage.delete(name)
    logger.info(
        "instance_stored source=%s instance_id=%s created=%s",
        source,
        result.instance_id,
        result.created,
    )
    return result


def _existing(parsed: ParsedInstance) -> IngestResult | None:
    instance_id = (
        Instance.objects.filter(sop_instance_uid=parsed.sop_instance_uid)
        .values_list("id", flat=True)
        .first()
    )
    if instance_id is None:
        return None
    return _result(parsed, instance_id, created=False)


def _result(parsed: ParsedInstance, instance_id: int, *, created: bool) -> IngestResult:
    return IngestResult(
        sop_class_uid=parsed.sop_class_uid,
        sop_instance_uid=parsed.sop_instance_uid,
        study_instance_uid=parsed.study_instance_uid,
        series_instance_uid=parsed.series_instance_uid,
        instance_id=instance_id,
        created=created,
    )


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


def _index(parsed: ParsedInstance, *, name: str, size: int, sha256: str) -> IngestResult:
    """Index the stored file. The common case (an instance of a known series) costs one locking
    SELECT, one INSERT and two UPDATEs."""
    now = timezone.now()
    try:
        with transaction.atomic():
            series, series_created = _series_resolve(parsed, now)
            study = series.study
            instance = Instance.objects.create(
                sop_instance_uid=parsed.sop_instance_uid,
                series=series,
                sop_class_uid=parsed.sop_class_uid,
                transfer_syntax_uid=parsed.transfer_syntax_uid,
                file=name,
                file_size=size,
                sha256=sha256,
                metadata_json=parsed.metadata_json,
                frame_index=parsed.frame_index,
                **parsed.instance,
            )
            Series.objects.filter(pk=series.pk).update(num_instances=F("num_instances") + 1)
            Study.objects.filter(pk=study.pk).update(
                num_instances=F("num_instances") + 1,
                num_series=F("num_series") + int(series_created),
                last_instance_at=now,
                status=Study.Status.RECEIVING,
                stability_check_pending=True,
            )
            if series_created:
                _modalities_refresh(study)
            if not study.stability_check_pending:
                # The study row is locked, so exactly one instance of a burst queues the check.
                transaction.on_commit(lambda: study_schedule_stability_check(study_id=study.pk))
    except IntegrityError:
        # Another sender stored the same SOP Instance UID between our check and our insert.
        existing = _existing(parsed)
        if existing is None:
            raise
        return existing
    return _result(parsed, instance.pk, created=True)


def _get_or_create(
    model: Any, lookup: Mapping[str, object], defaults: Mapping[str, object]
) -> tuple[Any, bool]:
    """get_or_create that survives a concurrent insert of the same key."""
    try:
        with transaction.atomic():
            return model.objects.get_or_create(**lookup, defaults=defaults)
    except IntegrityError:
        return model.objects.get(**lookup), False


def _series_resolve(parsed: ParsedInstance, now: dt.datetime) -> tuple[Series, bool]:
    """The instance's series with its study row locked for this transaction; created as needed.

    Looks up top-down only on a miss: series, then study, then patient.
    """
    series = (
        Series.objects.select_related("study")
        .select_for_update(of=("study",))
        .filter(series_instance_uid=parsed.series_instance_uid)
        .first()
    )
    created = False
    if series is None:
        study = _study_resolve(parsed, now)
        series, created = _get_or_create(
            Series,
            {"series_instance_uid": parsed.series_instance_uid},
            {**parsed.series, "study": study},
        )
        series.study = Study.objects.select_for_update().get(pk=series.study_id)
    if series.study.study_instance_uid != parsed.study_instance_uid:
        raise InstanceRefused(
            "Series Instance UID already belongs to another study",
            failure_code=DATASET_DOES_NOT_MATCH,
            sop_class_uid=parsed.sop_class_uid,
            sop_instance_uid=parsed.sop_instance_uid,
        )
    return series, created


def _study_resolve(parsed: ParsedInstance, now: dt.datetime) -> Study:
    study = Study.objects.filter(study_instance_uid=parsed.study_instance_uid).first()
    if study is not None:
        return study
    patient = _patient_resolve(parsed)
    study, _ = _get_or_create(
        Study,
        {"study_instance_uid": parsed.study_instance_uid},
        {**parsed.study, "patient": patient, "last_instance_at": now},
    )
    return study  # type: ignore[no-any-return]


def _patient_resolve(parsed: ParsedInstance) -> Patient:
    attrs = parsed.patient
    lookup = {
        "patient_id": attrs["patient_id"],
        "issuer_of_patient_id": attrs["issuer_of_patient_id"],
    }
    defaults = {k: v for k, v in attrs.items() if k not in lookup}
    patient = Patient.objects.filter(**lookup).first()
    if patient is None:
        patient, _ = _get_or_create(Patient, lookup, defaults)
    elif attrs["patient_name"] and patient.patient_name != attrs["patient_name"]:
        # A new study with new demographics: the newest name wins, as a PACS would update it.
        Patient.objects.filter(pk=patient.pk).update(**defaults)
    return patient  # type: ignore[no-any-return]


def _modalities_refresh(study: Study) -> None:
    modalities = sorted(
        set(
            Series.objects.filter(study=study)
            .exclude(modality="")
            .values_list("modality", flat=True)
        )
    )
    Study.objects.filter(pk=study.pk).update(modalities_in_study="\\".join(modalities))
