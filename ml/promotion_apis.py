"""HTTP API of promotion for admins: training settings, the comparison of a candidate with the
active version on the fixed test set, rollback, reject, and shadow scoring."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import Conflict, NotFound
from ml.apis import CanManageModels, ModelVersionOutputSerializer
from ml.evaluation_services import (
    candidate_review,
    comparison_evaluations,
    comparison_latest,
    model_version_reject,
    model_version_rollback,
    training_settings_get,
    training_settings_update,
)
from ml.models import ModelComparison, ModelVersion, TrainingRun
from ml.runtime import WeightsUnavailable
from ml.shadow import MAX_HOURS, shadow_deployment_start, shadow_deployment_stop, shadow_report


def _version(version_id: int) -> ModelVersion:
    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise NotFound("No such model version.")
    return version


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, default="", max_length=500, allow_blank=True)


# --- settings ---------------------------------------------------------------------------------


class TrainingSettingsSerializer(serializers.Serializer):
    target_sensitivity = serializers.FloatField(min_value=0.0, max_value=1.0)
    promotion_margin = serializers.FloatField(min_value=0.0, max_value=0.2)
    auto_promote = serializers.BooleanField()
    shadow_hours = serializers.FloatField(min_value=0.0, max_value=MAX_HOURS)
    default_mode = serializers.ChoiceField(choices=TrainingRun.Mode.choices)

    def validate_target_sensitivity(self, value: float) -> float:
        if value <= 0:
            raise serializers.ValidationError("The target sensitivity is above 0.")
        return value


class TrainingSettingsApi(APIView):
    """A task's operating point and promotion gate: GET them, PUT some or all of them."""

    permission_classes = [CanManageModels]

    @extend_schema(responses=TrainingSettingsSerializer)
    def get(self, request: Request, task: str) -> Response:
        settings = training_settings_get(task=task)
        return Response({"task": task, **TrainingSettingsSerializer(settings).data})

    @extend_schema(request=TrainingSettingsSerializer, responses=TrainingSettingsSerializer)
    def put(self, request: Request, task: str) -> Response:
        params = TrainingSettingsSerializer(data=request.data, partial=True)
        params.is_valid(raise_exception=True)
        settings = training_settings_update(task=task, actor=request.user, **params.validated_data)
        return Response({"task": task, **TrainingSettingsSerializer(settings).data})


# --- comparison -------------------------------------------------------------------------------


class VersionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    is_active = serializers.BooleanField()


class TestSetSerializer(serializers.Serializer):
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    positives = serializers.IntegerField()


class GateSerializer(serializers.Serializer):
    passed = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField(), help_text="sentences")
    margin = serializers.FloatField()


class ComparisonOutputSerializer(serializers.Serializer):
    candidate = VersionRefSerializer()
    baseline = VersionRefSerializer(allow_null=True)
    test_set = TestSetSerializer()
    candidate_metrics = serializers.DictField(
        allow_null=True,
        help_text="auc, auc_ci, sensitivity, specificity, threshold, ece, brier, n, positives, "
        "roc [[fpr, tpr], ...], reliability [{lower, upper, mean_probability, observed_rate, "
        "count}, ...]",
    )
    baseline_metrics = serializers.DictField(allow_null=True, help_text="as candidate_metrics")
    difference = serializers.DictField(
        allow_null=True,
        help_text="auc (candidate - baseline), ci [lo, hi], p_value, lower_bound_one_sided, "
        "method; null without a baseline",
    )
    gate = GateSerializer()
    decision = serializers.ChoiceField(choices=ModelComparison.Decision.choices)
    created_at = serializers.DateTimeField()


def comparison_data(comparison: ModelComparison) -> dict[str, Any]:
    """The comparison as GET /api/models/<id>/comparison answers it."""
    ours, theirs = comparison_evaluations(comparison)
    baseline = comparison.baseline
    size = ours.size if ours else 0
    return {
        "candidate": VersionRefSerializer(comparison.candidate).data,
        "baseline": VersionRefSerializer(baseline).data if baseline else None,
        "test_set": {
            "sha256": comparison.test_set_sha256,
            "size": size,
            "positives": ours.positives if ours else 0,
        },
        "candidate_metrics": ours.metrics if ours else None,
        "baseline_metrics": theirs.metrics if theirs else None,
        "difference": comparison.difference or None,
        "gate": comparison.gate,
        "decision": comparison.decision,
        "created_at": comparison.created_at,
    }


class ModelComparisonApi(APIView):
    """GET: the version's newest comparison with the active version (404 when none yet).
    POST: compare now (scores both on the fixed test set; seconds) and act on the gate."""

    permission_classes = [CanManageModels]

    @extend_schema(responses=ComparisonOutputSerializer)
    def get(self, request: Request, version_id: int) -> Response:
        comparison = comparison_latest(version=_version(version_id))
        if comparison is None:
            raise NotFound("This version has not been compared yet.")
        return Response(ComparisonOutputSerializer(comparison_data(comparison)).data)

    @extend_schema(request=None, responses=ComparisonOutputSerializer)
    def post(self, request: Request, version_id: int) -> Response:
        version = _version(version_id)
        try:
            candidate_review(candidate=version, actor=request.user)
        except WeightsUnavailable as exc:
            raise Conflict(f"The weights could not be loaded: {exc}") from exc
        comparison = comparison_latest(version=version)
        return Response(ComparisonOutputSerializer(comparison_data(comparison)).data)


# --- promote, reject, roll back -----------------------------------------------------------------


class ModelRollbackApi(APIView):
    """Activate the version that was active before the current one (409 when there is none)."""

    permission_classes = [CanManageModels]

    class InputSerializer(NoteSerializer):
        task = serializers.CharField(max_length=64)

    @extend_schema(request=InputSerializer, responses=ModelVersionOutputSerializer)
    def post(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        version = model_version_rollback(
            task=params.validated_data["task"],
            actor=request.user,
            note=params.validated_data["note"],
        )
        return Response(ModelVersionOutputSerializer(version).data)


class ModelVersionRejectApi(APIView):
    """Dismiss a candidate (409 for the active version)."""

    permission_classes = [CanManageModels]

    class InputSerializer(NoteSerializer):
        pass

    @extend_schema(request=InputSerializer, responses=ModelVersionOutputSerializer)
    def post(self, request: Request, version_id: int) -> Response:
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        version = model_version_reject(
            version=_version(version_id), actor=request.user, note=params.validated_data["note"]
        )
        return Response(ModelVersionOutputSerializer(version).data)


# --- shadow -------------------------------------------------------------------------------------


class ShadowDeploymentSerializer(serializers.Serializer):
    started_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    stopped_at = serializers.DateTimeField(allow_null=True)


class AgreementSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="studies both versions judged")
    flag_changes = serializers.IntegerField()
    flag_change_rate = serializers.FloatField(allow_null=True)
    newly_flagged = serializers.IntegerField(help_text="flagged by the shadow version only")
    unflagged = serializers.IntegerField(help_text="flagged by the active version only")
    kendall_tau = serializers.FloatField(allow_null=True, help_text="order agreement")
    top10_overlap = serializers.FloatField(allow_null=True)


class ShadowOutputSerializer(serializers.Serializer):
    deployment = ShadowDeploymentSerializer(allow_null=True)
    agreement = AgreementSerializer()


def shadow_data(version: ModelVersion) -> dict[str, Any]:
    return ShadowOutputSerializer(shadow_report(version=version)).data


class ModelShadowApi(APIView):
    """GET: the version's newest shadow deployment and how its scores agree with the active
    version's. POST {hours}: start scoring in shadow for that long."""

    permission_classes = [CanManageModels]

    class InputSerializer(serializers.Serializer):
        hours = serializers.FloatField(min_value=0.0, max_value=MAX_HOURS)

        def validate_hours(self, value: float) -> float:
            if value <= 0:
                raise serializers.ValidationError("Shadow scoring lasts more than 0 hours.")
            return value

    @extend_schema(responses=ShadowOutputSerializer)
    def get(self, request: Request, version_id: int) -> Response:
        return Response(shadow_data(_version(version_id)))

    @extend_schema(request=InputSerializer, responses={201: ShadowOutputSerializer})
    def post(self, request: Request, version_id: int) -> Response:
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        version = _version(version_id)
        shadow_deployment_start(
            version=version, hours=params.validated_data["hours"], actor=request.user
        )
        return Response(shadow_data(version), status=201)


class ModelShadowStopApi(APIView):
    """Stop the version's shadow scoring now (409 when it is not scoring in shadow)."""

    permission_classes = [CanManageModels]

    @extend_schema(request=None, responses=ShadowOutputSerializer)
    def post(self, request: Request, version_id: int) -> Response:
        version = _version(version_id)
        shadow_deployment_stop(version=version, actor=request.user)
        return Response(shadow_data(version))
