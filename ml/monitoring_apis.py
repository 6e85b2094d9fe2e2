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


class ModelMonitoringApi(APIView):
    """GET /api/models/monitoring?task=&days=: the active version and every version that
    scored or was read in the last `days` days (30 by default), newest first."""

    permission_classes = [CanManageModels]

    class InputSerializer(serializers.Serializer):
        task = serializers.ChoiceField(choices=list(TASKS))
        days = serializers.IntegerField(min_value=1, max_value=366, default=DEFAULT_DAYS)

    @extend_schema(parameters=[InputSerializer], responses=dict)
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(model_monitoring(**params.validated_data))
