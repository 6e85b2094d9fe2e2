"""Shadow scoring: a candidate scores incoming studies silently beside the active version.

While a ShadowDeployment is live (started_at <= now < ends_at, not stopped), every study the
active version scores is scored by the candidate too, on the inference queue (ml.shadow_score),
and a ShadowScore keeps both results. Nothing the candidate says reaches the worklist. The
page shows how often the flag would have changed and how the order would have (Kendall's tau,
top-10 overlap). When the time is up, the sweep leaves the candidate waiting for an admin with
those figures: agreement with the active version does not say which one is right, so it is
not a reason to promote on its own.

A shadow score whose message is lost (broker down) is simply missing: the figures are a sample.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from typing import Any

import numpy as np
import pydicom
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from archive.models import Instance
from config.errors import Conflict
from ml.core.comparison import shadow_agreement
from ml.models import ModelAuditEntry, ModelComparison, ModelVersion, ShadowDeployment, ShadowScore
from ml.runtime import WeightsUnavailable, inference_for, predicting
from ml.services import model_version_mark_load_failed

logger = logging.getLogger(__name__)

Action = ModelAuditEntry.Action
Decision = ModelComparison.Decision
MAX_HOURS = 720.0


def shadow_deployments_live(*, now: dt.datetime | None = None) -> QuerySet[ShadowDeployment]:
    """Deployments scoring now (a queryset, newest first)."""
    now = now or timezone.now()
    return ShadowDeployment.objects.filter(
        stopped_at__isnull=True, started_at__lte=now, ends_at__gt=now
    ).select_related("version")


def shadow_deployment_live(*, task: str) -> ShadowDeployment | None:
    """The task's deployment scoring now, or None (at most one per task is started)."""
    return shadow_deployments_live().filter(version__task=task).first()


def shadow_deployment_start(
    *,
    version: ModelVersion,
    hours: float,
    actor: AbstractBaseUser | None,
    reason: str = "",
) -> ShadowDeployment:
    """Start scoring in shadow for `hours` (0 < hours <= 720). Another live deployment of the
    task ends (one candidate at a time). Conflict for the active version or one that failed
    to load. Audited; a comparison waiting for an admin then says shadowing."""
    if not 0 < hours <= MAX_HOURS:
        raise ValidationError(
            {"hours": f"Shadow scoring lasts more than 0 and at most {MAX_HOURS:g} hours."}
        )
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=version.pk)
        if version.is_active:
            raise Conflict(f"{version.label} is the active version: it already scores studies.")
        if version.load_error:
            raise Conflict(f"{version.label} failed to load: {version.load_error}")
        shadow_deployments_end(task=version.task, actor=actor, note="another version shadows")
        now = timezone.now()
        deployment = ShadowDeployment.objects.create(
            version=version,
            started_by=actor,
            started_at=now,
            ends_at=now + dt.timedelta(hours=hours),
        )
        note = f"Scoring in shadow for {hours:g} h, until {deployment.ends_at:%Y-%m-%d %H:%M} UTC."
        ModelAuditEntry.objects.create(
            version=version,
            action=Action.SHADOW_STARTED,
            actor=actor,
            note=f"{note} {reason}".strip(),
        )
        ModelComparison.objects.filter(
            pk__in=ModelComparison.objects.filter(candidate=version).values("pk")[:1],
            decision=Decision.WAITING,
        ).update(decision=Decision.SHADOWING)
    logger.info("shadow_started model_version=%s hours=%s", version.label, hours)
    return deployment


def shadow_deployments_end(
    *,
    actor: AbstractBaseUser | None,
    note: str,
    version: ModelVersion | None = None,
    task: str | None = None,
) -> int:
    """End the live deployments of the version (or of the task) now; returns how many."""
    live = shadow_deployments_live()
    live = live.filter(version=version) if version is not None else live.filter(version__task=task)
    ended = 0
    for deployment in live.select_for_update(of=("self",)):
        deployment.stopped_at = timezone.now()
        deployment.save(update_fields=["stopped_at"])
        ModelAuditEntry.objects.create(
            version_id=deployment.version_id,
            action=Action.SHADOW_STOPPED,
            actor=actor,
            note=f"{note}; {_figures_sentence(deployment)}",
        )
        ended += 1
    return ended


def shadow_deployment_stop(
    *, version: ModelVersion, actor: AbstractBaseUser | None
) -> ShadowDeployment:
    """An admin stops the version's shadow scoring early; its comparison waits for an admin
    again. Conflict when it is not scoring in shadow."""
    with transaction.atomic():
        deployment = shadow_deployments_live().filter(version=version).first()
        if deployment is None:
            raise Conflict(f"{version.label} is not scoring in shadow.")
        shadow_deployments_end(version=version, actor=actor, note="stopped by an admin")
        deployment.refresh_from_db()
        _leave_waiting(deployment, actor)
    return deployment


def shadow_sweep(*, now: dt.datetime | None = None) -> int:
    """Deployments whose time is up are closed (stopped_at = ends_at) and their candidates left
    waiting for an admin with the shadow figures in the audit trail. Returns how many. Safe to
    run twice and from two workers (a conditional update claims each)."""
    now = now or timezone.now()
    ended = ShadowDeployment.objects.filter(stopped_at__isnull=True, ends_at__lte=now)
    count = 0
    for deployment in ended.select_related("version"):
        with transaction.atomic():
            claimed = ShadowDeployment.objects.filter(
                pk=deployment.pk, stopped_at__isnull=True
            ).update(stopped_at=deployment.ends_at)
            if not claimed:
                continue
            ModelAuditEntry.objects.create(
                version=deployment.version,
                action=Action.SHADOW_STOPPED,
                note=f"its time was up; {_figures_sentence(deployment)}",
            )
            _leave_waiting(deployment, None)
            count += 1
    return count


def _leave_waiting(deployment: ShadowDeployment, actor: AbstractBaseUser | None) -> None:
    changed = ModelComparison.objects.filter(
        candidate_id=deployment.version_id, decision=Decision.SHADOWING
    ).update(decision=Decision.WAITING)
    if changed:
        ModelAuditEntry.objects.create(
            version_id=deployment.version_id,
            action=Action.PROMOTION_WAITING,
            actor=actor,
            note=f"Shadow scoring ended: {_figures_sentence(deployment)} An admin decides.",
        )


# --- the figures ------------------------------------------------------------------------------


def shadow_report(*, version: ModelVersion) -> dict[str, Any]:
    """The version's newest deployment (or None) and the agreement of its scores with the
    active version's (ml.core.comparison.shadow_agreement over studies both judged)."""
    deployment = ShadowDeployment.objects.filter(version=version).first()
    return {
        "deployment": deployment,
        "agreement": deployment_agreement(deployment) if deployment else _agreement([]),
    }


def deployment_agreement(deployment: ShadowDeployment) -> dict[str, Any]:
    pairs = list(
        deployment.scores.filter(probability__isnull=False, active_probability__isnull=False)
        .order_by("pk")
        .values_list("active_probability", "probability", "active_positive", "positive")
    )
    return _agreement(pairs)


def _agreement(pairs: list[tuple[Any, ...]]) -> dict[str, Any]:
    columns = list(zip(*pairs, strict=True)) if pairs else [(), (), (), ()]
    active, shadow, active_positive, shadow_positive = (np.asarray(c) for c in columns)
    return shadow_agreement(
        active.astype(np.float64),
        shadow.astype(np.float64),
        active_positive.astype(bool),
        shadow_positive.astype(bool),
    )


def _figures_sentence(deployment: ShadowDeployment) -> str:
    agreement = deployment_agreement(deployment)
    if not agreement["n"]:
        return "no study was scored in shadow."
    tau = agreement["kendall_tau"]
    return (
        f"over {agreement['n']} studies the flag would have changed for "
        f"{agreement['flag_changes']} ({agreement['newly_flagged']} newly flagged, "
        f"{agreement['unflagged']} unflagged); order agreement Kendall tau "
        f"{'n/a' if tau is None else f'{tau:.2f}'}, top-10 overlap "
        f"{agreement['top10_overlap']:.0%}."
    )


# --- scoring ----------------------------------------------------------------------------------


def shadow_scoring_request(
    *,
    study_id: int,
    task: str,
    active_version_id: int,
    active_probability: float | None,
    active_positive: bool | None,
) -> bool:
    """Triage calls this after the active version scored a study: when a deployment of the
    task is live, the shadow candidate scores the study too (a task on the inference queue).
    Never raises: a failure here must not fail the active scoring. True when sent."""
    from ml.shadow_tasks import shadow_score_task

    try:
        deployment = shadow_deployment_live(task=task)
        if deployment is None or deployment.version_id == active_version_id:
            return False
        shadow_score_task.apply_async(
            (deployment.pk, study_id, active_version_id, active_probability, active_positive),
            retry=False,
        )
    except Exception:  # the shadow figures are a sample; the worklist must go on
        logger.warning("shadow_score_not_sent study_id=%s", study_id, exc_info=True)
        return False
    return True


def shadow_score(
    *,
    deployment_id: int,
    study_id: int,
    active_version_id: int | None,
    active_probability: float | None,
    active_positive: bool | None,
) -> ShadowScore | None:
    """Score the study with the deployment's version and store it beside the active result.

    Idempotent per (deployment, study): a stored score is returned as it is. None when the
    deployment is no longer live or its weights do not load (the version is then marked
    failed and no later study is scored by it).
    """
    existing = ShadowScore.objects.filter(deployment_id=deployment_id, study_id=study_id).first()
    if existing is not None:
        return existing
    deployment = shadow_deployments_live().filter(pk=deployment_id).first()
    if deployment is None or deployment.version.load_error:
        return None
    version = deployment.version
    try:
        probability = _study_probability(version, study_id)
    except WeightsUnavailable as exc:
        model_version_mark_load_failed(version_id=version.pk, error=str(exc))
        return None
    score, _created = ShadowScore.objects.get_or_create(
        deployment=deployment,
        study_id=study_id,
        defaults={
            "probability": probability,
            "positive": None if probability is None else probability >= version.threshold,
            "active_version_id": active_version_id,
            "active_probability": active_probability,
            "active_positive": active_positive,
            "scored_at": timezone.now(),
        },
    )
    logger.info(
        "shadow_scored study_id=%s model_version=%s judged=%s",
        study_id,
        version.label,
        probability is not None,
    )
    return score


def _study_probability(version: ModelVersion, study_id: int) -> float | None:
    """The highest calibrated probability over the study's applicable frames (None: the model
    could not judge any), as triage's study-level finding is."""
    from ml.core.chest_xray import ChestXrayConfig, NotApplicableImage
    from ml.core.inference import score_datasets

    inference = inference_for(version)
    config = ChestXrayConfig(spec=inference.spec)
    datasets = []
    instances = Instance.objects.filter(series__study_id=study_id).order_by("id").only("file")
    for instance in instances:
        with default_storage.open(instance.file.name, "rb") as fp:
            if config.eligibility(pydicom.dcmread(fp, stop_before_pixels=True)):
                continue
            fp.seek(0)
            datasets.append(pydicom.dcmread(io.BytesIO(fp.read())))
    with predicting():
        results = score_datasets(datasets, inference=inference, config=config)
    scores = [
        item.calibrated
        for items in results
        for item in items
        if not isinstance(item, NotApplicableImage)
    ]
    return max(scores) if scores else None
