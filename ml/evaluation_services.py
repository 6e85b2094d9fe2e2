"""Evaluation of versions on the task's fixed test set, the promotion gate, and what admins do
with a candidate: promote, reject, roll back; and the per-task training settings.

A candidate is reviewed once its training run registered it (`candidate_review`): it and the
active version are scored on the same fixed test set (cached per version and test set), their
AUCs are compared by DeLong's paired test, and the gate of the task's TrainingSettings decides:
promote now, score in shadow for a while, or wait for an admin, who reads the gate's reasons.
Every step is written to the version's audit trail with who did it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from config.errors import Conflict, NotFound
from ml.core.comparison import delong_paired, promotion_gate, test_set_metrics
from ml.core.tasks import TASKS
from ml.models import (
    ModelAuditEntry,
    ModelComparison,
    ModelEvaluation,
    ModelVersion,
    TrainingSettings,
)
from ml.runtime import WeightsUnavailable, inference_for, predicting
from ml.selectors import model_version_active
from ml.services import model_version_activate, model_version_mark_load_failed

if TYPE_CHECKING:
    from ml.datasets import TestSet

logger = logging.getLogger(__name__)

Decision = ModelComparison.Decision
Action = ModelAuditEntry.Action
SETTINGS_FIELDS = (
    "target_sensitivity",
    "promotion_margin",
    "auto_promote",
    "shadow_hours",
    "default_mode",
)


# --- settings ---------------------------------------------------------------------------------


def training_settings_get(*, task: str) -> TrainingSettings:
    """The task's settings, created with the defaults on first use (NotFound: unknown task)."""
    if task not in TASKS:
        raise NotFound(f"No task named {task!r}.")
    settings, _created = TrainingSettings.objects.get_or_create(task=task)
    return settings


def training_settings_update(
    *, task: str, actor: AbstractBaseUser | None, **values: Any
) -> TrainingSettings:
    """Change some of the task's settings (the SETTINGS_FIELDS given); validated by the model's
    constraints and `training_settings_validate`. Safe to repeat."""
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"not training settings: {sorted(unknown)}")
    with transaction.atomic():
        settings = training_settings_get(task=task)
        settings = TrainingSettings.objects.select_for_update().get(pk=settings.pk)
        for name, value in values.items():
            setattr(settings, name, value)
        settings.updated_by = actor
        training_settings_validate(settings)
        settings.full_clean()
        settings.save()
    logger.info("training_settings_updated task=%s fields=%s", task, sorted(values))
    return settings


def training_settings_validate(settings: TrainingSettings) -> None:
    """Field errors for values outside their ranges (ValidationError by field)."""
    errors: dict[str, str] = {}
    if not 0 < settings.target_sensitivity <= 1:
        errors["target_sensitivity"] = "The target sensitivity is above 0 and at most 1."
    if not 0 <= settings.promotion_margin <= 0.2:
        errors["promotion_margin"] = "The margin is between 0 and 0.2 (an AUC difference)."
    if not 0 <= settings.shadow_hours <= 720:
        errors["shadow_hours"] = "Shadow scoring lasts between 0 and 720 hours (30 days)."
    if errors:
        raise ValidationError(errors)


# --- evaluation -------------------------------------------------------------------------------


def model_version_evaluate(*, version: ModelVersion, test_set: TestSet) -> ModelEvaluation:
    """The version's calibrated probabilities and metrics (at its own threshold) on `test_set`.

    Cached per (version, test set fingerprint): a second call returns the stored row without
    scoring. Two workers racing both score, one row is kept. Raises WeightsUnavailable when
    the weights do not load.
    """
    cached = ModelEvaluation.objects.filter(version=version, test_set_sha256=test_set.sha256)
    if (evaluation := cached.first()) is not None:
        return evaluation
    labels = np.asarray(test_set.labels)
    if not len(labels):
        raise Conflict(f"The fixed test set of {version.task} has no images to evaluate on.")
    # Rounded before any figure is computed: the paired comparison later reads the stored
    # (rounded) scores, and the version's own AUC must be the one that comparison sees.
    probabilities = np.round(_predict(version, test_set.images), 6)
    metrics = test_set_metrics(labels, probabilities, version.threshold)
    with transaction.atomic():
        evaluation, created = ModelEvaluation.objects.get_or_create(
            version=version,
            test_set_sha256=test_set.sha256,
            defaults={
                "size": len(labels),
                "positives": int(labels.sum()),
                "probabilities": [float(p) for p in probabilities],
                "metrics": metrics,
            },
        )
        if created:
            ModelAuditEntry.objects.create(
                version=version, action=Action.EVALUATED, note=_evaluation_note(evaluation)
            )
    logger.info(
        "model_evaluated model_version=%s test_set=%s n=%s",
        version.label,
        test_set.sha256[:12],
        len(labels),
    )
    return evaluation


def _predict(version: ModelVersion, images: np.ndarray) -> np.ndarray:
    inference = inference_for(version)
    with predicting():
        return np.asarray(inference.predict(images).calibrated, dtype=np.float64)


def _evaluation_note(evaluation: ModelEvaluation) -> str:
    metrics = evaluation.metrics
    auc = "n/a" if metrics.get("auc") is None else f"{metrics['auc']:.3f}"
    return (
        f"On the fixed test set ({evaluation.size} images, {evaluation.positives} positive): "
        f"AUC {auc}, sensitivity {_figure(metrics.get('sensitivity'))}, "
        f"specificity {_figure(metrics.get('specificity'))} at threshold "
        f"{_figure(metrics.get('threshold'))}."
    )


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


# --- review: the gate and its decision --------------------------------------------------------


def candidate_review(
    *,
    candidate: ModelVersion,
    actor: AbstractBaseUser | None = None,
    test_set: TestSet | None = None,
) -> ModelComparison:
    """Compare the candidate with the task's active version on the fixed test set and act.

    Both are evaluated (cached rows) on `test_set` (default: ml.datasets.fixed_test_set of the
    task); the difference is DeLong's paired test; the gate is promotion_gate with the task's
    margin. Then: passed, auto_promote on and no shadow time -> activated now (auto_promoted);
    passed with shadow_hours > 0 -> a ShadowDeployment for that long (shadowing; when it ends
    the shadow sweep leaves it waiting for an admin with the shadow figures, since agreement
    with the active version says nothing about who is right); otherwise waiting, with the
    reasons in the audit trail. When the candidate is already the active version, the
    baseline is the version active before it and nothing is changed. Each call stores a new
    comparison (the newest is the one shown). Raises WeightsUnavailable when the candidate's
    weights will not load; an active version whose weights will not load leaves it waiting.
    """
    settings = training_settings_get(task=candidate.task)
    baseline = _baseline_of(candidate)
    ours_set = test_set or _test_set(candidate)
    ours = model_version_evaluate(version=candidate, test_set=ours_set)
    theirs, unloadable = _baseline_evaluate(baseline, candidate, ours_set, test_set)
    difference = _difference(np.asarray(ours_set.labels), ours, theirs)
    margin = settings.promotion_margin
    if unloadable:
        gate = {"passed": False, "reasons": [unloadable], "margin": margin}
    else:
        baseline_metrics = theirs.metrics if theirs else None
        gate = promotion_gate(
            candidate=ours.metrics, baseline=baseline_metrics, difference=difference, margin=margin
        )
    with transaction.atomic():
        comparison = ModelComparison.objects.create(
            candidate=candidate,
            baseline=baseline,
            test_set_sha256=ours.test_set_sha256,
            difference=difference or {},
            gate=gate,
            decision=Decision.WAITING,
        )
        comparison.decision = _decide(candidate, comparison, settings, actor)
        comparison.save(update_fields=["decision"])
    logger.info(
        "candidate_reviewed model_version=%s baseline=%s passed=%s decision=%s",
        candidate.label,
        baseline.label if baseline else None,
        gate["passed"],
        comparison.decision,
    )
    return comparison


def _baseline_of(candidate: ModelVersion) -> ModelVersion | None:
    active = model_version_active(task=candidate.task)
    if active is not None and active.pk != candidate.pk:
        return active
    if candidate.is_active:
        return _previously_active(candidate)
    return None


def _baseline_evaluate(
    baseline: ModelVersion | None,
    candidate: ModelVersion,
    candidate_set: TestSet,
    given: TestSet | None,
) -> tuple[ModelEvaluation | None, str]:
    """The baseline's evaluation, or why there is none to compare with: weights that will not
    load are recorded as the scoring worker would (triage pauses with it) and the candidate
    waits for an admin, who may promote it to replace the broken version."""
    if baseline is None:
        return None, ""
    same_input = given is not None or baseline.input_spec == candidate.input_spec
    try:
        evaluation = model_version_evaluate(
            version=baseline, test_set=candidate_set if same_input else _test_set(baseline)
        )
    except WeightsUnavailable as exc:
        model_version_mark_load_failed(version_id=baseline.pk, error=str(exc))
        return None, f"The active version could not be evaluated: {exc}"
    return evaluation, ""


def _test_set(version: ModelVersion) -> TestSet:
    """The task's fixed test set prepared for the version's input: versions of different input
    sizes see the same images (same keys, same fingerprint), each at its own size. Cached per
    process and spec by ml.datasets for the seed part."""
    from ml.core.spec import InputSpec
    from ml.datasets import fixed_test_set

    return fixed_test_set(version.task, spec=InputSpec.from_dict(version.input_spec))


def _difference(
    labels: np.ndarray, ours: ModelEvaluation, theirs: ModelEvaluation | None
) -> dict[str, Any] | None:
    if theirs is None or ours.metrics.get("auc") is None or theirs.metrics.get("auc") is None:
        return None
    if theirs.test_set_sha256 != ours.test_set_sha256:
        raise Conflict("The test set changed while the versions were evaluated; try again.")
    paired = delong_paired(
        labels,
        np.asarray(ours.probabilities, dtype=np.float64),
        np.asarray(theirs.probabilities, dtype=np.float64),
    )
    return {"auc": paired["difference"], **paired}


def _decide(
    candidate: ModelVersion,
    comparison: ModelComparison,
    settings: TrainingSettings,
    actor: AbstractBaseUser | None,
) -> str:
    from ml.shadow import shadow_deployment_start

    gate = comparison.gate
    reasons = " ".join(gate["reasons"])
    if candidate.is_active:
        previous = candidate.comparisons.exclude(pk=comparison.pk).first()
        return previous.decision if previous else Decision.PROMOTED
    if gate["passed"] and settings.shadow_hours > 0:
        shadow_deployment_start(
            version=candidate, hours=settings.shadow_hours, actor=actor, reason=reasons
        )
        return Decision.SHADOWING
    if gate["passed"] and settings.auto_promote:
        model_version_activate(
            version=candidate, actor=actor, note=f"promoted automatically: {reasons}"
        )
        return Decision.AUTO_PROMOTED
    if gate["passed"]:
        reasons = f"{reasons} Automatic promotion is off for {candidate.task}."
    ModelAuditEntry.objects.create(
        version=candidate, action=Action.PROMOTION_WAITING, actor=actor, note=reasons
    )
    return Decision.WAITING


def comparison_latest(*, version: ModelVersion) -> ModelComparison | None:
    """The version's newest comparison (the one its page shows), or None."""
    return (
        ModelComparison.objects.filter(candidate=version)
        .select_related("candidate", "baseline")
        .first()
    )


def comparison_evaluations(
    comparison: ModelComparison,
) -> tuple[ModelEvaluation | None, ModelEvaluation | None]:
    """The candidate's and the baseline's evaluations the comparison was made on."""
    rows = {
        row.version_id: row
        for row in ModelEvaluation.objects.filter(
            test_set_sha256=comparison.test_set_sha256,
            version_id__in=[comparison.candidate_id, comparison.baseline_id],
        )
    }
    return rows.get(comparison.candidate_id), rows.get(comparison.baseline_id)


# --- what admins do ---------------------------------------------------------------------------


def model_version_promote(
    *, version: ModelVersion, actor: AbstractBaseUser | None, note: str = ""
) -> ModelVersion:
    """Make the version active (waiting studies and the annotation pool are re-scored by it),
    end its shadow scoring and mark its newest comparison promoted. Safe to repeat."""
    from ml.shadow import shadow_deployments_end

    with transaction.atomic():
        version = model_version_activate(version=version, actor=actor, note=note)
        shadow_deployments_end(version=version, actor=actor, note="promoted")
        _comparison_mark(version, Decision.PROMOTED)
    return version


def model_version_reject(
    *, version: ModelVersion, actor: AbstractBaseUser | None, note: str = ""
) -> ModelVersion:
    """An admin dismisses a candidate: its shadow scoring ends, its newest comparison says
    rejected, and rollback never returns to it. Conflict for the active version."""
    from ml.shadow import shadow_deployments_end

    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=version.pk)
        if version.is_active:
            raise Conflict(f"{version.label} is active: activate or roll back to another first.")
        shadow_deployments_end(version=version, actor=actor, note="rejected")
        _comparison_mark(version, Decision.REJECTED)
        ModelAuditEntry.objects.create(
            version=version, action=Action.REJECTED, actor=actor, note=note
        )
    logger.info("model_rejected model_version=%s", version.label)
    return version


def model_version_rollback(
    *, task: str, actor: AbstractBaseUser | None, note: str = ""
) -> ModelVersion:
    """Activate the version that was active before the current one (Conflict when there is
    none, or no active version). Versions rejected since, or that failed to load, are
    skipped. Waiting studies and the annotation pool are re-scored by it."""
    with transaction.atomic():
        current = ModelVersion.objects.select_for_update().filter(task=task, is_active=True).first()
        if current is None:
            raise Conflict(f"{task} has no active version to roll back from.")
        previous = _previously_active(current)
        if previous is None:
            raise Conflict(f"No version of {task} was active before {current.label}.")
        text = f"rolled back from {current.label}" + (f": {note}" if note else "")
        return model_version_activate(version=previous, actor=actor, note=text)


def _previously_active(current: ModelVersion) -> ModelVersion | None:
    """The newest version other than `current` that was activated before current's latest
    activation, skipping rejected and unloadable ones."""
    activated = ModelAuditEntry.objects.filter(
        version__task=current.task, action=Action.ACTIVATED
    ).select_related("version")
    since = activated.filter(version=current).first()
    if since is not None:
        activated = activated.filter(id__lt=since.id)
    for entry in activated.exclude(version=current):
        version = entry.version
        if version.load_error or _rejected(version):
            continue
        return version
    return None


def _rejected(version: ModelVersion) -> bool:
    last = version.audit.filter(action__in=[Action.REJECTED, Action.ACTIVATED]).first()
    return last is not None and last.action == Action.REJECTED


def _comparison_mark(version: ModelVersion, decision: str) -> None:
    latest = ModelComparison.objects.filter(candidate=version).first()
    if latest is not None and latest.decision != decision:
        latest.decision = decision
        latest.save(update_fields=["decision"])
