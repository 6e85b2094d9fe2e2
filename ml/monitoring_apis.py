"""HTTP API of model monitoring for admins: per version in use, readers' verdicts on its answers,
score drift against the test set, and the share of studies it could not judge."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ml.apis import CanManageModels
from ml.core.tasks import TASKS
from ml.monitoring import DEFAULT_DAYS, model_monitoring


class VerdictCountsSerializer(serializers.Serializer):
    confirmed = serializers.IntegerField(help_text="reads whose verdict was 'AI right'")
    refuted = serializers.IntegerField(help_text="reads whose verdict was 'AI wrong'")


class ReadsByAiResultSerializer(serializers.Serializer):
    ai_positive = VerdictCountsSerializer(help_text="reads of studies the version flagged")
    ai_negative = VerdictCountsSerializer(help_text="reads of studies it did not flag")


class MonitoredScoresSerializer(serializers.Serializer):
    bins = serializers.ListField(child=serializers.FloatField(), help_text="bin edges on [0, 1]")
    reference_histogram = serializers.ListField(
        child=serializers.FloatField(),
        allow_null=True,
        help_text="shares per bin on the fixed test set; null before an evaluation",
    )
    incoming_histogram = serializers.ListField(
        child=serializers.FloatField(),
        allow_null=True,
        help_text="shares per bin of the calibrated scores of studies scored in the period",
    )
    psi = serializers.FloatField(allow_null=True, help_text="population stability index")
    ks = serializers.FloatField(allow_null=True, help_text="Kolmogorov-Smirnov statistic")
    n_reference = serializers.IntegerField()
    n_incoming = serializers.IntegerField()
    note = serializers.CharField(allow_null=True, help_text="why a histogram is missing")


class NotJudgedSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="scorings with no image the model could judge")
    total = serializers.IntegerField(help_text="scorings finished with or without a result")
    share = serializers.FloatField(allow_null=True)
    failed = serializers.IntegerField(help_text="scorings that failed (not in total)")


class MonitoredVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    is_active = serializers.BooleanField()
    reads = ReadsByAiResultSerializer()
    scores = MonitoredScoresSerializer()
    not_judged = NotJudgedSerializer()


class ModelMonitoringSerializer(serializers.Serializer):
    task = serializers.CharField()
    days = serializers.IntegerField()
    versions = MonitoredVersionSerializer(many=True)


class ModelMonitoringApi(APIView):
    """GET /api/models/monitoring?task=&days=: the active version and every version that
    scored or was read in the last `days` days (30 by default), newest first."""

    permission_classes = [CanManageModels]

    class InputSerializer(serializers.Serializer):
        task = serializers.ChoiceField(choices=list(TASKS))
        days = serializers.IntegerField(min_value=1, max_value=366, default=DEFAULT_DAYS)

    @extend_schema(parameters=[InputSerializer], responses=ModelMonitoringSerializer)
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(model_monitoring(**params.validated_data))
