"""The participant objects of an audited request, from its URL keywords and query string."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from audit.catalog import Audited
from audit.services import AuditObjectSpec, case, label, query, study_objects


def objects_for(
    audited: Audited, kwargs: dict[str, Any], request: HttpRequest
) -> list[AuditObjectSpec]:
    """Patients, studies, cases, queries and other objects the request names."""
    objects: list[AuditObjectSpec] = []
    if audited.study and kwargs.get(audited.study):
        objects += study_objects(str(kwargs[audited.study]))
    if audited.case and kwargs.get(audited.case):
        objects += case_objects(str(kwargs[audited.case]))
    if audited.finding and kwargs.get(audited.finding) is not None:
        objects += finding_objects(kwargs[audited.finding])
    if audited.label and kwargs.get(audited.label) is not None:
        objects += label_objects(kwargs[audited.label])
    for kind, keyword in audited.objects.items():
        if kwargs.get(keyword) is not None:
            objects.append(AuditObjectSpec(kind, str(kwargs[keyword])))
    if audited.query:
        objects.append(query(request.META.get("QUERY_STRING", "") or "*"))
        objects += _queried(request)
    return objects


def _queried(request: HttpRequest) -> list[AuditObjectSpec]:
    """The study and patient a query names, if it names one (A.5.3.12 records the query, not
    its matches: a query can match thousands)."""
    params = request.GET
    uid = params.get("StudyInstanceUID") or params.get("0020000D")
    if uid and "*" not in uid and "\\" not in uid:
        return study_objects(uid)
    patient_id = params.get("PatientID") or params.get("00100020")
    if patient_id and "*" not in patient_id and "?" not in patient_id:
        return [AuditObjectSpec("patient", patient_id)]
    return []


def case_objects(pseudonym: str) -> list[AuditObjectSpec]:
    """The case under its pseudonym, and the real study and patient behind it (so a search by
    patient finds an annotator's view of the de-identified copy)."""
    from annotations.models import AnnotationCase

    uid = (
        AnnotationCase.objects.filter(pseudonym=pseudonym)
        .values_list("study__study_instance_uid", flat=True)
        .first()
    )
    objects = [case(pseudonym)]
    if uid:
        objects += study_objects(uid, via_case=pseudonym)
    return objects


def finding_objects(finding_id: Any) -> list[AuditObjectSpec]:
    from triage.models import ImageFinding

    uid = (
        ImageFinding.objects.filter(pk=finding_id)
        .values_list("instance__series__study__study_instance_uid", flat=True)
        .first()
    )
    return study_objects(uid) if uid else []


def label_objects(label_id: Any) -> list[AuditObjectSpec]:
    from annotations.models import Label

    row = (
        Label.objects.filter(pk=label_id)
        .values_list("study__study_instance_uid", "case__pseudonym")
        .first()
    )
    objects = [label(label_id)]
    if row is None:
        return objects
    uid, pseudonym = row
    if pseudonym:
        objects += case_objects(pseudonym)
    elif uid:
        objects += study_objects(uid)
    return objects
