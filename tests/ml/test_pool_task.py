"""Pool scoring (ml/pool_tasks.py): the active version scores eligible unlabelled images only,
once per version, and a promotion sends a new run."""

from __future__ import annotations

import math
from unittest import mock

import numpy as np
import pydicom
import pytest
from django.core.files.storage import default_storage

from annotations.models import AnnotationBatch, AnnotationCase, ImageScore, Label
from annotations.services.labels import label_record
from archive.models import Instance
from ml.core.tasks import CHEST_XRAY_PNEUMONIA
from ml.pool_tasks import pool_score
from tests.triage import conftest as triage_fixtures
from tests.triage.conftest import register
from tests.triage.studies import chest_images, dx_bytes, store

pytestmark = pytest.mark.django_db
TASK = CHEST_XRAY_PNEUMONIA.name
# The triage tests' small trained model, registered active.
small_model_file = triage_fixtures.small_model_file
active_model = triage_fixtures.active_model


def image_of(study) -> Instance:
    return Instance.objects.get(series__study=study)


@pytest.fixture
def archive_pool():
    """Two eligible unlabelled images, and one each that pool scoring must leave alone: not the
    chest, labelled (a radiologist's study-level read), already in an annotation case."""
    images = chest_images()
    eligible = [image_of(store(dx_bytes(images[n]))) for n in (0, 1)]
    abdomen = image_of(store(dx_bytes(images[2], BodyPartExamined="ABDOMEN")))
    labelled_study = store(dx_bytes(images[3]))
    label_record(
        task=TASK,
        study=labelled_study,
        value=CHEST_XRAY_PNEUMONIA.positive_class.key,
        source=Label.Source.SEED,
        author=None,
    )
    in_case = image_of(store(dx_bytes(images[4])))
    batch = AnnotationBatch.objects.create(
        task=TASK, strategy="random", pool_size=1, size=1, labels_required=1
    )
    AnnotationCase.objects.create(
        task=TASK,
        pseudonym="c0ffee",
        batch=batch,
        rank=0,
        study=in_case.series.study,
        instance=in_case,
        strategy="random",
        labels_required=1,
    )
    return {"eligible": eligible, "left_alone": [abdomen, image_of(labelled_study), in_case]}


def test_it_stores_figures_for_eligible_unlabelled_images_only(active_model, archive_pool):
    run = pool_score(task=TASK)

    scores = list(ImageScore.objects.filter(task=TASK))
    assert {score.instance_id for score in scores} == {i.pk for i in archive_pool["eligible"]}
    assert {score.model_version_id for score in scores} == {active_model.pk}
    assert run.stored == 2 and run.not_eligible == 1
    for score in scores:
        p = score.probability
        assert 0.0 <= p <= 1.0 and score.frame_number == 1
        assert math.isclose(score.margin, abs(2 * p - 1), abs_tol=1e-6)
        assert 0.0 <= score.entropy <= math.log(2) + 1e-9
        assert 0.0 <= score.mc_mean <= 1.0 and score.mc_variance >= 0.0 and score.bald >= 0.0
        vector = np.frombuffer(bytes(score.embedding), dtype="<f4")
        assert score.embedding_dim > 0 and vector.shape == (score.embedding_dim,)
        assert np.isfinite(vector).all()


def test_it_stores_a_box_around_the_heatmaps_hot_region(active_model, archive_pool):
    from ml.core.chest_xray import ChestXrayConfig
    from ml.core.preprocessing import centre_square
    from ml.runtime import inference_for

    pool_score(task=TASK)

    inference = inference_for(active_model)
    size = inference.spec.image_size
    for instance in archive_pool["eligible"]:
        box = ImageScore.objects.get(instance=instance).hot_box
        assert box is not None and set(box) == {"x", "y", "width", "height"}
        assert box["x"] >= 0 and box["x"] + box["width"] <= instance.columns
        assert box["y"] >= 0 and box["y"] + box["height"] <= instance.rows
        # On triage's heatmap of the same image (the model input's pixels), the box holds the
        # hot part: hotter inside than outside, and its hottest pixel is hot.
        with default_storage.open(instance.file.name, "rb") as fp:
            prepared = ChestXrayConfig(spec=inference.spec).prepare(pydicom.dcmread(fp))
        heatmap = inference.predict(np.stack([prepared[0].image])).heatmaps[0]
        top, left, side = centre_square(instance.rows, instance.columns)
        scale = size / side
        inside = np.zeros((size, size), bool)
        inside[
            round((box["y"] - top) * scale) : round((box["y"] + box["height"] - top) * scale),
            round((box["x"] - left) * scale) : round((box["x"] + box["width"] - left) * scale),
        ] = True
        assert 0 < inside.sum() < inside.size
        assert heatmap[inside].mean() > heatmap[~inside].mean()
        assert heatmap[inside].max() >= 0.5


def test_the_probability_is_the_active_models(active_model, archive_pool):
    from ml.core.chest_xray import ChestXrayConfig
    from ml.runtime import inference_for

    pool_score(task=TASK)

    inference = inference_for(active_model)
    for instance in archive_pool["eligible"]:
        with default_storage.open(instance.file.name, "rb") as fp:
            prepared = ChestXrayConfig(spec=inference.spec).prepare(pydicom.dcmread(fp))
        expected = inference.predict(np.stack([prepared[0].image])).probabilities[0]
        stored = ImageScore.objects.get(instance=instance).probability
        assert math.isclose(stored, float(expected), abs_tol=1e-5)


def test_a_second_run_scores_nothing_again(active_model, archive_pool):
    pool_score(task=TASK)
    again = pool_score(task=TASK)

    assert again.stored == 0
    assert ImageScore.objects.count() == 2


def test_a_promoted_version_scores_the_pool_again_under_its_own_id(
    active_model, archive_pool, small_model_file
):
    pool_score(task=TASK)
    newer = register(small_model_file)

    pool_score(task=TASK)

    assert ImageScore.objects.filter(model_version=newer).count() == 2
    assert ImageScore.objects.filter(model_version=active_model).count() == 2


def test_without_an_active_version_nothing_is_scored(archive_pool):
    run = pool_score(task=TASK)
    assert run.model_version_id is None and not ImageScore.objects.exists()


def test_promotion_sends_a_pool_scoring_run(small_model_file, django_capture_on_commit_callbacks):
    from ml.pool_tasks import pool_score_task

    with (
        mock.patch.object(pool_score_task, "apply_async", autospec=True) as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        register(small_model_file)

    send.assert_called_once_with(kwargs={"task": TASK}, retry=False)


def test_the_pool_task_runs_on_the_inference_queue():
    from django.conf import settings

    assert settings.CELERY_TASK_ROUTES["ml.pool_score"] == {"queue": "inference"}
    assert settings.CELERY_BEAT_SCHEDULE["ml-pool-score"]["task"] == "ml.pool_score"
