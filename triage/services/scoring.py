"""Scoring a study with the active model: request, score (the inference task's work), fail, sweep.

The StudyScoring row is the source of truth, not the broker: work is claimed with a conditional
update (queued -> running), results are stored under (study, model version), and a periodic sweep
re-queues work whose worker died and re-sends messages that never reached a worker.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pydicom
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from archive.models import Instance, Study
from ml.models import ModelVersion
from ml.runtime import WeightsUnavailable, inference_for, predicting
from ml.selectors import model_version_active
from ml.services import model_version_mark_load_failed
from ml.shadow import shadow_scoring_request
from triage.models import ImageFinding, StudyScoring, WorklistEntry
from triage.services.worklist import TRIAGE_TASK, worklist_entry_place

if TYPE_CHECKING:
    from ml.core.inference import ChestXrayInference, FrameScore

logger = logging.getLogger(__name__)


def study_triage_start(*, study_id: int) -> None:
    """A study became stable: ask the active model to score it and put it on the worklist."""
    study_scoring_request(study_id=study_id)
    worklist_entry_place(study_id=study_id)


def study_scoring_request(*, study_id: int) -> StudyScoring | None:
    """Queue scoring of the study by the active model, unless done for its current instances.

    Returns the scoring, or None when there is no usable active model (the worklist is then
    first-in-first-out). The task message is sent after commit; if the broker is down the row
    stays queued and unsent, and the sweep sends it later. Callers re-place the study on the
    worklist (its AI part is now "pending"). Safe to repeat.
    """
    active = model_version_active(task=TRIAGE_TASK)
    if active is None or active.load_error:
        return None
    now = timezone.now()
    with transaction.atomic():
        study = Study.objects.select_for_update().get(pk=study_id)
        scoring, created = StudyScoring.objects.get_or_create(
            study=study,
            model_version=active,
            defaults={"queued_at": now, "num_instances": study.num_instances},
        )
        finished = scoring.status not in (StudyScoring.Status.QUEUED, StudyScoring.Status.RUNNING)
        if not created and finished and scoring.num_instances != study.num_instances:
            # More images arrived after it was scored: score the whole study again.
            scoring.status = StudyScoring.Status.QUEUED
            scoring.num_instances = study.num_instances
            scoring.queued_at, scoring.sent_at, scoring.error = now, None, ""
            scoring.save(update_fields=["status", "num_instances", "queued_at", "sent_at", "error"])
        elif not created:
            return scoring
        scoring_id = scoring.pk
        transaction.on_commit(lambda: scoring_send(scoring_id=scoring_id))
    return scoring


def scoring_send(*, scoring_id: int) -> bool:
    """Hand the scoring to the inference queue; False (and logged) when the broker is down."""
    from triage.tasks import study_score_task

    try:
        study_score_task.apply_async((scoring_id,), retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: the sweep sends it again
        logger.warning("scoring_not_sent scoring_id=%s (broker unavailable)", scoring_id)
        return False
    StudyScoring.objects.filter(pk=scoring_id).update(sent_at=timezone.now())
    return True


def study_score(*, scoring_id: int) -> str | None:
    """Score the study's images with the scoring's model version and place it on the worklist.

    Claims the row (queued -> running); returns None when another run has it or it is finished,
    else the final status. Not-applicable images get their reason, not a failure. If the weights
    will not load, the version is marked failed (scoring pauses, the worklist falls back to
    first-in-first-out) and the row goes back to queued. Transient errors (storage, database)
    put the row back to queued and propagate, for the task to retry. Safe to run twice.
    """
    if not _claim(scoring_id):
        return None
    scoring = StudyScoring.objects.select_related("model_version").get(pk=scoring_id)
    version = scoring.model_version
    try:
        inference = inference_for(version)
    except WeightsUnavailable as exc:
        model_version_mark_load_failed(version_id=version.pk, error=str(exc))
        _release(scoring_id)
        worklist_entry_place(study_id=scoring.study_id)
        return StudyScoring.Status.QUEUED
    try:
        findings = _findings_compute(scoring, inference)
    except BaseException:
        _release(scoring_id)
        raise
    return _scoring_finish(scoring, findings)


def _claim(scoring_id: int) -> bool:
    # The images this run will see; more arriving later make the sweep or the next stable
    # transition score again.
    num_instances = (
        Study.objects.filter(scorings__pk=scoring_id)
        .values_list("num_instances", flat=True)
        .first()
    )
    if num_instances is None:
        return False
    return bool(
        StudyScoring.objects.filter(pk=scoring_id, status=StudyScoring.Status.QUEUED).update(
            status=StudyScoring.Status.RUNNING,
            claimed_at=timezone.now(),
            attempts=F("attempts") + 1,
            num_instances=num_instances,
        )
    )


def _release(scoring_id: int) -> None:
    StudyScoring.objects.filter(pk=scoring_id, status=StudyScoring.Status.RUNNING).update(
        status=StudyScoring.Status.QUEUED, claimed_at=None
    )


def _findings_compute(scoring: StudyScoring, inference: ChestXrayInference) -> list[ImageFinding]:
    """Judge every image of the study; heatmaps are written to storage on the way."""
    from ml.core.chest_xray import ChestXrayConfig, NotApplicableImage
    from ml.core.inference import score_datasets

    config = ChestXrayConfig(spec=inference.spec)
    findings: list[ImageFinding] = []
    eligible: list[tuple[int, pydicom.Dataset]] = []
    instances = Instance.objects.filter(series__study_id=scoring.study_id).order_by(
        "series__series_number", "series_id", "instance_number", "id"
    )
    for instance in instances.only("id", "file"):
        with default_storage.open(instance.file.name, "rb") as fp:
            # The header decides eligibility: a CT series is set aside without reading pixels.
            reason = config.eligibility(pydicom.dcmread(fp, stop_before_pixels=True))
            if reason:
                findings.append(_not_applicable(scoring, instance.pk, 1, reason))
                continue
            fp.seek(0)
            eligible.append((instance.pk, pydicom.dcmread(io.BytesIO(fp.read()))))
    with predicting():
        results = score_datasets([ds for _, ds in eligible], inference=inference, config=config)
    for (instance_id, _dataset), items in zip(eligible, results, strict=True):
        for item in items:
            if isinstance(item, NotApplicableImage):
                findings.append(
                    _not_applicable(scoring, instance_id, item.frame_number or 1, item.reason)
                )
            else:
                findings.append(_scored(scoring, instance_id, item))
    return findings


def _scored(scoring: StudyScoring, instance_id: int, score: FrameScore) -> ImageFinding:
    from ml.core.inference import heatmap_png

    name = f"heatmaps/scoring-{scoring.pk}/instance-{instance_id}-{score.frame_number}.png"
    default_storage.delete(name)  # a retried run writes the same name
    stored = default_storage.save(name, ContentFile(heatmap_png(score.heatmap)))
    return ImageFinding(
        scoring=scoring,
        instance_id=instance_id,
        frame_number=score.frame_number,
        applicable=True,
        probability=score.probability,
        urgency=score.calibrated,
        positive=score.calibrated >= scoring.model_version.threshold,
        heatmap=stored,
    )


def _not_applicable(
    scoring: StudyScoring, instance_id: int, frame_number: int, reason: str
) -> ImageFinding:
    return ImageFinding(
        scoring=scoring,
        instance_id=instance_id,
        frame_number=frame_number,
        applicable=False,
        reason=reason[:256],
    )


def _scoring_finish(scoring: StudyScoring, findings: list[ImageFinding]) -> str:
    scored = [finding for finding in findings if finding.applicable]
    top = max(scored, key=lambda finding: finding.urgency or 0.0, default=None)
    status = StudyScoring.Status.DONE if top else StudyScoring.Status.NOT_APPLICABLE
    reasons = sorted({finding.reason for finding in findings if not finding.applicable})
    with transaction.atomic():
        ImageFinding.objects.filter(scoring=scoring).delete()
        ImageFinding.objects.bulk_create(findings)
        changed = StudyScoring.objects.filter(
            pk=scoring.pk, status=StudyScoring.Status.RUNNING
        ).update(
            status=status,
            finished_at=timezone.now(),
            probability=top.probability if top else None,
            urgency=top.urgency if top else None,
            positive=top.positive if top else None,
            threshold=scoring.model_version.threshold,
            num_images_scored=len(scored),
            num_images_not_applicable=len(findings) - len(scored),
            error="; ".join(reasons)[:2000] if not top else "",
        )
        if changed:
            worklist_entry_place(study_id=scoring.study_id)
            transaction.on_commit(lambda: _shadow_request(scoring, top))
    logger.info(
        "study_scored scoring_id=%s study_id=%s model_version=%s status=%s images=%s",
        scoring.pk,
        scoring.study_id,
        scoring.model_version.label,
        status,
        len(findings),
    )
    return status


def _shadow_request(scoring: StudyScoring, top: ImageFinding | None) -> None:
    """A candidate scoring in shadow (ml/shadow.py) scores the study too; never raises."""
    shadow_scoring_request(
        study_id=scoring.study_id,
        task=scoring.model_version.task,
        active_version_id=scoring.model_version_id,
        active_probability=top.urgency if top else None,
        active_positive=top.positive if top else None,
    )


def study_scoring_fail(*, scoring_id: int, error: str) -> None:
    """Record a final failure (retries exhausted or a bug); the study keeps its unscored place."""
    StudyScoring.objects.filter(pk=scoring_id).exclude(status=StudyScoring.Status.DONE).update(
        status=StudyScoring.Status.FAILED, finished_at=timezone.now(), error=error[:2000]
    )
    study_id = StudyScoring.objects.filter(pk=scoring_id).values_list("study_id", flat=True).first()
    if study_id is not None:
        worklist_entry_place(study_id=study_id)
    logger.error("scoring_failed scoring_id=%s", scoring_id)


@dataclass
class SweepReport:
    requeued_stale: int = 0
    placed_missed: int = 0
    requested: int = 0
    sent: int = 0


def scorings_sweep(*, batch_size: int = 500) -> SweepReport:
    """Recover lost work; run periodically. The database decides what is owed:

    - scorings claimed longer ago than TRIAGE_SCORING_STALE_SECONDS (their worker died) go back
      to queued;
    - stable studies missing from the worklist (the stable signal was lost) are placed;
    - waiting studies with no up-to-date scoring by the active model are requested (a new model
      was activated, or images arrived after scoring);
    - queued scorings whose message never went out, or went out longer ago than
      TRIAGE_SCORING_RESEND_SECONDS, are sent (a duplicate message is harmless: the claim
      lets one run through).
    """
    report = SweepReport()
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.TRIAGE_SCORING_STALE_SECONDS)
    report.requeued_stale = StudyScoring.objects.filter(
        status=StudyScoring.Status.RUNNING, claimed_at__lt=stale
    ).update(status=StudyScoring.Status.QUEUED, claimed_at=None, sent_at=None)
    missed = Study.objects.filter(status=Study.Status.STABLE, worklist_entry__isnull=True)
    for study_id in missed.values_list("pk", flat=True)[:batch_size]:
        study_triage_start(study_id=study_id)
        report.placed_missed += 1
    report.requested = scorings_request_owed(batch_size=batch_size)
    active = model_version_active(task=TRIAGE_TASK)
    if active is not None and not active.load_error:
        report.sent = _send_unsent(active, now, batch_size)
    return report


def scorings_request_owed(*, batch_size: int = 500) -> int:
    """Request scoring of waiting studies the active model has not scored in their current
    form (a newly activated model, or images that arrived after scoring). Returns how many."""
    active = model_version_active(task=TRIAGE_TASK)
    if active is None or active.load_error:
        return 0
    unscored = WorklistEntry.objects.filter(status=WorklistEntry.Status.WAITING).exclude(
        study__scorings__model_version=active
    )
    outdated = StudyScoring.objects.filter(
        model_version=active,
        status__in=[StudyScoring.Status.DONE, StudyScoring.Status.NOT_APPLICABLE],
        study__worklist_entry__status=WorklistEntry.Status.WAITING,
    ).exclude(num_instances=F("study__num_instances"))
    count = 0
    for queryset in (unscored, outdated):
        for study_id in queryset.values_list("study_id", flat=True)[:batch_size]:
            study_scoring_request(study_id=study_id)
            worklist_entry_place(study_id=study_id)
            count += 1
    return count


def _send_unsent(active: ModelVersion, now: dt.datetime, batch_size: int) -> int:
    resend = now - dt.timedelta(seconds=settings.TRIAGE_SCORING_RESEND_SECONDS)
    owed = StudyScoring.objects.filter(
        model_version=active, status=StudyScoring.Status.QUEUED
    ).filter(Q(sent_at__isnull=True) | Q(sent_at__lt=resend))
    count = 0
    for scoring_id in owed.order_by("queued_at").values_list("pk", flat=True)[:batch_size]:
        count += scoring_send(scoring_id=scoring_id)
    return count
