"""HTTP API of the worklist: list (server-side filter, sort, paging), a study's findings,
heatmaps, open and read."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import NotFound
from triage.models import ImageFinding, WorklistEntry
from triage.permissions import CanReadStudies, CanViewWorklist
from triage.priority import waiting_reasons
from triage.selectors import (
    SORT_NAMES,
    Ordering,
    WorklistFilters,
    study_findings,
    worklist_entry_get,
    worklist_list,
    worklist_ordering,
)
from triage.services.worklist import worklist_entry_open, worklist_entry_read

MAX_PAGE = 500


def entry_data(entry: WorklistEntry, ordering: Ordering) -> dict[str, Any]:
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
        "url": reverse("worklist-entry", args=[study.study_instance_uid]),
    }


def _label(positive: bool | None) -> str | None:
    """The model's answer in words (the chest radiograph model's two classes)."""
    return None if positive is None else ("pneumonia" if positive else "normal")


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
        offset = serializers.IntegerField(min_value=0, default=0)

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
                "count": entries.count(),
                "offset": p["offset"],
                "limit": p["limit"],
                "ordering": {"mode": ordering.mode, "message": ordering.message},
                "results": [entry_data(entry, ordering) for entry in page],
            }
        )


class WorklistEntryDetailApi(APIView):
    """One study's entry with its per-image findings and heatmap links."""

    permission_classes = [CanViewWorklist]

    def get(self, request: Request, study_uid: str) -> Response:
        entry = _entry_or_404(study_uid)
        data = entry_data(entry, worklist_ordering())
        scoring = entry.scoring
        data["findings"] = [_finding_data(finding) for finding in study_findings(scoring=scoring)]
        return Response(data)


def _finding_data(finding: ImageFinding) -> dict[str, Any]:
    instance, scoring = finding.instance, finding.scoring
    return {
        "series_instance_uid": instance.series.series_instance_uid,
        "sop_instance_uid": instance.sop_instance_uid,
        "frame_number": finding.frame_number,
        "applicable": finding.applicable,
        "reason": finding.reason,
        "probability": finding.urgency,
        "positive": finding.positive,
        "label": _label(finding.positive),
        "threshold": scoring.threshold,
        "model": scoring.model_version.label,
        "heatmap_url": reverse("finding-heatmap", args=[finding.pk]) if finding.heatmap else None,
    }


class FindingHeatmapApi(APIView):
    """A finding's heatmap: an 8-bit grayscale PNG at the model's input size (0 cold, 255 hot)."""

    permission_classes = [CanViewWorklist]

    def get(self, request: Request, finding_id: int) -> FileResponse:
        finding = ImageFinding.objects.filter(pk=finding_id).exclude(heatmap="").first()
        if finding is None:
            raise NotFound("No heatmap for this finding.")
        return FileResponse(
            default_storage.open(finding.heatmap.name, "rb"), content_type="image/png"
        )


class WorklistEntryOpenApi(APIView):
    """A reader opened the study: the first opening is recorded for turnaround."""

    permission_classes = [CanReadStudies]

    def post(self, request: Request, study_uid: str) -> Response:
        entry = worklist_entry_open(entry=_entry_or_404(study_uid))
        return Response({"first_opened_at": entry.first_opened_at})


class WorklistEntryReadApi(APIView):
    """The reader finished the study: it leaves the waiting list."""

    permission_classes = [CanReadStudies]

    def post(self, request: Request, study_uid: str) -> Response:
        entry = worklist_entry_read(entry=_entry_or_404(study_uid))
        return Response({"status": entry.status, "read_at": entry.read_at})


def _entry_or_404(study_uid: str) -> WorklistEntry:
    entry = worklist_entry_get(study_instance_uid=study_uid)
    if entry is None:
        raise NotFound("This study is not on the worklist.")
    return entry
