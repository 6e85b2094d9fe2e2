"""Admins' export and import of labels: dataset snapshots (JSON, COCO), DICOM SEG/SR into the
archive, and import of CSV/JSON files with a report."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import user_has_perm
from annotations.models import Label
from annotations.services.export_dataset import dataset_export_coco, dataset_export_json
from annotations.services.export_dicom import labels_dicom_export
from annotations.services.imports import ImportTooLarge, import_max_bytes, labels_import
from archive.dicomweb.base_api import JsonErrorsNegotiation
from ml.core.tasks import TASKS


class CanExportLabels(BasePermission):
    """Snapshots name patients' studies by UID and every author: those who may see all labels."""

    message = "Your role may not export labels."

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_has_perm(request.user, "annotations.view_label")


class CanExportLabelsToArchive(BasePermission):
    """Writing SEG/SR into the archive is storing instances as well as reading every label."""

    message = "Your role may not store label exports in the archive."

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_has_perm(request.user, "annotations.view_label") and user_has_perm(
            request.user, "archive.add_instance"
        )


class CanImportLabels(BasePermission):
    """Import changes the label store in bulk, under no annotator's name."""

    message = "Your role may not import labels."

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_has_perm(request.user, "annotations.change_label")


class DicomExportOutputSerializer(serializers.Serializer):
    class ObjectSerializer(serializers.Serializer):
        modality = serializers.ChoiceField(choices=["SEG", "SR"])
        study_instance_uid = serializers.CharField()
        series_instance_uid = serializers.CharField()
        sop_instance_uid = serializers.CharField()
        source_sop_instance_uids = serializers.ListField(child=serializers.CharField())
        label_ids = serializers.ListField(child=serializers.IntegerField())
        created = serializers.BooleanField(help_text="False: stored by an earlier export")

    class SkippedSerializer(serializers.Serializer):
        label_id = serializers.IntegerField()
        reason = serializers.CharField()

    task = serializers.CharField()
    created = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    objects = ObjectSerializer(many=True)
    skipped = SkippedSerializer(many=True)


class ImportReportSerializer(serializers.Serializer):
    class RefusedSerializer(serializers.Serializer):
        row = serializers.IntegerField(help_text="1-based; CSV rows counted after the header")
        reason = serializers.CharField()

    imported = serializers.IntegerField()
    refused = RefusedSerializer(many=True)


def _task_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=list(TASKS), default=next(iter(TASKS)))


class DatasetExportApi(APIView):
    """GET /api/annotate/export?task=&format=json|coco[&source=adjudicated,imported,...]"""

    permission_classes = [CanExportLabels]
    renderer_classes = [JSONRenderer]
    # Always JSON: the contract's ?format=json|coco names the snapshot's layout, which DRF
    # would otherwise take for its renderer override (and answer 404 for "coco").
    content_negotiation_class = JsonErrorsNegotiation

    class InputSerializer(serializers.Serializer):
        task = _task_field()
        format = serializers.ChoiceField(choices=["json", "coco"], default="json")
        # The query parameter's name; DRF's metaclass moves declared fields off the class.
        source = serializers.CharField(required=False, allow_blank=True)  # type: ignore[assignment]

        def validate_source(self, value: str) -> list[str]:
            sources = [s.strip() for s in value.split(",") if s.strip()]
            unknown = sorted(set(sources) - set(Label.Source.values))
            if unknown:
                raise serializers.ValidationError(
                    f"Unknown source(s) {', '.join(unknown)}; known: {', '.join(Label.Source)}."
                )
            return sources

    @extend_schema(
        operation_id="annotate_export",
        parameters=[InputSerializer],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        task, kind = params.validated_data["task"], params.validated_data["format"]
        export = dataset_export_coco if kind == "coco" else dataset_export_json
        body = export(task=task, sources=params.validated_data.get("source") or None)
        response = Response(body)
        response["Content-Disposition"] = f'attachment; filename="{task}-labels.{kind}.json"'
        return response


class DicomExportApi(APIView):
    """POST /api/annotate/export/dicom {"task", "include_annotator_labels"}: SEG and SR into
    the archive; answers what was stored, what was already there, and what was skipped."""

    permission_classes = [CanExportLabelsToArchive]

    class InputSerializer(serializers.Serializer):
        task = _task_field()
        include_annotator_labels = serializers.BooleanField(default=False)

    @extend_schema(
        operation_id="annotate_export_dicom",
        request=InputSerializer,
        responses=DicomExportOutputSerializer,
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        export = labels_dicom_export(**data.validated_data)
        return Response(export.as_json())


class LabelsImportApi(APIView):
    """POST /api/annotate/import (multipart, field "file": CSV or JSON) -> the import report."""

    permission_classes = [CanImportLabels]
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()

    @extend_schema(
        operation_id="annotate_import", request=InputSerializer, responses=ImportReportSerializer
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > import_max_bytes():  # before reading it into memory
            raise ImportTooLarge(
                f"The file is {upload.size} bytes; an import takes at most {import_max_bytes()}."
            )
        report = labels_import(content=upload.read(), filename=upload.name or "")
        return Response(report.as_json())
