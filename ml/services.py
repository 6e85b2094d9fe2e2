"""Registry writes: register a trained version, activate one, record that one failed to load."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import tempfile
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from config.errors import Conflict
from ml.core.spec import Progress
from ml.models import ModelAuditEntry, ModelVersion
from ml.signals import model_activated

logger = logging.getLogger(__name__)


def model_version_register(
    *,
    task: str,
    architecture: str,
    weights_path: Path,
    input_spec: dict[str, Any],
    threshold: float,
    calibration: dict[str, Any],
    metrics: dict[str, Any],
    data_snapshot: dict[str, Any],
    training_config: dict[str, Any],
    parent: ModelVersion | None = None,
    created_by: AbstractBaseUser | None = None,
    activate: bool = False,
) -> ModelVersion:
    """Store the weights file and register it as the task's next version number.

    The weights go to storage under a name carrying their hash, so a version's file is never
    overwritten. With `activate`, the new version becomes the task's active one. Not idempotent:
    every call registers a new version.
    """
    sha256 = _sha256(weights_path)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                number = (
                    ModelVersion.objects.filter(task=task).aggregate(n=Max("version"))["n"] or 0
                ) + 1
                version = ModelVersion(
                    task=task,
                    version=number,
                    architecture=architecture,
                    weights_sha256=sha256,
                    input_spec=input_spec,
                    threshold=threshold,
                    calibration=calibration,
                    metrics=metrics,
                    data_snapshot=data_snapshot,
                    training_config=training_config,
                    parent=parent,
                    created_by=created_by,
                )
                with open(weights_path, "rb") as fp:
                    name = f"models/{task}/v{number}-{sha256[:12]}.keras"
                    version.weights.save(name, File(fp), save=False)
                version.full_clean()
                version.save()
                ModelAuditEntry.objects.create(
                    version=version, action=ModelAuditEntry.Action.REGISTERED, actor=created_by
                )
                if activate:
                    model_version_activate(version=version, actor=created_by)
                logger.info("model_registered model_version=%s", version.label)
                return version
        except IntegrityError:
            continue  # another registration took the number; take the next
    raise Conflict(f"Could not register a new version of {task}: concurrent registrations")


def model_version_activate(
    *, version: ModelVersion, actor: AbstractBaseUser | None, note: str = ""
) -> ModelVersion:
    """Make `version` its task's one active version (promotion or rollback); clears a load error.

    Studies waiting on the worklist are re-scored with it by the triage sweep. Safe to repeat.
    """
    with transaction.atomic():
        previous = list(
            ModelVersion.objects.select_for_update()
            .filter(task=version.task, is_active=True)
            .exclude(pk=version.pk)
        )
        for old in previous:
            old.is_active = False
            old.save(update_fields=["is_active"])
            ModelAuditEntry.objects.create(
                version=old, action=ModelAuditEntry.Action.DEACTIVATED, actor=actor, note=note
            )
        version.is_active = True
        version.load_error = ""
        version.load_error_at = None
        version.save(update_fields=["is_active", "load_error", "load_error_at"])
        ModelAuditEntry.objects.create(
            version=version, action=ModelAuditEntry.Action.ACTIVATED, actor=actor, note=note
        )
        task, version_id = version.task, version.pk
        transaction.on_commit(
            lambda: model_activated.send(sender=ModelVersion, task=task, version_id=version_id)
        )
        transaction.on_commit(lambda: _pool_rescore(task=task))
    logger.info("model_activated model_version=%s", version.label)
    return version


def _pool_rescore(*, task: str) -> None:
    """The annotation queue's pool is scored by the newly active version (ml/pool_tasks.py)."""
    from ml.pool_tasks import pool_score_send

    pool_score_send(task=task)


def model_version_mark_load_failed(*, version_id: int, error: str) -> None:
    """Record that the weights would not load: scoring with this version pauses (the worklist
    falls back to first-in-first-out) until an admin activates a version again."""
    with transaction.atomic():
        changed = ModelVersion.objects.filter(pk=version_id, load_error="").update(
            load_error=error[:2000], load_error_at=timezone.now()
        )
        if changed:
            ModelAuditEntry.objects.create(
                version_id=version_id, action=ModelAuditEntry.Action.LOAD_FAILED, note=error[:2000]
            )
    logger.error("model_load_failed model_version_id=%s", version_id)


def model_initial_train(
    *, npz_path: Path, epochs: int | None = None, progress: Progress | None = None
) -> ModelVersion:
    """Train the first chest radiograph model from PneumoniaMNIST and register it active.

    Takes a few minutes on a CPU. Not idempotent: callers check that no version exists.
    """
    from ml.core.chest_xray import ChestXrayConfig
    from ml.core.data import load_pneumoniamnist
    from ml.core.training import save_model, train_classifier

    config = ChestXrayConfig().training_config()
    if epochs:
        config = dataclasses.replace(config, epochs=epochs)
    data = load_pneumoniamnist(npz_path)
    result = train_classifier(data, config, progress=progress)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        save_model(result.model, path)
        return model_version_register(
            task=ChestXrayConfig.task,
            architecture=ChestXrayConfig.name,
            weights_path=path,
            input_spec=result.spec.to_dict(),
            threshold=float(result.threshold),
            calibration=result.calibration.to_dict(),
            metrics=result.metrics,
            data_snapshot=data.snapshot(),
            training_config=result.config,
            activate=True,
        )


def _sha256(path: Path) -> str:
    with open(path, "rb") as fp:
        return hashlib.file_digest(fp, "sha256").hexdigest()
