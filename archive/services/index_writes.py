"""Index stored files: Patient/Study/Series rows found or created top-down, Instance rows
inserted, counters and the stability claim updated — for one file or a whole STOW-RS request.

A batch costs per series one locking SELECT, one bulk INSERT and two UPDATEs, where one file at a
time costs that per instance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from archive.dicom.failures import DATASET_DOES_NOT_MATCH, InstanceRefused
from archive.dicom.parse import ParsedInstance
from archive.models import Instance, Patient, Series, Study
from archive.services.stability import study_schedule_stability_check


@dataclass(frozen=True)
class IngestResult:
    sop_class_uid: str
    sop_instance_uid: str
    study_instance_uid: str
    series_instance_uid: str
    instance_id: int
    created: bool  # False when the instance was already stored (idempotent re-send)


@dataclass(frozen=True)
class UnindexedFile:
    """A validated instance whose file is in storage but not yet in the index (so invisible)."""

    parsed: ParsedInstance
    name: str
    size: int
    sha256: str


Outcome = IngestResult | InstanceRefused


def files_index(files: list[UnindexedFile]) -> list[Outcome]:
    """Index the files in one transaction; outcome i answers files[i].

    Already stored SOP Instance UIDs (and repeats within the batch) come back with
    created=False. If a concurrent sender inserts one of them first, the batch is redone one
    file at a time. The caller removes the files of instances that were not created.
    """
    if len(files) == 1:
        return [file_index(files[0])]
    try:
        return _index_batch(files)
    except IntegrityError:
        return [file_index(file) for file in files]


def file_index(file: UnindexedFile) -> Outcome:
    """Index one stored file; a duplicate SOP Instance UID returns the stored instance."""
    try:
        return _index_batch([file], look_up_known=False)[0]
    except IntegrityError:
        # Another sender stored the same SOP Instance UID between our parse and our insert.
        existing = existing_result(file.parsed)
        if existing is None:
            raise
        return existing


def existing_result(parsed: ParsedInstance) -> Outcome | None:
    """The stored instance of this SOP Instance UID, as a repeat of it; a refusal when it is
    stored in another study or series (one UID names one instance); None when not stored."""
    known = _known_ids([parsed.sop_instance_uid])
    if parsed.sop_instance_uid not in known:
        return None
    return _repeat_or_refusal(parsed, known[parsed.sop_instance_uid])


def _repeat_or_refusal(parsed: ParsedInstance, known: KnownInstance) -> Outcome:
    if (known.study_uid, known.series_uid) != (
        parsed.study_instance_uid,
        parsed.series_instance_uid,
    ):
        same_study = known.study_uid == parsed.study_instance_uid
        where = "another series" if same_study else "another study"
        return _refusal_for(
            parsed,
            f"SOP Instance UID {parsed.sop_instance_uid} is already stored in {where}; "
            "an instance keeps its SOP Instance UID only in the study and series it was made in",
        )
    return _result(parsed, known.instance_id, created=False)


def _result(parsed: ParsedInstance, instance_id: int, *, created: bool) -> IngestResult:
    return IngestResult(
        sop_class_uid=parsed.sop_class_uid,
        sop_instance_uid=parsed.sop_instance_uid,
        study_instance_uid=parsed.study_instance_uid,
        series_instance_uid=parsed.series_instance_uid,
        instance_id=instance_id,
        created=created,
    )


def _index_batch(files: list[UnindexedFile], *, look_up_known: bool = True) -> list[Outcome]:
    now = timezone.now()
    outcomes: dict[int, Outcome] = {}
    with transaction.atomic():
        known = (
            _known_ids([file.parsed.sop_instance_uid for file in files]) if look_up_known else {}
        )
        first_of: dict[str, int] = {}
        by_series: dict[str, list[int]] = {}
        for i, file in enumerate(files):
            sop = file.parsed.sop_instance_uid
            if sop in known:
                outcomes[i] = _repeat_or_refusal(file.parsed, known[sop])
            elif sop not in first_of:
                first_of[sop] = i
                by_series.setdefault(file.parsed.series_instance_uid, []).append(i)
        for indexes in by_series.values():
            outcomes.update(_index_series([(i, files[i]) for i in indexes], now))
    for i, file in enumerate(files):
        if i not in outcomes:  # a repeat of an instance earlier in this batch
            first = outcomes[first_of[file.parsed.sop_instance_uid]]
            outcomes[i] = (
                _repeat_or_refusal(
                    file.parsed,
                    KnownInstance(
                        first.instance_id, first.study_instance_uid, first.series_instance_uid
                    ),
                )
                if isinstance(first, IngestResult)
                else first
            )
    return [outcomes[i] for i in range(len(files))]


@dataclass(frozen=True)
class KnownInstance:
    instance_id: int
    study_uid: str
    series_uid: str


def _known_ids(uids: list[str]) -> dict[str, KnownInstance]:
    rows = Instance.objects.filter(sop_instance_uid__in=uids).values_list(
        "sop_instance_uid", "id", "series__study__study_instance_uid", "series__series_instance_uid"
    )
    return {sop: KnownInstance(pk, study, series) for sop, pk, study, series in rows}


def _index_series(items: list[tuple[int, UnindexedFile]], now: dt.datetime) -> dict[int, Outcome]:
    """Insert the instances of one series; refusals for those that name another study."""
    try:
        series, series_created = _series_resolve(items[0][1].parsed, now)
    except InstanceRefused as refusal:
        return {i: _refusal_for(file.parsed, refusal.reason) for i, file in items}
    study = series.study
    outcomes: dict[int, Outcome] = {}
    accepted = []
    for i, file in items:
        if file.parsed.study_instance_uid != study.study_instance_uid:
            outcomes[i] = _refusal_for(file.parsed, "Series Instance UID belongs to another study")
        else:
            accepted.append((i, file))
    if not accepted:
        return outcomes
    rows = Instance.objects.bulk_create([_instance_row(file, series) for _, file in accepted])
    for (i, file), row in zip(accepted, rows, strict=True):
        outcomes[i] = _result(file.parsed, row.pk, created=True)
    Series.objects.filter(pk=series.pk).update(num_instances=F("num_instances") + len(rows))
    Study.objects.filter(pk=study.pk).update(
        num_instances=F("num_instances") + len(rows),
        num_series=F("num_series") + int(series_created),
        last_instance_at=now,
        status=Study.Status.RECEIVING,
        stability_check_pending=True,
    )
    if series_created:
        _modalities_refresh(study)
    if not study.stability_check_pending:
        # The study row is locked, so exactly one transaction of a burst queues the check.
        transaction.on_commit(lambda: study_schedule_stability_check(study_id=study.pk))
    return outcomes


def _refusal_for(parsed: ParsedInstance, reason: str) -> InstanceRefused:
    return InstanceRefused(
        reason,
        failure_code=DATASET_DOES_NOT_MATCH,
        sop_class_uid=parsed.sop_class_uid,
        sop_instance_uid=parsed.sop_instance_uid,
    )


def _instance_row(file: UnindexedFile, series: Series) -> Instance:
    parsed = file.parsed
    return Instance(
        sop_instance_uid=parsed.sop_instance_uid,
        series=series,
        sop_class_uid=parsed.sop_class_uid,
        transfer_syntax_uid=parsed.transfer_syntax_uid,
        file=file.name,
        file_size=file.size,
        sha256=file.sha256,
        metadata_json=parsed.metadata_json,
        frame_index=parsed.frame_index,
        **parsed.instance,
    )


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
        raise _refusal_for(parsed, "Series Instance UID already belongs to another study")
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
