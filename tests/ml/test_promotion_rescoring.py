"""After a promotion or a rollback through the API, the studies waiting on the worklist are
scored again by the version now active (the registry's signal, the triage sweep on a real
worker)."""

from __future__ import annotations

import pytest

from tests.processes import wait_until
from tests.triage.conftest import register, small_model_file  # noqa: F401 - a fixture
from tests.triage.studies import waiting_study
from triage.models import StudyScoring

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def scoring_requested(study, version) -> bool:
    return StudyScoring.objects.filter(study=study, model_version=version).exists()


def test_a_promotion_requests_scoring_of_waiting_studies_by_the_new_version(
    celery_worker,
    small_model_file,  # noqa: F811
    client_for,
):
    old = register(small_model_file)
    new = register(small_model_file, activate=False)
    studies = [waiting_study(0), waiting_study(1)]
    assert all(scoring_requested(study, old) for study in studies)

    promoted = client_for("admin").post(f"/api/models/{new.pk}/activate", {}, format="json")

    assert promoted.status_code == 200
    for study in studies:
        wait_until(lambda s=study: scoring_requested(s, new), what="a scoring by the new version")


def test_a_rollback_requests_scoring_of_waiting_studies_by_the_previous_version(
    celery_worker,
    small_model_file,  # noqa: F811
    client_for,
):
    admin = client_for("admin")
    previous = register(small_model_file)
    current = register(small_model_file, activate=False)
    assert admin.post(f"/api/models/{current.pk}/activate", {}, format="json").status_code == 200
    study = waiting_study(2)
    assert scoring_requested(study, current) and not scoring_requested(study, previous)

    rolled = admin.post(
        "/api/models/rollback", {"task": previous.task, "note": "undo"}, format="json"
    )

    assert rolled.status_code == 200 and rolled.json()["id"] == previous.pk
    wait_until(lambda: scoring_requested(study, previous), what="a scoring by the previous version")
