"""HTTP API of the task registry: every model task's classes, display names and eligibility, for
the front end (which writes no class name of its own)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ml.core.tasks import TASKS


class TaskClassSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="what labels and predictions store")
    display_name = serializers.CharField(help_text="as written inside a sentence")
    positive = serializers.BooleanField(help_text="the finding the model's probability is about")


class TaskSerializer(serializers.Serializer):
    name = serializers.CharField()
    display_name = serializers.CharField()
    classes = TaskClassSerializer(many=True, help_text="in the order of the integer labels")
    finding = serializers.CharField(help_text='the phrase of the reasons ("AI flags ...")')
    modalities = serializers.ListField(child=serializers.CharField())
    eligibility = serializers.CharField(help_text="which images the task's model may judge")


class TaskListApi(APIView):
    """The registered tasks (ml.core.tasks), in registry order; any logged-in user."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="tasks_list", responses=TaskSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(TaskSerializer(TASKS.values(), many=True).data)
