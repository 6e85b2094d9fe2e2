"""The worklist API's response shapes as serializers, so the OpenAPI schema describes them.

The APIs build these dicts by hand on the hot path (a page of 500 rows would cost a serializer
per field per row); tests/triage/test_api_schema.py holds each response to the serializer
that documents it, key for key, so the two cannot drift apart.
"""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from annotations.models import Measurement
from triage.models import StudyRead, WorklistEntry


class AiResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=WorklistEntry.AiStatus.choices)
    note = serializers.CharField(allow_blank=True)
    probability = serializers.FloatField(allow_null=True)
    positive = serializers.BooleanField(allow_null=True)
    label = serializers.CharField(allow_null=True)
    threshold = serializers.FloatField(allow_null=True)
    model = serializers.CharField(allow_null=True, help_text="model name and version")


class ClaimSerializer(serializers.Serializer):
    by = serializers.CharField(allow_null=True, help_text="user name of the reader")
    mine = serializers.BooleanField()
    claimed_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class WorklistRowSerializer(serializers.Serializer):
    study_instance_uid = serializers.CharField()
    patient_name = serializers.CharField(allow_blank=True)
    patient_id = serializers.CharField(allow_blank=True)
    accession_number = serializers.CharField(allow_blank=True)
    study_description = serializers.CharField(allow_blank=True)
    study_date = serializers.DateField(allow_null=True)
    modality = serializers.CharField(allow_blank=True)
    num_instances = serializers.IntegerField()
    status = serializers.ChoiceField(choices=WorklistEntry.Status.choices)
    clinical_priority = serializers.CharField()
    clinical_reason = serializers.CharField()
    received_at = serializers.DateTimeField()
    stable_at = serializers.DateTimeField()
    scored_at = serializers.DateTimeField(allow_null=True)
    first_opened_at = serializers.DateTimeField(allow_null=True)
    read_at = serializers.DateTimeField(allow_null=True)
    waiting_seconds = serializers.FloatField()
    due_at = serializers.DateTimeField()
    overdue = serializers.BooleanField()
    ai = AiResultSerializer()
    reasons = serializers.ListField(child=serializers.CharField())
    claim = ClaimSerializer(allow_null=True)
    read_by = serializers.CharField(allow_null=True)
    url = serializers.CharField(help_text="this entry's API URL")


class OrderingSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=["ai", "fifo"])
    message = serializers.CharField(allow_blank=True)


class WorklistPageSerializer(serializers.Serializer):
    now = serializers.DateTimeField(help_text="the server's clock, for waiting times shown live")
    count = serializers.IntegerField()
    offset = serializers.IntegerField()
    limit = serializers.IntegerField()
    ordering = OrderingSerializer()
    results = WorklistRowSerializer(many=True)


class RegionSerializer(serializers.Serializer):
    top = serializers.IntegerField()
    left = serializers.IntegerField()
    side = serializers.IntegerField()


class FindingSerializer(serializers.Serializer):
    finding_id = serializers.IntegerField()
    series_instance_uid = serializers.CharField()
    sop_instance_uid = serializers.CharField()
    frame_number = serializers.IntegerField()
    rows = serializers.IntegerField(allow_null=True)
    columns = serializers.IntegerField(allow_null=True)
    applicable = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    probability = serializers.FloatField(allow_null=True)
    positive = serializers.BooleanField(allow_null=True)
    label = serializers.CharField(allow_null=True)
    threshold = serializers.FloatField(allow_null=True)
    model = serializers.CharField()
    heatmap_url = serializers.CharField(allow_null=True)
    heatmap_region = RegionSerializer(allow_null=True)


class ReadLabelSerializer(serializers.Serializer):
    task = serializers.CharField()
    value = serializers.CharField()
    source = serializers.CharField()


class ReadSerializer(serializers.Serializer):
    reader = serializers.CharField()
    opened_at = serializers.DateTimeField(allow_null=True)
    read_at = serializers.DateTimeField()
    duration_seconds = serializers.FloatField(allow_null=True)
    verdict = serializers.ChoiceField(choices=StudyRead.Verdict.choices, allow_null=True)
    ai_status = serializers.CharField()
    ai_probability = serializers.FloatField(allow_null=True)
    model = serializers.CharField(allow_null=True)
    label = ReadLabelSerializer(allow_null=True)


class WorklistEntryDetailSerializer(WorklistRowSerializer):
    findings = FindingSerializer(many=True)
    read = ReadSerializer(allow_null=True)


class ClaimResultSerializer(serializers.Serializer):
    claim = ClaimSerializer(allow_null=True)


class ReadResultSerializer(serializers.Serializer):
    status = serializers.CharField(help_text='always "read"')
    read_at = serializers.DateTimeField()
    read = ReadSerializer()


class MeasurementSerializer(serializers.Serializer):
    annotation_uid = serializers.CharField()
    tool = serializers.ChoiceField(choices=Measurement.Tool.choices)
    series_instance_uid = serializers.CharField()
    sop_instance_uid = serializers.CharField()
    frame_number = serializers.IntegerField()
    data = serializers.DictField(help_text="the viewer's annotation data")
    summary = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class MeasurementListSerializer(serializers.Serializer):
    results = MeasurementSerializer(many=True)


class FiguresSerializer(serializers.Serializer):
    median = serializers.FloatField(allow_null=True, help_text="seconds")
    p90 = serializers.FloatField(allow_null=True, help_text="seconds")


class TurnaroundGroupSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    wait = FiguresSerializer(help_text="arrival to first opened")
    read = FiguresSerializer(help_text="first opened to read")
    turnaround = FiguresSerializer(help_text="arrival to read")


# "from" is a Python keyword, so this one is declared field by field.
TurnaroundSerializer = inline_serializer(
    name="Turnaround",
    fields={
        "from": serializers.DateTimeField(),
        "to": serializers.DateTimeField(),
        "studies_read": serializers.IntegerField(),
        "waiting_now": serializers.IntegerField(),
        "by_priority": TurnaroundGroupSerializer(many=True),
        "by_ai": TurnaroundGroupSerializer(many=True),
    },
)
