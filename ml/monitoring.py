"""Monitoring the models in use: per version, what readers said about its answers, how its
scores on incoming studies compare with its scores on the fixed test set (drift), and how
often it could not judge a study.

Counting is done by the database: one grouped query for the reads, one for the scorings and
one for the score distribution (scores grouped to 0.001, so at most 1,000 rows per version
come back however many studies were scored).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, F, IntegerField, Q
from django.db.models.functions import Cast, Floor, Least
from django.utils import timezone

from ml.core.comparison import score_drift
from ml.models import ModelEvaluation, ModelVersion
from triage.models import StudyRead, StudyScoring, WorklistEntry

DEFAULT_DAYS = 30
DRIFT_BINS = 10
# Incoming scores are grouped to this resolution by the database (exact for the 10 bins; the
# KS statistic is off by at most the share of scores within one such step).
SCORE_STEPS = 1000

_POSITIVE, _NEGATIVE = WorklistEntry.AiStatus.POSITIVE, WorklistEntry.AiStatus.NEGATIVE
_RIGHT, _WRONG = StudyRead.Verdict.AI_RIGHT, StudyRead.Verdict.AI_WRONG
_DONE, _NOT_APPLICABLE = StudyScoring.Status.DONE, StudyScoring.Status.NOT_APPLICABLE


@dataclass(frozen=True)
class _Window:
    since: dt.datetime
    days: int


def model_monitoring(*, task: str, days: int = DEFAULT_DAYS) -> dict[str, Any]:
    """The monitoring of `task` over the last `days` days, as GET /api/models/monitoring
    returns it: the active version and every version that scored or was read in that time,
    newest first."""
    window = _Window(since=timezone.now() - dt.timedelta(days=days), days=days)
    reads = _read_counts(task, window)
    scorings = _scoring_counts(task, window)
    incoming = _incoming_scores(task, window)
    versions = ModelVersion.objects.filter(task=task).filter(
        Q(is_active=True) | Q(pk__in=set(reads) | set(scorings))
    )
    references = _reference_probabilities(versions)
    return {
        "task": task,
        "days": days,
        "versions": [
            _version_monitoring(
                version,
                reads=reads.get(version.pk, {}),
                scorings=scorings.get(version.pk, {}),
                incoming=incoming.get(version.pk, np.empty(0)),
                reference=references.get(version.pk),
            )
            for version in versions.order_by("-version")
        ],
    }


def _version_monitoring(
    version: ModelVersion,
    *,
    reads: dict[str, int],
    scorings: dict[str, int],
    incoming: np.ndarray,
    reference: list[float] | None,
) -> dict[str, Any]:
    drift = score_drift(np.asarray(reference or [], dtype=np.float64), incoming, bins=DRIFT_BINS)
    note = None
    if reference is None:
        note = "This version has not been evaluated on the test set yet: no reference scores."
    elif not len(incoming):
        note = "This version scored no study in this period."
    not_judged, done = scorings.get("not_applicable", 0), scorings.get("done", 0)
    total = not_judged + done
    return {
        "id": version.pk,
        "version": version.version,
        "is_active": version.is_active,
        "reads": {
            "ai_positive": {
                "confirmed": reads.get("positive_confirmed", 0),
                "refuted": reads.get("positive_refuted", 0),
            },
            "ai_negative": {
                "confirmed": reads.get("negative_confirmed", 0),
                "refuted": reads.get("negative_refuted", 0),
            },
        },
        "scores": {
            "bins": drift["bins"],
            "reference_histogram": drift["reference_histogram"] if reference is not None else None,
            "incoming_histogram": drift["incoming_histogram"],
            "psi": drift["psi"],
            "ks": drift["ks"],
            "n_reference": drift["n_reference"],
            "n_incoming": drift["n_incoming"],
            "note": note,
        },
        "not_judged": {
            "count": not_judged,
            "total": total,
            "share": not_judged / total if total else None,
            "failed": scorings.get("failed", 0),
        },
    }


def _read_counts(task: str, window: _Window) -> dict[int, dict[str, int]]:
    """Per version: reads of studies it flagged / did not flag, with the reader's verdict."""
    rows = (
        StudyRead.objects.filter(
            model_version__task=task,
            read_at__gte=window.since,
            ai_status__in=(_POSITIVE, _NEGATIVE),
        )
        .values("model_version")
        .annotate(
            positive_confirmed=Count("id", filter=Q(ai_status=_POSITIVE, verdict=_RIGHT)),
            positive_refuted=Count("id", filter=Q(ai_status=_POSITIVE, verdict=_WRONG)),
            negative_confirmed=Count("id", filter=Q(ai_status=_NEGATIVE, verdict=_RIGHT)),
            negative_refuted=Count("id", filter=Q(ai_status=_NEGATIVE, verdict=_WRONG)),
        )
    )
    return {row.pop("model_version"): row for row in rows}


def _scoring_counts(task: str, window: _Window) -> dict[int, dict[str, int]]:
    """Per version: its finished scorings by outcome (done, not_applicable, failed)."""
    rows = (
        StudyScoring.objects.filter(model_version__task=task, finished_at__gte=window.since)
        .values("model_version")
        .annotate(
            done=Count("id", filter=Q(status=_DONE)),
            not_applicable=Count("id", filter=Q(status=_NOT_APPLICABLE)),
            failed=Count("id", filter=Q(status=StudyScoring.Status.FAILED)),
        )
    )
    return {row.pop("model_version"): row for row in rows}


def _incoming_scores(task: str, window: _Window) -> dict[int, np.ndarray]:
    """Per version: the calibrated scores (urgency) of the studies it judged, rebuilt from the
    database's counts per 0.001 step (each step's scores stand at its middle)."""
    step = Least(
        Cast(Floor(F("urgency") * SCORE_STEPS), IntegerField()),
        SCORE_STEPS - 1,
        output_field=IntegerField(),
    )
    rows = (
        StudyScoring.objects.filter(
            model_version__task=task,
            finished_at__gte=window.since,
            status=_DONE,
            urgency__isnull=False,
        )
        .annotate(step=step)
        .values("model_version", "step")
        .annotate(count=Count("id"))
        .order_by()
    )
    grouped: dict[int, tuple[list[int], list[int]]] = {}
    for row in rows:
        steps, counts = grouped.setdefault(row["model_version"], ([], []))
        steps.append(row["step"])
        counts.append(row["count"])
    return {
        version: np.repeat((np.asarray(steps) + 0.5) / SCORE_STEPS, counts)
        for version, (steps, counts) in grouped.items()
    }


def _reference_probabilities(versions: Any) -> dict[int, list[float]]:
    """Per version: its calibrated probabilities on the fixed test set (its newest evaluation)."""
    references: dict[int, list[float]] = {}
    evaluations = ModelEvaluation.objects.filter(version__in=versions).order_by(
        "version_id", "-created_at"
    )
    for evaluation in evaluations.only("version_id", "probabilities"):
        references.setdefault(evaluation.version_id, evaluation.probabilities)
    return references
