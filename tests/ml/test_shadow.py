"""Shadow scoring: a candidate scores the studies the active version scored, silently, and the
admin sees how often the flag and the order would have changed. In process (the service called
directly) and end to end with real workers (the triage hook, the inference queue, the API)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from ml.core.spec import Calibration
from ml.models import ShadowDeployment, ShadowScore
from ml.runtime import inference_for
from ml.shadow import shadow_deployment_start, shadow_score
from tests.processes import wait_until
from tests.triage.conftest import (  # noqa: F401 - fixtures
    inference_worker,
    register,
    small_model_file,
)
from tests.triage.studies import score_now, waiting_study
from triage.models import StudyScoring, WorklistEntry

STEEPER = {"slope": 2.0, "intercept": 0.0}


def expected_shadow(raw: float) -> float:
    """What the shadow version (same weights, slope 2) says of an image the active one gave
    `raw` before calibration."""
    return float(Calibration(slope=2.0, intercept=0.0).apply(np.array([raw]))[0])


def active_result(study) -> StudyScoring:
    return StudyScoring.objects.get(study=study, status=StudyScoring.Status.DONE)


@pytest.mark.django_db
def test_the_worker_keeps_the_active_and_the_shadow_version_loaded(small_model_file):  # noqa: F811
    active = register(small_model_file)
    shadow = register(small_model_file, calibration=STEEPER, activate=False)
    third = register(small_model_file, activate=False)

    first, second = inference_for(active), inference_for(shadow)

    # Alternating between the two reloads nothing.
    assert inference_for(active) is first and inference_for(shadow) is second
    assert second.calibration.slope == 2.0
    # A third version makes room by dropping the least recently used one.
    inference_for(third)
    assert inference_for(shadow) is second
    assert inference_for(active) is not first


@pytest.mark.django_db
def test_a_study_is_scored_in_shadow_once_beside_the_active_result(small_model_file):  # noqa: F811
    active = register(small_model_file)
    candidate = register(small_model_file, calibration=STEEPER, threshold=0.9, activate=False)
    deployment = shadow_deployment_start(version=candidate, hours=1, actor=None)
    study = score_now(waiting_study(0))
    scoring = active_result(study)
    args = {
        "deployment_id": deployment.pk,
        "study_id": study.pk,
        "active_version_id": active.pk,
        "active_probability": scoring.urgency,
        "active_positive": scoring.positive,
    }

    first = shadow_score(**args)
    again = shadow_score(**args)

    assert again == first and ShadowScore.objects.count() == 1
    assert first.probability == pytest.approx(expected_shadow(scoring.probability), abs=1e-5)
    assert first.positive == (first.probability >= 0.9)
    assert first.active_version == active
    assert first.active_probability == scoring.urgency
    # The worklist knows nothing of it: the candidate made no scoring of its own.
    assert not StudyScoring.objects.filter(model_version=candidate).exists()


@pytest.mark.django_db
def test_nothing_is_scored_in_shadow_once_the_deployment_is_over(small_model_file):  # noqa: F811
    active = register(small_model_file)
    candidate = register(small_model_file, calibration=STEEPER, activate=False)
    deployment = shadow_deployment_start(version=candidate, hours=1, actor=None)
    ShadowDeployment.objects.filter(pk=deployment.pk).update(
        ends_at=timezone.now() - dt.timedelta(seconds=1)
    )
    study = waiting_study(1)

    result = shadow_score(
        deployment_id=deployment.pk,
        study_id=study.pk,
        active_version_id=active.pk,
        active_probability=0.5,
        active_positive=True,
    )

    assert result is None and not ShadowScore.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_studies_scored_by_the_active_version_are_scored_in_shadow_and_compared(
    celery_worker,
    inference_worker,  # noqa: F811
    small_model_file,  # noqa: F811
    client_for,
):
    active = register(small_model_file)
    candidate = register(small_model_file, calibration=STEEPER, threshold=0.9, activate=False)
    admin = client_for("admin")
    started = admin.post(f"/api/models/{candidate.pk}/shadow", {"hours": 1}, format="json")
    assert started.status_code == 201

    studies = [waiting_study(n) for n in range(5)]
    wait_until(
        lambda: ShadowScore.objects.count() == len(studies),
        what="every study scored in shadow",
        timeout=120,
    )

    shown = admin.get(f"/api/models/{candidate.pk}/shadow").json()
    changed = 0
    for study in studies:
        scoring = active_result(study)
        score = ShadowScore.objects.get(study=study)
        assert score.active_version == active
        assert score.active_probability == pytest.approx(scoring.urgency)
        assert score.probability == pytest.approx(expected_shadow(scoring.probability), abs=1e-5)
        assert score.positive == (score.probability >= 0.9)
        changed += score.positive != score.active_positive
        entry = WorklistEntry.objects.get(study=study)
        assert all(candidate.label not in reason for reason in entry.reasons)
    agreement = shown["agreement"]
    assert shown["deployment"]["stopped_at"] is None
    assert agreement["n"] == len(studies)
    # The stricter threshold only takes flags away, and the order is kept (same weights).
    assert agreement["flag_changes"] == agreement["unflagged"] == changed
    assert agreement["newly_flagged"] == 0
    assert agreement["kendall_tau"] == pytest.approx(1.0)
    assert agreement["top10_overlap"] == 1.0
    assert not StudyScoring.objects.filter(model_version=candidate).exists()
