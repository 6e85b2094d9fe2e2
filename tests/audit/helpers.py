"""Audit test helpers: a stored study with a known patient, and the rows written since a point."""

from __future__ import annotations

from typing import Any

from archive.models import Instance, Study

PATIENT_ID = "AUDIT-PAT-0001"
PATIENT_NAME = "Auditson^Ada"


def stored_study() -> tuple[Study, Instance]:
    """A stable DX study on the worklist, of patient PATIENT_ID."""
    from tests.triage.studies import chest_images, dx_bytes, stable, store

    study = store(dx_bytes(chest_images()[0], PatientID=PATIENT_ID, PatientName=PATIENT_NAME))
    study = stable(study)
    instance = Instance.objects.select_related("series").get(series__study=study)
    return study, instance


def rows_after(last_id: int) -> list[Any]:
    from audit.models import AuditEvent

    return list(
        AuditEvent.objects.filter(id__gt=last_id).order_by("id").prefetch_related("participants")
    )


def last_id() -> int:
    from audit.models import AuditEvent

    row = AuditEvent.objects.order_by("-id").first()
    return row.pk if row else 0


def objects_of(row: Any, kind: str) -> list[tuple[str, str]]:
    return [(o.identifier, o.name) for o in row.participants.all() if o.kind == kind]
