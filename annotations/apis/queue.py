"""HTTP API of the annotation queue: next case, a case, skip (annotators); queue settings
(admins)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import user_has_perm
from annotations.models import QueueSettings
from annotations.selectors import case_slot_of
from annotations.serializers import CaseSerializer, case_data
from annotations.services.queue import (
    case_next,
    case_skip,
    queue_settings_get,
    queue_settings_update,
    task_default,
)
from config.errors import NotFound
from ml.core.active_learning.registry import STRATEGIES
from ml.core.tasks import TASKS


class CanAnnotate(BasePermission):
    """Taking and labelling cases: annotators."""

    message = "Your role may not annotate."

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_has_perm(request.user, "annotations.add_label")


class CanChangeQueueSettings(BasePermission):
    """Choosing a task's strategy, k, batch size and lock time: admins."""

    message = "Your role may not change the annotation queue."

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_has_perm(request.user, "annotations.change_queuesettings")


def _task_checked(task: str) -> str:
    if task not in TASKS:
        raise NotFound(f"No task called {task!r}; registered: {', '.join(TASKS)}.")
    return task


class AnnotateNextApi(APIView):
    """The caller's next case: the one they hold, else the queue's next (204 when none left)."""

    permission_classes = [CanAnnotate]

    class InputSerializer(serializers.Serializer):
        task = serializers.ChoiceField(choices=list(TASKS), required=False)

    @extend_schema(
        request=InputSerializer,
        responses={200: CaseSerializer, 204: OpenApiResponse(description="Nothing left")},
    )
    def post(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = body.validated_data.get("task") or task_default()
        slot = case_next(user=request.user, task=task)
        if slot is None:
            return Response(status=204)
        return Response(case_data(slot))


class AnnotateCaseDetailApi(APIView):
    """A case the caller holds or submitted (404 for any other, existing or not)."""

    permission_classes = [CanAnnotate]

    @extend_schema(responses=CaseSerializer)
    def get(self, request: Request, pseudonym: str) -> Response:
        return Response(case_data(case_slot_of(user=request.user, pseudonym=pseudonym)))


class AnnotateCaseSkipApi(APIView):
    """Pass on a case with a reason; the answer carries the next case (or null)."""

    permission_classes = [CanAnnotate]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=500, trim_whitespace=True)

    class OutputSerializer(serializers.Serializer):
        next = CaseSerializer(allow_null=True)

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request, pseudonym: str) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        slot = case_skip(
            user=request.user, pseudonym=pseudonym, reason=body.validated_data["reason"]
        )
        return Response({"next": case_data(slot) if slot is not None else None})


class QueueSettingsApi(APIView):
    """A task's queue settings (created with defaults on first read)."""

    permission_classes = [CanChangeQueueSettings]

    class InputSerializer(serializers.Serializer):
        strategy = serializers.ChoiceField(choices=list(STRATEGIES), required=False)
        labels_required = serializers.IntegerField(min_value=1, max_value=20, required=False)
        batch_size = serializers.IntegerField(min_value=1, max_value=1000, required=False)
        lock_seconds = serializers.IntegerField(min_value=10, max_value=86400, required=False)

    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = QueueSettings
            fields = ["task", "strategy", "labels_required", "batch_size", "lock_seconds"]

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, task: str) -> Response:
        row = queue_settings_get(task=_task_checked(task))
        return Response(self.OutputSerializer(row).data)

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def put(self, request: Request, task: str) -> Response:
        _task_checked(task)
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = queue_settings_update(task=task, actor=request.user, **body.validated_data)
        return Response(self.OutputSerializer(row).data)


class StrategyListApi(APIView):
    """The active-learning strategies an admin may choose, by key with their display names, in
    the registry's order: the settings page's select shows words, and PUT queue-settings takes
    the key. Admins only, as the settings they serve."""

    permission_classes = [CanChangeQueueSettings]

    class OutputSerializer(serializers.Serializer):
        key = serializers.CharField()
        display_name = serializers.CharField()

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(
            [
                {"key": key, "display_name": strategy.display_name}
                for key, strategy in STRATEGIES.items()
            ]
        )
