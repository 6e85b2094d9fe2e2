"""HTTP API of an annotator's labels: save (autosave or submit) the labels of a case they were
given, and change or delete one of their own labels."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.apis.schema import permission
from annotations.models import AnnotationCase, Label
from annotations.serializers import (
    CaseLabelSerializer,
    CaseSerializer,
    case_data_for_user,
    label_data,
)
from annotations.services.labels import (
    PRE_ANNOTATION_CHOICES,
    case_labels_save,
    label_delete,
    label_update,
)
from config.errors import NotFound

CanLabel = permission("annotations.add_label", "Your role may not label images.")


class LabelInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Label.Kind.values)
    # A class key, or a box {class, x, y, width, height}, or a mask {class, rows, columns, rle};
    # checked against the schema and the image by the service (annotations.validation).
    value = serializers.JSONField()


def case_get_or_404(pseudonym: str) -> AnnotationCase:
    case = (
        AnnotationCase.objects.select_related("batch__model_version", "instance")
        .filter(pseudonym=pseudonym)
        .first()
    )
    if case is None:
        raise NotFound("No such case among the ones you were given.")
    return case


class CaseLabelsSaveApi(APIView):
    """Replace the caller's labels on a case they hold (autosave); `submit` finishes their part."""

    permission_classes = [CanLabel]

    class InputSerializer(serializers.Serializer):
        labels = serializers.ListField(child=LabelInputSerializer(), max_length=100)
        seconds_spent = serializers.FloatField(
            min_value=0, max_value=7 * 24 * 3600, allow_null=True, default=None
        )
        pre_annotation = serializers.ChoiceField(choices=PRE_ANNOTATION_CHOICES, default="none")
        submit = serializers.BooleanField(default=False)

    @extend_schema(request=InputSerializer, responses=CaseSerializer)
    def put(self, request: Request, pseudonym: str) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        case = case_labels_save(
            case=case_get_or_404(pseudonym), user=request.user, **body.validated_data
        )
        return Response(case_data_for_user(case, request.user))


class LabelDetailApi(APIView):
    """Change (PATCH {"value"}) or delete one of the caller's own labels."""

    permission_classes = [CanLabel]

    class InputSerializer(serializers.Serializer):
        value = serializers.JSONField()

    @extend_schema(request=InputSerializer, responses=CaseLabelSerializer)
    def patch(self, request: Request, label_id: int) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        label = label_update(
            label_id=label_id, user=request.user, value=body.validated_data["value"]
        )
        return Response(label_data(label))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, label_id: int) -> Response:
        label_delete(label_id=label_id, user=request.user)
        return Response(status=204)
