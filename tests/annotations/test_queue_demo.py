"""An annotator on a fresh demo gets a case: the demo's wrapped chest X-rays are eligible for
pool scoring, and the first model's promotion is what scores them."""

from __future__ import annotations

from unittest import mock

import pytest

from archive.services.demo import pneumonia_studies_load
from ml.pool_tasks import pool_score, pool_score_task
from tests.triage import conftest as triage_fixtures
from tests.triage.conftest import register
from tests.triage.studies import NPZ

pytestmark = pytest.mark.django_db
small_model_file = triage_fixtures.small_model_file


def test_an_annotator_has_demo_images_to_label_once_the_first_model_is_active(
    small_model_file, client_for, django_capture_on_commit_callbacks
):
    pneumonia_studies_load(npz_path=NPZ, count=6)
    annotator = client_for("annotator")
    assert annotator.post("/api/annotate/next", {}, format="json").status_code == 204

    with (
        mock.patch.object(pool_score_task, "apply_async", autospec=True) as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        register(small_model_file)  # what train_initial_model does at the end
    send.assert_called_once()
    pool_score(**send.call_args.kwargs["kwargs"])  # what the inference worker then runs

    response = annotator.post("/api/annotate/next", {}, format="json")
    assert response.status_code == 200
    assert response.json()["progress"]["batch_size"] == 6
