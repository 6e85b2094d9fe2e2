"""Pool scoring, Django side: the active model scores every eligible unlabelled image for the
annotation queue (issue 11, section 3), on the `inference` queue.

`pool_score` walks the pool in chunks of POOL_SCORING_CHUNK images (id order, so memory is
bounded by one chunk's pixels and figures), decides eligibility from each image's stored header
(ChestXrayConfig.eligibility; pixels are read only for eligible ones), scores the frames with
ml.core.pool_scoring.PoolScorer and stores one ImageScore per frame through
annotations.services.pool, with the pre-annotation box around the frame's class activation map
(ml.core.heatmap_box, placed on the frame's own rows and columns). Images already scored by
the version are not looked at again, so a run that dies part way is finished by the next one.
Runs every POOL_SCORING_SECONDS (beat) and after a version is promoted
(ml.services.model_version_activate sends it).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pydicom
from celery import shared_task
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError

from annotations.selectors import pool_instances_unscored
from annotations.services.pool import FrameFigures, image_scores_store
from archive.models import Instance
from ml.core.heatmap_box import hot_boxes
from ml.models import ModelVersion
from ml.runtime import WeightsUnavailable, inference_for, predicting
from ml.selectors import model_version_active
from ml.services import model_version_mark_load_failed

if TYPE_CHECKING:
    from ml.core.chest_xray import ChestXrayConfig
    from ml.core.pool_scoring import PoolScorer

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OSError, OperationalError, InterfaceError)
MC_SAMPLES = 20
# The header attributes eligibility reads, by DICOM JSON tag (metadata_json holds them all).
ELIGIBILITY_TAGS = {
    "00080016": "SOPClassUID",
    "00080060": "Modality",
    "00180015": "BodyPartExamined",
    "00102201": "PatientSpeciesDescription",
    "00280004": "PhotometricInterpretation",
}


@dataclass
class PoolRun:
    """What one run did, for the log and the tests."""

    model_version_id: int | None = None
    looked_at: int = 0
    not_eligible: int = 0
    stored: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    # True when the run stopped at its time budget with images left (the task sends another).
    more: bool = False


_scorers: dict[tuple[int, str], PoolScorer] = {}
_scorers_lock = threading.Lock()


def pool_score(*, task: str, chunk: int | None = None, seconds: float | None = None) -> PoolRun:
    """Score the task's unscored pool with its active version; returns what was done.

    Stops after the chunk that passes `seconds` (default POOL_SCORING_RUN_SECONDS) with
    `more` set: a run shorter than the broker's visibility timeout is never handed to a second
    worker while it runs, and the caller sends the rest as a new run.

    Does nothing without a usable active version. If the weights will not load the version is
    marked failed (as triage scoring does) and the run stops. Storage and database errors
    propagate for the task to retry; what was stored before stays. Safe to run twice or
    concurrently (rows are unique per version and image; the second writer's are dropped).
    """
    run = PoolRun()
    version = model_version_active(task=task)
    if version is None or version.load_error:
        return run
    run.model_version_id = version.pk
    try:
        inference = inference_for(version)
    except WeightsUnavailable as exc:
        model_version_mark_load_failed(version_id=version.pk, error=str(exc))
        return run
    from ml.core.chest_xray import ChestXrayConfig

    config = ChestXrayConfig(spec=inference.spec)
    scorer = _scorer_for(version, inference.model)
    rng = np.random.default_rng(version.pk)
    size = chunk or settings.POOL_SCORING_CHUNK
    deadline = time.monotonic() + (seconds or settings.POOL_SCORING_RUN_SECONDS)
    after_id = 0
    while True:
        if time.monotonic() > deadline:
            run.more = True
            break
        instances = list(
            pool_instances_unscored(
                task=task, model_version_id=version.pk, after_id=after_id, limit=size
            )
        )
        if not instances:
            break
        after_id = instances[-1].pk
        figures = _chunk_score(instances, config=config, scorer=scorer, rng=rng, run=run)
        run.stored += image_scores_store(task=task, model_version_id=version.pk, figures=figures)
    logger.info(
        "pool_scored task=%s model_version=%s looked_at=%s not_eligible=%s stored=%s",
        task,
        version.label,
        run.looked_at,
        run.not_eligible,
        run.stored,
    )
    return run


def _scorer_for(version: ModelVersion, model: Any) -> PoolScorer:
    from ml.core.pool_scoring import PoolScorer

    key = (version.pk, version.weights_sha256)
    with _scorers_lock:
        if key not in _scorers:
            _scorers.clear()  # the active version's only, as ml.runtime keeps
            _scorers[key] = PoolScorer(model, batch_size=256)
        return _scorers[key]


def _chunk_score(
    instances: list[Instance],
    *,
    config: ChestXrayConfig,
    scorer: PoolScorer,
    rng: np.random.Generator,
    run: PoolRun,
) -> list[FrameFigures]:
    from ml.core.chest_xray import PreparedImage

    keys: list[tuple[int, int]] = []
    images: list[np.ndarray] = []
    sizes: list[tuple[int, int]] = []
    for instance in instances:
        run.looked_at += 1
        reason = config.eligibility(header_dataset(instance.metadata_json))
        if reason is None:
            with default_storage.open(instance.file.name, "rb") as fp:
                ds = pydicom.dcmread(fp)
                prepared = config.prepare(ds)
            for item in prepared:
                if isinstance(item, PreparedImage):
                    keys.append((instance.pk, item.frame_number))
                    images.append(item.image)
                    sizes.append((int(ds.Rows), int(ds.Columns)))
                else:
                    reason = item.reason
        if reason is not None:
            run.not_eligible += 1
            run.reasons[reason] = run.reasons.get(reason, 0) + 1
    if not images:
        return []
    with predicting():
        outputs = scorer.score(np.stack(images), mc_samples=MC_SAMPLES, rng=rng)
    boxes = hot_boxes(
        outputs.activation_maps,
        rows=[rows for rows, _ in sizes],
        columns=[columns for _, columns in sizes],
    )
    return frame_figures(
        keys,
        outputs.probabilities,
        outputs.mc_probabilities,
        outputs.embeddings,
        hot_boxes=[None if box is None else box.as_dict() for box in boxes],
    )


def frame_figures(
    keys: list[tuple[int, int]],
    probabilities: np.ndarray,
    mc_probabilities: np.ndarray,
    embeddings: np.ndarray,
    *,
    hot_boxes: Sequence[dict[str, int] | None] | None = None,
) -> list[FrameFigures]:
    """Per (instance id, frame) the figures ImageScore keeps, from PoolScorer's arrays:
    entropy and margin of the probability; mean, variance and BALD of the MC-dropout passes
    (None when there were none); the pre-annotation box of each, when given."""
    from ml.core.active_learning.uncertainty import bald, entropy, margin

    p = np.clip(np.asarray(probabilities, np.float64), 0.0, 1.0)
    two = np.stack([1.0 - p, p], axis=1)
    entropies, margins = entropy(two), margin(two)
    mc = np.asarray(mc_probabilities, np.float64)
    has_mc = mc.ndim == 2 and mc.shape[1] > 0
    if has_mc:
        mc_mean, mc_var = mc.mean(axis=1), mc.var(axis=1)
        balds = bald(np.stack([1.0 - mc, mc], axis=2))
    vectors = np.ascontiguousarray(embeddings, dtype="<f4")
    return [
        FrameFigures(
            instance_id=instance_id,
            frame_number=frame_number,
            probability=float(p[i]),
            entropy=float(entropies[i]),
            margin=float(margins[i]),
            mc_mean=float(mc_mean[i]) if has_mc else None,
            mc_variance=float(mc_var[i]) if has_mc else None,
            bald=float(balds[i]) if has_mc else None,
            embedding=vectors[i].tobytes(),
            embedding_dim=int(vectors.shape[1]),
            hot_box=hot_boxes[i] if hot_boxes is not None else None,
        )
        for i, (instance_id, frame_number) in enumerate(keys)
    ]


def header_dataset(metadata_json: str) -> pydicom.Dataset:
    """The attributes eligibility reads, from the instance's stored DICOM JSON (no file read)."""
    body = json.loads(metadata_json) if metadata_json else {}
    ds = pydicom.Dataset()
    for tag, keyword in ELIGIBILITY_TAGS.items():
        values = (body.get(tag) or {}).get("Value") or []
        if values:
            setattr(ds, keyword, str(values[0]))
    return ds


def pool_score_send(*, task: str) -> bool:
    """Ask the inference queue to run pool scoring now; False (logged) when the broker is down
    (the periodic run catches up)."""
    try:
        pool_score_task.apply_async(kwargs={"task": task}, retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: beat runs it again later
        logger.warning("pool_scoring_not_sent task=%s (broker unavailable)", task)
        return False
    return True


@shared_task(
    name="ml.pool_score",
    acks_late=True,
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    max_retries=5,
    retry_backoff=2,
    retry_backoff_max=20,
    retry_jitter=True,
    soft_time_limit=int(settings.POOL_SCORING_TIME_LIMIT * 0.8),
    time_limit=settings.POOL_SCORING_TIME_LIMIT,
)
def pool_score_task(task: str | None = None) -> dict[str, int | None]:
    """Pool-score `task` (default: every registered task) with its active version."""
    from ml.core.tasks import TASKS

    report: dict[str, int | None] = {}
    for name in [task] if task else list(TASKS):
        run = pool_score(task=name)
        report[name] = run.stored
        if run.more:
            pool_score_send(task=name)
    return report
