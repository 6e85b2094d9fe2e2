"""HTTP API of the worklist: list (server-side filter, sort, paging), a study's findings and
heatmaps, claims, the next study, reads with their label, measurements, turnaround."""

from __future__ import annotations

import functools
from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.models import Measurement
from annotations.services.labels import read_label_get
from annotations.services.measurements import (
    measurement_delete,
    measurement_list,
    measurement_save,
)
from config.errors import DomainError, NotFound
from ml.core.preprocessing import centre_square
from triage.models import ImageFinding, StudyRead, WorklistEntry
from triage.permissions import CanReadStudies, CanViewWorklist
from triage.priority import waiting_reasons
from triage.selectors import (
    SORT_NAMES,
    Ordering,
    WorklistFilters,
    study_findings,
    worklist_count,
    worklist_entry_get,
    worklist_list,
    worklist_ordering,
)
from triage.serializers import (
    ClaimResultSerializer,
    MeasurementListSerializer,
    MeasurementSerializer,
    ReadResultSerializer,
    TurnaroundSerializer,
    WorklistEntryDetailSerializer,
    WorklistPageSerializer,
    WorklistRowSerializer,
)
from triage.services.claims import (
    claim_data,
    worklist_entry_claim,
    worklist_entry_claim_next,
    worklist_entry_release,
)
from triage.services.reads import worklist_entry_read
from triage.services.worklist import TRIAGE_SPEC
from triage.turnaround import turnaround_summary

MAX_PAGE = 500
MAX_OFFSET = 2**31 - 1  # far past any worklist; beyond it PostgreSQL's bigint OFFSET overflows


def entry_data(entry: WorklistEntry, ordering: Ordering, user: Any = None) -> dict[str, Any]:
    """One worklist row as the browser shows it: who, what, when, the AI and the reasons."""
    study, patient, scoring = entry.study, entry.study.patient, entry.scoring
    use_ai = ordering.mode == "ai"
    due_at = entry.due_at if use_ai else entry.fifo_due_at
    reasons = list(entry.reasons if use_ai else [*entry.fifo_reasons, ordering.message])
    now = timezone.now()
    if entry.status == WorklistEntry.Status.WAITING:
        reasons += waiting_reasons(placement_due_at=due_at, arrived_at=entry.received_at, now=now)
    end = entry.read_at or now
    version = scoring.model_version if scoring else None
    return {
        "study_instance_uid": study.study_instance_uid,
        "patient_name": patient.patient_name,
        "patient_id": patient.patient_id,
        "accession_number": study.accession_number,
        "study_description": study.study_description,
        "study_date": study.study_date,
        "modality": entry.modality,
        "num_instances": study.num_instances,
        "status": entry.status,
        "clinical_priority": entry.clinical_priority,
        "clinical_reason": entry.clinical_reason,
        "received_at": entry.received_at,
        "stable_at": entry.stable_at,
        "scored_at": entry.scored_at,
        "first_opened_at": entry.first_opened_at,
        "read_at": entry.read_at,
        "waiting_seconds": round((end - entry.received_at).total_seconds(), 1),
        "due_at": due_at,
        "overdue": entry.status == WorklistEntry.Status.WAITING and now > due_at,
        "ai": {
            "status": entry.ai_status,
            "note": entry.ai_note,
            "probability": scoring.urgency if scoring else None,
            "positive": scoring.positive if scoring else None,
            "label": _label(scoring.positive if scoring else None),
            "threshold": scoring.threshold if scoring else None,
            "model": version.label if version else None,
        },
        "reasons": reasons,
        "claim": claim_data(entry, user=user),
        "read_by": _reader_name(entry),
        "url": f"{_entry_url_prefix()}{study.study_instance_uid}",
    }


@functools.cache
def _entry_url_prefix() -> str:
    # One reverse() per process instead of one per row.
    return reverse("worklist-entry", args=["0"]).removesuffix("0")


def _read_of(entry: WorklistEntry) -> StudyRead | None:
    """The entry's read, if any (the selectors load it with the entry)."""
    try:
        return entry.read
    except StudyRead.DoesNotExist:
        return None


def _reader_name(entry: WorklistEntry) -> str | None:
    read = _read_of(entry)
    return read.reader.get_username() if read else None


def _label(positive: bool | None) -> str | None:
    """The model's answer as the class key of the task the worklist ranks by."""
    return None if positive is None else TRIAGE_SPEC.class_for(positive=positive).key


class WorklistListApi(APIView):
    """The worklist, sorted and filtered on the server; `ordering` says whether AI ranks it."""

    permission_classes = [CanViewWorklist]

    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(
            choices=[*WorklistEntry.Status.values, "all"], default=WorklistEntry.Status.WAITING
        )
        modality = serializers.CharField(required=False, max_length=16)
        ai = serializers.ChoiceField(choices=WorklistEntry.AiStatus.values, required=False)
        priority = serializers.ChoiceField(
            choices=["STAT", "ASAP", "ROUTINE", "stat", "asap", "routine"], required=False
        )
        q = serializers.CharField(required=False, max_length=64, trim_whitespace=True)
        received_from = serializers.DateField(required=False)
        received_to = serializers.DateField(required=False)
        sort = serializers.ChoiceField(choices=SORT_NAMES, default="priority")
        limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=50)
        offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, default=0)

    @extend_schema(
        operation_id="worklist_list", parameters=[InputSerializer], responses=WorklistPageSerializer
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        filters = WorklistFilters(
            status=None if p["status"] == "all" else p["status"],
            modality=p.get("modality"),
            ai_status=p.get("ai"),
            clinical_priority=p.get("priority"),
            search=p.get("q"),
            received_from=p.get("received_from"),
            received_to=p.get("received_to"),
        )
        ordering = worklist_ordering()
        entries = worklist_list(filters=filters, sort=p["sort"], ordering=ordering)
        page = entries[p["offset"] : p["offset"] + p["limit"]]
        return Response(
            {
                "now": timezone.now(),  # the server's clock, for waiting times shown live
                "count": worklist_count(filters=filters),
                "offset": p["offset"],
                "limit": p["limit"],
                "ordering": {"mode": ordering.mode, "message": ordering.message},
                "results": [entry_data(entry, ordering, request.user) for entry in page],
            }
        )


class WorklistEntryDetailApi(APIView):
    """One study's entry with its per-image findings and heatmap links."""

    permission_classes = [CanViewWorklist]

    @extend_schema(operation_id="worklist_entry_retrieve", responses=WorklistEntryDetailSerializer)
    def get(self, request: Request, study_uid: str) -> Response:
        entry = _entry_or_404(study_uid)
        data = entry_data(entry, worklist_ordering(), request.user)
        scoring = entry.scoring
        data["findings"] = [_finding_data(finding) for finding in study_findings(scoring=scoring)]
        read = _read_of(entry)
        data["read"] = _read_data(read) if read else None
        return Response(data)


def _finding_data(finding: ImageFinding) -> dict[str, Any]:
    instance, scoring = finding.instance, finding.scoring
    region = None
    if finding.heatmap and instance.rows and instance.columns:
        top, left, side = centre_square(instance.rows, instance.columns)
        region = {"top": top, "left": left, "side": side}
    return {
        "finding_id": finding.pk,
        "series_instance_uid": instance.series.series_instance_uid,
        "sop_instance_uid": instance.sop_instance_uid,
        "frame_number": finding.frame_number,
        "rows": instance.rows,
        "columns": instance.columns,
        "applicable": finding.applicable,
        "reason": finding.reason,
        "probability": finding.urgency,
        "positive": finding.positive,
        "label": _label(finding.positive),
        "threshold": scoring.threshold,
        "model": scoring.model_version.label,
        "heatmap_url": reverse("finding-heatmap", args=[finding.pk]) if finding.heatmap else None,
        "heatmap_region": region,
    }


class FindingHeatmapApi(APIView):
    """A finding's heatmap: an 8-bit grayscale PNG at the model's input size (0 cold, 255 hot)."""

    permission_classes = [CanViewWorklist]

    @extend_schema(
        responses={
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="the heatmap")
        }
    )
    def get(self, request: Request, finding_id: int) -> FileResponse:
        finding = ImageFinding.objects.filter(pk=finding_id).exclude(heatmap="").first()
        if finding is None:
            raise NotFound("No heatmap for this finding.")
        return FileResponse(
            default_storage.open(finding.heatmap.name, "rb"), content_type="image/png"
        )


class WorklistEntryClaimApi(APIView):
    """Open a study to read it: claim it, or renew one's claim (the viewer's heartbeat)."""

    permission_classes = [CanReadStudies]

    @extend_schema(request=None, responses=ClaimResultSerializer)
    def post(self, request: Request, study_uid: str) -> Response:
        entry = worklist_entry_claim(entry=_entry_or_404(study_uid), user=request.user)
        return Response({"claim": claim_data(entry, user=request.user)})


class WorklistEntryReleaseApi(APIView):
    """Leave a study unread: give one's claim back (nothing happens for anyone else's)."""

    permission_classes = [CanReadStudies]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, study_uid: str) -> Response:
        worklist_entry_release(entry=_entry_or_404(study_uid), user=request.user)
        return Response(status=204)


class WorklistNextApi(APIView):
    """Claim and return the most urgent waiting study no one else is reading."""

    permission_classes = [CanReadStudies]

    class InputSerializer(serializers.Serializer):
        exclude = serializers.ListField(
            child=serializers.CharField(max_length=64), required=False, max_length=100
        )

    @extend_schema(request=InputSerializer, responses=WorklistRowSerializer)
    def post(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ordering = worklist_ordering()
        entry = worklist_entry_claim_next(
            user=request.user, exclude=body.validated_data.get("exclude", []), ordering=ordering
        )
        if entry is None:
            raise NotFound("No unclaimed study is waiting.")
        entry = worklist_entry_get(study_instance_uid=entry.study.study_instance_uid)
        return Response(entry_data(entry, ordering, request.user))


class WorklistEntryReadApi(APIView):
    """The reader finished the study, saying whether the AI was right: a read and a label."""

    permission_classes = [CanReadStudies]

    class InputSerializer(serializers.Serializer):
        verdict = serializers.ChoiceField(
            choices=StudyRead.Verdict.values, allow_null=True, default=None
        )

    @extend_schema(request=InputSerializer, responses=ReadResultSerializer)
    def post(self, request: Request, study_uid: str) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        verdict = body.validated_data["verdict"]
        read = worklist_entry_read(
            entry=_entry_or_404(study_uid),
            user=request.user,
            verdict=StudyRead.Verdict(verdict) if verdict else None,
        )
        return Response({"status": "read", "read_at": read.read_at, "read": _read_data(read)})


def _read_data(read: StudyRead) -> dict[str, Any]:
    version = read.model_version
    return {
        "reader": read.reader.get_username(),
        "opened_at": read.opened_at,
        "read_at": read.read_at,
        "duration_seconds": read.duration_seconds,
        "verdict": read.verdict or None,
        "ai_status": read.ai_status,
        "ai_probability": read.ai_probability,
        "model": version.label if version else None,
        "label": _read_label_data(read),
    }


def _read_label_data(read: StudyRead) -> dict[str, Any] | None:
    """The label the read gave, from annotations' label store (None: nothing to judge)."""
    label = read_label_get(study=read.entry.study, reader=read.reader, read_at=read.read_at)
    if label is None:
        return None
    return {"task": label.task, "value": label.value, "source": label.source}


class StudyMeasurementsApi(APIView):
    """The current reader's measurements on a study."""

    permission_classes = [CanReadStudies]

    @extend_schema(responses=MeasurementListSerializer)
    def get(self, request: Request, study_uid: str) -> Response:
        study = _entry_or_404(study_uid).study
        measurements = measurement_list(study=study, user=request.user)
        return Response({"results": [_measurement_data(m) for m in measurements]})


class StudyMeasurementApi(APIView):
    """Save (create or replace) or delete one of the current reader's measurements."""

    permission_classes = [CanReadStudies]

    class InputSerializer(serializers.Serializer):
        tool = serializers.ChoiceField(choices=Measurement.Tool.values)
        series_instance_uid = serializers.CharField(max_length=64)
        sop_instance_uid = serializers.CharField(max_length=64)
        frame_number = serializers.IntegerField(min_value=1, default=1)
        data = serializers.DictField()
        summary = serializers.CharField(max_length=200, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses=MeasurementSerializer)
    def put(self, request: Request, study_uid: str, annotation_uid: str) -> Response:
        _annotation_uid_check(annotation_uid)
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        measurement = measurement_save(
            user=request.user,
            study=_entry_or_404(study_uid).study,
            annotation_uid=annotation_uid,
            **body.validated_data,
        )
        return Response(_measurement_data(measurement))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, study_uid: str, annotation_uid: str) -> Response:
        _annotation_uid_check(annotation_uid)
        measurement_delete(
            user=request.user, study=_entry_or_404(study_uid).study, annotation_uid=annotation_uid
        )
        return Response(status=204)


def _annotation_uid_check(annotation_uid: str) -> None:
    """The viewer's annotation UID must fit its column (64 characters)."""
    longest = Measurement._meta.get_field("annotation_uid").max_length or 64
    if len(annotation_uid) > longest:
        raise DomainError(
            f"An annotation UID is at most {longest} characters; this one has "
            f"{len(annotation_uid)}."
        )


def _measurement_data(measurement: Measurement) -> dict[str, Any]:
    instance = measurement.instance
    return {
        "annotation_uid": measurement.annotation_uid,
        "tool": measurement.tool,
        "series_instance_uid": instance.series.series_instance_uid,
        "sop_instance_uid": instance.sop_instance_uid,
        "frame_number": measurement.frame_number,
        "data": measurement.data,
        "summary": measurement.summary,
        "created_at": measurement.created_at,
        "updated_at": measurement.updated_at,
    }


class TurnaroundApi(APIView):
    """Wait, read and turnaround times of studies read lately, by priority and by AI result."""

    permission_classes = [CanViewWorklist]

    class InputSerializer(serializers.Serializer):
        days = serializers.IntegerField(min_value=1, max_value=366, default=30)

    @extend_schema(parameters=[InputSerializer], responses=TurnaroundSerializer)
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(turnaround_summary(days=params.validated_data["days"]))


def _entry_or_404(study_uid: str) -> WorklistEntry:
    entry = worklist_entry_get(study_instance_uid=study_uid)
    if entry is None:
        raise NotFound("This study is not on the worklist.")
    return entry
