"""HTTP API of the retraining loop for admins: training runs (list, detail, request, cancel) and
retraining schedules (list, create, update, delete)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import NotFound
from ml.apis import CanManageModels
from ml.models import RetrainSchedule, TrainingRun
from ml.schedules import retrain_schedule_delete, retrain_schedule_save
from ml.training_runs import (
    training_run_cancel,
    training_run_message,
    training_run_request,
    training_run_waiting_behind,
)

PROGRESS_KEYS = ("loss", "val_auc", "val_loss", "seconds_left")
HISTORY_KEYS = ("epoch", "loss", "val_auc", "val_loss", "seconds")


def _version(version: Any) -> dict[str, int] | None:
    return None if version is None else {"id": version.pk, "version": version.version}


class TrainingRunOutputSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username", default=None)
    progress = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()
    waiting_behind = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField()
    candidate = serializers.SerializerMethodField()
    base_version = serializers.SerializerMethodField()
    data_snapshot = serializers.SerializerMethodField()

    class Meta:
        model = TrainingRun
        fields = [
            "id",
            "task",
            "status",
            "mode",
            "trigger",
            "requested_by",
            "requested_at",
            "started_at",
            "finished_at",
            "phase",
            "epoch",
            "epochs",
            "progress",
            "history",
            "waiting_behind",
            "message",
            "error",
            "attempts",
            "candidate",
            "base_version",
            "data_snapshot",
        ]

    def get_progress(self, run: TrainingRun) -> dict[str, float | None]:
        return {key: (run.progress or {}).get(key) for key in PROGRESS_KEYS}

    def get_history(self, run: TrainingRun) -> list[dict[str, float | None]]:
        return [{key: entry.get(key) for key in HISTORY_KEYS} for entry in run.history or []]

    def get_waiting_behind(self, run: TrainingRun) -> int | None:
        return training_run_waiting_behind(run)

    def get_message(self, run: TrainingRun) -> str:
        return training_run_message(run, self.get_waiting_behind(run))

    def get_candidate(self, run: TrainingRun) -> dict[str, int] | None:
        return _version(run.candidate)

    def get_base_version(self, run: TrainingRun) -> dict[str, int] | None:
        return _version(run.base_version)

    def get_data_snapshot(self, run: TrainingRun) -> dict[str, Any]:
        """The lineage, its label id lists as counts (the page polls the list; the run's own
        address gives the ids)."""
        lineage = dict(run.data_snapshot or {})
        archive = dict(lineage.get("archive") or {})
        for key in ("label_ids", "test_label_ids"):
            if isinstance(archive.get(key), list):
                archive[key.removesuffix("_ids") + "_count"] = len(archive.pop(key))
        if archive:
            lineage["archive"] = archive
        return lineage


class TrainingRunDetailOutputSerializer(TrainingRunOutputSerializer):
    data_snapshot = serializers.JSONField()

    class Meta(TrainingRunOutputSerializer.Meta):
        fields = [*TrainingRunOutputSerializer.Meta.fields, "log"]


def _runs() -> Any:
    return TrainingRun.objects.select_related("requested_by", "candidate", "base_version")


def _run_get(run_id: int) -> TrainingRun:
    run = _runs().filter(pk=run_id).first()
    if run is None:
        raise NotFound("No such training run.")
    return run


class TrainingRunListApi(APIView):
    """GET: the task's runs, newest first. POST: request a run (202; it waits behind a running
    one and says so)."""

    permission_classes = [CanManageModels]

    class InputSerializer(serializers.Serializer):
        task = serializers.CharField(max_length=64)
        mode = serializers.ChoiceField(choices=TrainingRun.Mode.choices, required=False)

    @extend_schema(
        parameters=[OpenApiParameter("task", str, description="only this task's runs")],
        responses=TrainingRunOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        runs = _runs()
        task = request.query_params.get("task")
        if task:
            runs = runs.filter(task=task)
        return Response(TrainingRunOutputSerializer(runs[:200], many=True).data)

    @extend_schema(request=InputSerializer, responses={202: TrainingRunOutputSerializer})
    def post(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        run = training_run_request(
            task=params.validated_data["task"],
            mode=params.validated_data.get("mode"),
            trigger=TrainingRun.Trigger.MANUAL,
            actor=request.user,
        )
        data = TrainingRunOutputSerializer(_run_get(run.pk)).data
        return Response(data, status=status.HTTP_202_ACCEPTED)


class TrainingRunDetailApi(APIView):
    """One run with its log."""

    permission_classes = [CanManageModels]

    @extend_schema(responses=TrainingRunDetailOutputSerializer)
    def get(self, request: Request, run_id: int) -> Response:
        return Response(TrainingRunDetailOutputSerializer(_run_get(run_id)).data)


class TrainingRunCancelApi(APIView):
    """Cancel: a queued run at once; a running one stops after its current epoch."""

    permission_classes = [CanManageModels]

    @extend_schema(request=None, responses=TrainingRunOutputSerializer)
    def post(self, request: Request, run_id: int) -> Response:
        run = training_run_cancel(run=_run_get(run_id), actor=request.user)
        return Response(TrainingRunOutputSerializer(_run_get(run.pk)).data)


class RetrainScheduleOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = RetrainSchedule
        fields = [
            "id",
            "task",
            "kind",
            "enabled",
            "hour",
            "minute",
            "min_new_labels",
            "check_minutes",
            "mode",
            "last_fired_at",
            "last_result",
        ]


class RetrainScheduleInputSerializer(serializers.Serializer):
    task = serializers.CharField(max_length=64)
    kind = serializers.ChoiceField(choices=RetrainSchedule.Kind.choices)
    enabled = serializers.BooleanField(default=True)
    hour = serializers.IntegerField(min_value=0, max_value=23, default=2)
    minute = serializers.IntegerField(min_value=0, max_value=59, default=0)
    min_new_labels = serializers.IntegerField(min_value=1, default=200)
    check_minutes = serializers.IntegerField(min_value=1, max_value=10080, default=15)
    mode = serializers.ChoiceField(
        choices=TrainingRun.Mode.choices, default=TrainingRun.Mode.FINE_TUNE
    )


class RetrainScheduleListApi(APIView):
    """GET: schedules (of a task). POST: a new schedule (201)."""

    permission_classes = [CanManageModels]
    InputSerializer = RetrainScheduleInputSerializer

    @extend_schema(
        parameters=[OpenApiParameter("task", str, description="only this task's schedules")],
        responses=RetrainScheduleOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        schedules = RetrainSchedule.objects.all()
        task = request.query_params.get("task")
        if task:
            schedules = schedules.filter(task=task)
        return Response(RetrainScheduleOutputSerializer(schedules, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: RetrainScheduleOutputSerializer})
    def post(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        schedule = retrain_schedule_save(actor=request.user, **params.validated_data)
        data = RetrainScheduleOutputSerializer(schedule).data
        return Response(data, status=status.HTTP_201_CREATED)


class RetrainScheduleDetailApi(APIView):
    """PUT: replace a schedule's settings. DELETE: remove it (answers what it was)."""

    permission_classes = [CanManageModels]
    InputSerializer = RetrainScheduleInputSerializer

    def _get(self, schedule_id: int) -> RetrainSchedule:
        schedule = RetrainSchedule.objects.filter(pk=schedule_id).first()
        if schedule is None:
            raise NotFound("No such retraining schedule.")
        return schedule

    @extend_schema(request=InputSerializer, responses=RetrainScheduleOutputSerializer)
    def put(self, request: Request, schedule_id: int) -> Response:
        schedule = self._get(schedule_id)
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        schedule = retrain_schedule_save(schedule=schedule, **params.validated_data)
        return Response(RetrainScheduleOutputSerializer(schedule).data)

    @extend_schema(request=None, responses=RetrainScheduleOutputSerializer)
    def delete(self, request: Request, schedule_id: int) -> Response:
        schedule = self._get(schedule_id)
        data = RetrainScheduleOutputSerializer(schedule).data
        retrain_schedule_delete(schedule=schedule)
        return Response(data)
