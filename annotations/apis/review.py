"""HTTP API of review and agreement: the reviewer's queue (disagreements first), a case with
every annotator's labels, the decision that makes ground truth, and the agreement figures."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import user_has_perm
from annotations.models import Label, ReviewDecision
from annotations.serializers import CaseImageSerializer, PreAnnotationSerializer
from annotations.services.agreement import task_agreement
from annotations.services.review import (
    LabelInput,
    review_case_detail,
    review_case_get,
    review_decide,
    review_queue,
)
from config.errors import DomainError
from ml.core.tasks import TASKS, task_get


class CanReview(BasePermission):
    """Reviewers decide labelled cases (annotations.add_reviewdecision)."""

    message = "Your role may not review annotations."

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_has_perm(request.user, "annotations.add_reviewdecision")


class CanSeeAgreement(BasePermission):
    """Agreement figures name annotators and compare their labels: whoever may see every label
    (reviewers and admins, annotations.view_label)."""

    message = "Your role may not see agreement figures."

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_has_perm(request.user, "annotations.view_label")


TASK_PARAMETER = OpenApiParameter(
    "task", str, description="a registered task; default: the first registered one"
)


def _task(request: Request) -> str:
    name = request.query_params.get("task") or next(iter(TASKS))
    try:
        return task_get(name).name
    except ValueError as error:
        raise DomainError(str(error), {"field": "task"}) from None


class CaseAgreementSerializer(serializers.Serializer):
    annotators = serializers.IntegerField()
    votes = serializers.DictField(
        child=serializers.IntegerField(), help_text='class answer ("a" or "a+b") -> annotators'
    )
    majority = serializers.ListField(
        child=serializers.CharField(), allow_null=True, help_text="more than half agree on it"
    )
    class_disagreement = serializers.FloatField(help_text="share not giving the top answer")
    box_iou = serializers.FloatField(allow_null=True)
    box_pairs = serializers.IntegerField()
    mask_dice = serializers.FloatField(allow_null=True)
    mask_pairs = serializers.IntegerField()


class LabelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    value = serializers.JSONField()
    provenance = serializers.JSONField()
    updated_at = serializers.DateTimeField()


class ReviewQueueApi(APIView):
    """GET: the labelled, undecided cases of a task, disagreements first."""

    permission_classes = [CanReview]

    class OutputSerializer(serializers.Serializer):
        id = serializers.CharField(help_text="the case's pseudonym")
        task = serializers.CharField()
        annotators = serializers.IntegerField()
        agreement = CaseAgreementSerializer()
        created_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="review_queue",
        parameters=[TASK_PARAMETER],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        items = review_queue(task=_task(request))
        return Response(self.OutputSerializer(items, many=True).data)


class ReviewCaseSerializer(serializers.Serializer):
    class AnnotatorLabelsSerializer(serializers.Serializer):
        annotator = serializers.CharField()
        slot = serializers.IntegerField(allow_null=True)
        status = serializers.CharField(allow_null=True)
        seconds_spent = serializers.FloatField(allow_null=True)
        labels = LabelSerializer(many=True)

    class DecisionSerializer(serializers.Serializer):
        decision = serializers.CharField()
        reviewer = serializers.CharField()
        note = serializers.CharField(allow_blank=True)
        created_at = serializers.DateTimeField()

    id = serializers.CharField(help_text="the case's pseudonym")
    task = serializers.CharField()
    status = serializers.CharField()
    schema_version = serializers.IntegerField()
    rows = serializers.IntegerField(allow_null=True)
    columns = serializers.IntegerField(allow_null=True)
    frame = serializers.IntegerField()
    image = CaseImageSerializer()
    pre_annotation = PreAnnotationSerializer()
    labels = LabelSerializer(many=True, help_text="the adjudicated labels, once decided")
    annotations = AnnotatorLabelsSerializer(many=True)
    agreement = CaseAgreementSerializer()
    decision = DecisionSerializer(allow_null=True)


class ReviewCaseApi(APIView):
    """GET: one case with every annotator's labels, for a reviewer."""

    permission_classes = [CanReview]

    @extend_schema(operation_id="review_case", responses=ReviewCaseSerializer)
    def get(self, request: Request, pseudonym: str) -> Response:
        case = review_case_get(pseudonym=pseudonym)
        return Response(ReviewCaseSerializer(review_case_detail(case=case)).data)


class ReviewDecisionApi(APIView):
    """POST: accept, edit or reject a labelled case; answers the case as decided."""

    permission_classes = [CanReview]

    class InputSerializer(serializers.Serializer):
        class LabelInputSerializer(serializers.Serializer):
            kind = serializers.ChoiceField(choices=Label.Kind.values)
            value = serializers.JSONField()

        decision = serializers.ChoiceField(choices=ReviewDecision.Decision.values)
        labels = LabelInputSerializer(many=True, required=False)
        note = serializers.CharField(required=False, allow_blank=True, max_length=1000)

    @extend_schema(
        operation_id="review_decide", request=InputSerializer, responses=ReviewCaseSerializer
    )
    def post(self, request: Request, pseudonym: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        case = review_case_get(pseudonym=pseudonym)
        review_decide(
            case=case,
            reviewer=request.user,  # type: ignore[arg-type]
            decision=data["decision"],
            labels=[LabelInput(kind=x["kind"], value=x["value"]) for x in data.get("labels", [])],
            note=data.get("note", ""),
        )
        return Response(ReviewCaseSerializer(review_case_detail(case=case)).data)


class KappaSerializer(serializers.Serializer):
    kappa = serializers.FloatField(allow_null=True, help_text="Cohen's kappa; null: undefined")
    observed = serializers.FloatField(allow_null=True, help_text="share of cases agreed on")
    cases = serializers.IntegerField()


class PairSerializer(KappaSerializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["with"] = serializers.CharField(help_text="the other annotator")  # a keyword
        return fields


class MeanSerializer(serializers.Serializer):
    mean = serializers.FloatField(allow_null=True)
    pairs = serializers.IntegerField()


class AnnotatorAgreementSerializer(serializers.Serializer):
    annotator = serializers.CharField()
    cases = serializers.IntegerField()
    pairs = PairSerializer(many=True)
    truth = KappaSerializer(help_text="against the adjudicated class")
    box_iou = MeanSerializer()
    mask_dice = MeanSerializer()


class ClassAgreementSerializer(serializers.Serializer):
    fleiss_kappa = serializers.FloatField(allow_null=True, help_text="chose it, or not")
    cases = serializers.IntegerField()
    chosen = serializers.IntegerField()
    ratings = serializers.IntegerField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["class"] = serializers.CharField()  # a keyword
        return fields


class AgreementApi(APIView):
    """GET: a task's agreement figures per annotator and per class, with the counts behind them."""

    permission_classes = [CanSeeAgreement]

    class OutputSerializer(serializers.Serializer):
        class OverallSerializer(serializers.Serializer):
            fleiss_kappa = serializers.FloatField(allow_null=True)
            observed = serializers.FloatField(allow_null=True)
            expected = serializers.FloatField(allow_null=True)
            cases = serializers.IntegerField()

        class BoxesSerializer(serializers.Serializer):
            iou_mean = serializers.FloatField(allow_null=True)
            pairs = serializers.IntegerField()

        class MasksSerializer(serializers.Serializer):
            dice_mean = serializers.FloatField(allow_null=True)
            pairs = serializers.IntegerField()

        task = serializers.CharField()
        cases = serializers.IntegerField()
        overall = OverallSerializer()
        classes = ClassAgreementSerializer(many=True)
        annotators = AnnotatorAgreementSerializer(many=True)
        boxes = BoxesSerializer()
        masks = MasksSerializer()

    @extend_schema(
        operation_id="review_agreement",
        parameters=[TASK_PARAMETER],
        responses=OutputSerializer,
    )
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(task_agreement(task=_task(request))).data)
