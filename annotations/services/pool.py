"""Storing what pool scoring found for each unlabelled image.

Pool scoring itself (loading the model, reading pixels) is ml's work (ml/pool_tasks.py); which
images it looks at is annotations.selectors.pool_instances_unscored. ml writes annotations'
tables only through here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from annotations.models import ImageScore
from ml.core.tasks import task_get

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrameFigures:
    """What pool scoring computed for one frame of one instance (see ImageScore). hot_box:
    {"x", "y", "width", "height"} in the frame's pixels, or None (no hot region)."""

    instance_id: int
    frame_number: int
    probability: float
    entropy: float
    margin: float
    mc_mean: float | None
    mc_variance: float | None
    bald: float | None
    embedding: bytes
    embedding_dim: int
    hot_box: dict[str, Any] | None = None


def image_scores_store(*, task: str, model_version_id: int, figures: Sequence[FrameFigures]) -> int:
    """Store the figures as ImageScore rows of (task, version). Rows that exist are left as
    they were (a concurrent or repeated run stored them), so this is safe to retry. Returns the
    number of figures handed in."""
    task_get(task)
    rows = [
        ImageScore(
            task=task,
            model_version_id=model_version_id,
            instance_id=item.instance_id,
            frame_number=item.frame_number,
            probability=min(max(item.probability, 0.0), 1.0),
            entropy=item.entropy,
            margin=item.margin,
            mc_mean=item.mc_mean,
            mc_variance=item.mc_variance,
            bald=item.bald,
            embedding=item.embedding,
            embedding_dim=item.embedding_dim,
            hot_box=item.hot_box,
        )
        for item in figures
    ]
    ImageScore.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    logger.info(
        "image_scores_stored task=%s model_version_id=%s count=%s",
        task,
        model_version_id,
        len(rows),
    )
    return len(rows)
