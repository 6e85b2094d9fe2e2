"""HTTP API of the model registry for admins: versions with metrics and load errors; activate."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import user_has_perm
from config.errors import NotFound
from ml.evaluation_services import model_version_promote
from ml.models import ModelVersion
from ml.selectors import model_versions_list


class CanManageModels(BasePermission):
    message = "Only admins manage models."

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_has_perm(request.user, "ml.change_modelversion")


class ModelVersionOutputSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default=None)
    parent = serializers.IntegerField(source="parent.version", default=None)

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "task",
            "version",
            "architecture",
            "weights_sha256",
            "input_spec",
            "threshold",
            "calibration",
            "metrics",
            "data_snapshot",
            "training_config",
            "parent",
            "created_by",
            "created_at",
            "is_active",
            "load_error",
            "load_error_at",
        ]


class ModelVersionListApi(APIView):
    """Every registered version, newest first per task; a failed load shows as `load_error`."""

    permission_classes = [CanManageModels]

    @extend_schema(
        parameters=[OpenApiParameter("task", str, description="only this task's versions")],
        responses=ModelVersionOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        versions = model_versions_list(task=request.query_params.get("task"))
        return Response(ModelVersionOutputSerializer(versions, many=True).data)


class ModelVersionActivateApi(APIView):
    """Promote (or roll back to) a version: it becomes its task's one active version."""

    permission_classes = [CanManageModels]

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(required=False, default="", max_length=500, allow_blank=True)

    @extend_schema(request=InputSerializer, responses=ModelVersionOutputSerializer)
    def post(self, request: Request, version_id: int) -> Response:
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        version = ModelVersion.objects.filter(pk=version_id).first()
        if version is None:
            raise NotFound("No such model version.")
        version = model_version_promote(
            version=version, actor=request.user, note=params.validated_data["note"]
        )
        return Response(ModelVersionOutputSerializer(version).data)
