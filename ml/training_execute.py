"""One training run's work on a training worker: snapshot -> preprocessing -> training ->
registering -> evaluating -> done.

Crash-safe order: the lineage and the config are stored before training; every epoch leaves a
checkpoint under TRAINING_DIR/<run id>/ (ml.core.training.train_prepared) that a resumed
attempt continues from; the version is registered and linked to the run in one transaction, so
a resumed run that already has its candidate goes straight to evaluation. While it works, a
heartbeat thread renews the run's lease; if the lease is lost (the sweep handed the run to
another worker) the run stops at the next epoch without touching the row again.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction

from ml.models import ModelVersion, TrainingRun
from ml.selectors import model_version_active
from ml.training_runs import (
    lease_owner_new,
    run_log,
    training_run_claim,
    training_run_finish,
    training_run_renew,
    training_settings_of,
)

if TYPE_CHECKING:
    from ml.core.spec import InputSpec, TrainingConfig
    from ml.core.training import TrainingResult
    from ml.datasets import TrainingSnapshot

logger = logging.getLogger(__name__)


class RunCancelled(Exception):
    """An admin cancelled the run; raised from the progress callback to stop training."""


class LeaseLost(Exception):
    """The run is no longer this worker's (it was handed to another after a lapsed lease)."""


class Heartbeat(threading.Thread):
    """Renews the run's lease every third of TRAINING_LEASE_SECONDS until stopped."""

    def __init__(self, run_id: int, owner: str) -> None:
        super().__init__(name=f"training-heartbeat-{run_id}", daemon=True)
        self.run_id, self.owner = run_id, owner
        self.lost = False
        self._stop_event = threading.Event()

    def run(self) -> None:
        interval = max(settings.TRAINING_LEASE_SECONDS / 3.0, 0.2)
        try:
            while not self._stop_event.wait(interval):
                try:
                    if not training_run_renew(run_id=self.run_id, owner=self.owner):
                        self.lost = True
                        return
                except Exception:  # noqa: BLE001 - a database hiccup: try again next beat
                    logger.warning("training_lease_renew_failed run_id=%s", self.run_id)
                    close_old_connections()
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)


def training_run_execute(*, run_id: int) -> str:
    """The `ml.training_run` task's work. Claims the run (or returns "not claimed" when it is
    finished, waiting its turn, or leased by a live worker: safe to receive twice), runs it
    and records the outcome: succeeded, cancelled, or failed with a one-line reason (the
    traceback goes to this worker's log only). Returns the outcome."""
    owner = lease_owner_new()
    if not training_run_claim(run_id=run_id, owner=owner):
        logger.info("training_run_not_claimed run_id=%s", run_id)
        return "not claimed"
    heartbeat = Heartbeat(run_id, owner)
    heartbeat.start()
    try:
        _execute(run_id, owner, heartbeat)
    except RunCancelled:
        epoch = TrainingRun.objects.values_list("epoch", flat=True).get(pk=run_id)
        training_run_finish(
            run_id=run_id,
            owner=owner,
            status=TrainingRun.Status.CANCELLED,
            line=f"cancelled after epoch {epoch}",
        )
        _checkpoint_remove(run_id)
        return "cancelled"
    except LeaseLost:
        logger.warning("training_run_lease_lost run_id=%s owner=%s", run_id, owner)
        return "lease lost"
    except Exception as error:
        logger.exception("training_run_failed run_id=%s", run_id)
        reason = _one_line(error)
        training_run_finish(
            run_id=run_id,
            owner=owner,
            status=TrainingRun.Status.FAILED,
            error=reason,
            line=f"failed: {reason}",
        )
        return "failed"
    finally:
        heartbeat.stop()
    if not training_run_finish(
        run_id=run_id, owner=owner, status=TrainingRun.Status.SUCCEEDED, line="succeeded"
    ):
        logger.warning("training_run_lease_lost_at_the_end run_id=%s", run_id)
        return "lease lost"
    _checkpoint_remove(run_id)
    return "succeeded"


def _execute(run_id: int, owner: str, heartbeat: Heartbeat) -> None:
    run = TrainingRun.objects.select_related("base_version", "candidate", "requested_by").get(
        pk=run_id
    )
    rows = TrainingRun.objects.filter(pk=run_id, lease_owner=owner)
    if run.attempts > 1:
        run_log(
            run_id,
            f"attempt {run.attempts}: resuming from the checkpoint of epoch {run.checkpoint_epoch}",
        )
    else:
        run.base_version = model_version_active(task=run.task)
        rows.update(base_version=run.base_version)
        run_log(run_id, f"started on {owner.split(':')[0]}")
    candidate = run.candidate
    if candidate is None:
        started = time.monotonic()
        spec = _spec_of(run)
        snapshot = _snapshot(run, rows, spec)
        outside = time.monotonic() - started
        config = _config(run, spec)
        rows.update(phase="training", config=config.to_dict(), epochs=config.epochs)
        result = _train(run, rows, snapshot, config, heartbeat)
        rows.update(phase="registering", config=result.config)  # fine-tuning: the parent's net
        started = time.monotonic()
        candidate = _register(run, rows, snapshot, result)
        outside += time.monotonic() - started
        _timing_record(rows, run_id, result, outside)
    rows.update(phase="evaluating")
    _evaluate(run, candidate)


def _spec_of(run: TrainingRun) -> InputSpec:
    from ml.core.chest_xray import ChestXrayConfig
    from ml.core.spec import InputSpec

    if run.mode == TrainingRun.Mode.FINE_TUNE and run.base_version is not None:
        return InputSpec.from_dict(run.base_version.input_spec)
    return ChestXrayConfig().spec


def _snapshot(run: TrainingRun, rows: Any, spec: InputSpec) -> TrainingSnapshot:
    from ml.datasets import training_snapshot

    rows.update(phase="snapshot")
    # A resumed run takes the labels its first attempt took (not those made since).
    seen = (
        (run.data_snapshot or {}).get("archive", {}).get("max_label_id")
        if run.attempts > 1
        else None
    )
    snapshot = training_snapshot(
        run.task,
        spec=spec,
        on_phase=lambda phase: rows.update(phase=phase),
        up_to_label_id=seen,
    )
    rows.update(data_snapshot=snapshot.lineage)
    archive = snapshot.lineage["archive"]
    left_out = sum(archive["left_out"].values())
    run_log(
        run.pk,
        f"data: train {snapshot.size('train')}, validation {snapshot.size('validation')}, "
        f"test {snapshot.size('test')} images; {len(archive['label_ids'])} archive labels "
        f"train, {len(archive['test_label_ids'])} test; {left_out} archive images left out",
    )
    return snapshot


def _config(run: TrainingRun, spec: InputSpec) -> TrainingConfig:
    from ml.core.chest_xray import ChestXrayConfig

    config = ChestXrayConfig(spec=spec).training_config()
    changes: dict[str, Any] = {"min_sensitivity": training_settings_of(run.task).target_sensitivity}
    if settings.TRAINING_EPOCHS:
        changes["epochs"] = settings.TRAINING_EPOCHS
    return dataclasses.replace(config, **changes)


def _train(
    run: TrainingRun,
    rows: Any,
    snapshot: TrainingSnapshot,
    config: TrainingConfig,
    heartbeat: Heartbeat,
) -> TrainingResult:
    from ml.core.training import CHECKPOINT_NAME, train_prepared
    from ml.runtime import _local_copy

    initial = None
    if run.mode == TrainingRun.Mode.FINE_TUNE:
        if run.base_version is None:
            run_log(run.pk, "no active version to fine-tune: training from scratch")
        else:
            initial = _local_copy(run.base_version)
            run_log(run.pk, f"fine-tuning {run.base_version.label}")
    directory = Path(settings.TRAINING_DIR) / str(run.pk)
    history = [h for h in run.history if isinstance(h, dict)]

    def progress(epoch: int, epochs: int, logs: dict[str, float]) -> None:
        if heartbeat.lost:
            raise LeaseLost
        entry = {
            "epoch": epoch,
            **{k: float(logs[k]) for k in ("loss", "val_auc", "val_loss", "seconds") if k in logs},
        }
        history[:] = [h for h in history if h.get("epoch", 0) < epoch] + [entry]
        figures = {**entry, "seconds_left": float(logs.get("seconds_left", 0.0))}
        figures.pop("epoch")
        if not rows.update(
            epoch=epoch,
            epochs=epochs,
            progress=figures,
            history=history,
            checkpoint=str(directory / CHECKPOINT_NAME),
            checkpoint_epoch=epoch,
        ):
            raise LeaseLost
        run_log(
            run.pk,
            f"epoch {epoch}/{epochs}: loss {entry.get('loss', 0):.4f}, validation AUC "
            f"{entry.get('val_auc', 0):.4f} ({entry.get('seconds', 0):.1f} s)",
        )
        if TrainingRun.objects.filter(pk=run.pk, cancel_requested=True).exists():
            raise RunCancelled

    return train_prepared(
        snapshot.data,
        config,
        initial_model_path=initial,
        checkpoint_dir=directory,
        progress=progress,
    )


def _register(
    run: TrainingRun, rows: Any, snapshot: TrainingSnapshot, result: TrainingResult
) -> ModelVersion:
    from ml.core.chest_xray import ChestXrayConfig
    from ml.core.training import save_model
    from ml.services import model_version_register

    lineage = {**snapshot.lineage, "training_run": run.pk, "mode": run.mode}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        save_model(result.model, path)
        with transaction.atomic():
            version = model_version_register(
                task=run.task,
                architecture=ChestXrayConfig.name,
                weights_path=path,
                input_spec=result.spec.to_dict(),
                threshold=float(result.threshold),
                calibration=result.calibration.to_dict(),
                metrics={**result.metrics, "best_epoch": result.best_epoch},
                data_snapshot=lineage,
                training_config=result.config,
                parent=run.base_version,
                created_by=run.requested_by,
                activate=False,
            )
            if not rows.update(candidate=version):
                raise LeaseLost
    validation = result.metrics.get("validation", {})
    run_log(
        run.pk,
        f"registered {version.label} (not active): validation AUC "
        f"{validation.get('auc', 0) or 0:.4f}, best epoch {result.best_epoch}",
    )
    return version


def _timing_record(rows: Any, run_id: int, result: TrainingResult, outside: float) -> None:
    """Seconds in model.fit's epochs against the rest (the bench's "time outside fit")."""
    fit = sum(float(h.get("seconds", 0.0)) for h in result.history)
    timing = {
        "training_seconds": round(float(result.training_seconds), 2),
        "epoch_seconds": round(fit, 2),
        "data_and_registering_seconds": round(outside, 2),
    }
    run = TrainingRun.objects.get(pk=run_id)
    rows.update(progress={**run.progress, "timing": timing})


def _evaluate(run: TrainingRun, candidate: ModelVersion) -> None:
    try:
        from ml.evaluation_services import candidate_review
    except ImportError:
        run_log(run.pk, "evaluation is not available here: the candidate waits for an admin")
        logger.warning("training_run_no_evaluation run_id=%s", run.pk)
        return
    comparison = candidate_review(candidate=candidate, actor=run.requested_by)
    decision = getattr(comparison, "get_decision_display", lambda: "")()
    run_log(run.pk, f"evaluated on the fixed test set: {decision or 'done'}")


def _checkpoint_remove(run_id: int) -> None:
    shutil.rmtree(Path(settings.TRAINING_DIR) / str(run_id), ignore_errors=True)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:500]
