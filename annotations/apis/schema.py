"""HTTP API of the label schema: the current version for the workspace, every version and a new
one for admins. Versions are immutable, so there is no PUT or PATCH."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import user_has_perm
from annotations.services.schema import (
    label_schema_create,
    label_schema_current,
    label_schema_data,
    label_schema_list,
    label_schema_version,
)
from ml.core.tasks import TASKS


def permission(perm: str, refusal: str) -> type[BasePermission]:
    """A DRF permission class that requires one model permission (roles grant them)."""

    class Required(BasePermission):
        message = refusal

        def has_permission(self, request: Request, view: Any) -> bool:
            return user_has_perm(request.user, perm)

    Required.__name__ = f"Requires_{perm.replace('.', '_')}"
    return Required


CanViewSchema = permission(
    "annotations.view_labelschema", "Your role may not see the label schema."
)
CanAddSchema = permission("annotations.add_labelschema", "Your role may not edit the label schema.")


class TaskQuerySerializer(serializers.Serializer):
    task = serializers.ChoiceField(choices=list(TASKS), default=next(iter(TASKS)))


class SchemaQuerySerializer(TaskQuerySerializer):
    version = serializers.IntegerField(
        required=False,
        help_text="A version by number (a case's schema_version); default the current",
    )


class SchemaEntrySerializer(serializers.Serializer):
    key = serializers.CharField()
    display_name = serializers.CharField()
    hotkey = serializers.CharField()


class RegionEntrySerializer(SchemaEntrySerializer):
    colour = serializers.CharField(help_text="#rrggbb")


class LabelSchemaSerializer(serializers.Serializer):
    task = serializers.CharField()
    version = serializers.IntegerField()
    classes = SchemaEntrySerializer(many=True)
    multi_label = serializers.BooleanField()
    box_classes = RegionEntrySerializer(many=True)
    mask_classes = RegionEntrySerializer(many=True)
    note = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(allow_null=True)


def _task_param(request: Request) -> str:
    params = TaskQuerySerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    return str(params.validated_data["task"])


class LabelSchemaCurrentApi(APIView):
    """The task's current schema (its highest version), or with ?version=N that version: the
    workspace and review pages ask for the case's own schema_version, whose keys are the ones
    the server checks its labels against."""

    permission_classes = [CanViewSchema]

    @extend_schema(parameters=[SchemaQuerySerializer], responses=LabelSchemaSerializer)
    def get(self, request: Request) -> Response:
        params = SchemaQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        task = str(params.validated_data["task"])
        version = params.validated_data.get("version")
        if version is None:
            return Response(label_schema_data(label_schema_current(task=task)))
        return Response(label_schema_data(label_schema_version(task=task, version=version)))


class LabelSchemaListApi(APIView):
    """Every version of a task's schema, newest first (GET), or a new version (POST, admins).

    Old versions stay readable because old labels are shown under the version they were made
    under."""

    def get_permissions(self) -> list[BasePermission]:
        return [CanAddSchema() if self.request.method == "POST" else CanViewSchema()]

    class InputSerializer(serializers.Serializer):
        # The lists are checked entry by entry by the service (annotations.validation), whose
        # messages name the list, the entry and the allowed values.
        classes = serializers.ListField(child=serializers.DictField(), max_length=100)
        multi_label = serializers.BooleanField(default=False)
        box_classes = serializers.ListField(
            child=serializers.DictField(), max_length=100, default=list
        )
        mask_classes = serializers.ListField(
            child=serializers.DictField(), max_length=100, default=list
        )
        note = serializers.CharField(max_length=500, allow_blank=True, default="")

    @extend_schema(parameters=[TaskQuerySerializer], responses=LabelSchemaSerializer(many=True))
    def get(self, request: Request) -> Response:
        schemas = label_schema_list(task=_task_param(request)).select_related("created_by")
        return Response([label_schema_data(schema) for schema in schemas])

    @extend_schema(
        parameters=[TaskQuerySerializer],
        request=InputSerializer,
        responses={201: LabelSchemaSerializer},
    )
    def post(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        schema = label_schema_create(
            task=_task_param(request),
            created_by=request.user,  # type: ignore[arg-type]  # CanAddSchema: signed in
            **body.validated_data,
        )
        return Response(label_schema_data(schema), status=201)
