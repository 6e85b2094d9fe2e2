"""The batch-aware hybrid: uncertainty-weighted k-means++ seeding on embeddings.

Each pick is drawn with probability proportional to

    weight = (normalised entropy + UNCERTAINTY_FLOOR) * squared distance to the nearest
             chosen or labelled embedding

(the first pick, with nothing to measure against, by uncertainty alone). Ranking by
uncertainty alone fills a batch with near-duplicates: copies of one ambiguous image are all
equally ambiguous. Here a near-duplicate of a chosen image has a squared distance near 0 and so
almost no chance; an identical one has exactly 0 and none, so no batch holds two identical
embeddings. The squared distance (as in k-means++ and BADGE, Ash et al. 2020) spreads picks
over clusters in proportion to their spread; the draw, rather than a greedy maximum, keeps
single outliers from taking the batch as they do in k-center.

Why no top-M shortlist by uncertainty first: a crowd of near-duplicates of one ambiguous image
can fill any shortlist, and the batch drawn from it would be near-duplicates again. The whole
pool is cheap enough (one O(N * D) pass per pick; see bench/al_strategies.py).
"""

from __future__ import annotations

import math

import numpy as np

from ml.core.active_learning.base import Selection, Strategy
from ml.core.active_learning.diversity import Coverage
from ml.core.active_learning.pool import PoolInput, PoolScores
from ml.core.active_learning.uncertainty import entropy

# Added to the normalised entropy (in [0, 1]) so that confident candidates can still fill a
# batch once the uncertain ones are taken or are duplicates, without competing with them before.
UNCERTAINTY_FLOOR = 1e-3


class WeightedKMeansPlusPlusStrategy(Strategy):
    """Uncertainty-weighted k-means++ seeding; records each pick's entropy, distance to its
    nearest chosen or labelled image (NaN for a first pick with nothing labelled) and the
    probability it had of being drawn. May return fewer than batch_size picks, only when every
    remaining candidate is identical to a chosen or labelled one."""

    name = "weighted_kmeans_pp"
    display_name = "Hybrid: uncertainty-weighted k-means++"
    needs = frozenset({PoolInput.PROBABILITIES, PoolInput.EMBEDDINGS})
    uses = frozenset({PoolInput.LABELLED_EMBEDDINGS})

    def _select(self, pool: PoolScores, batch_size: int, rng: np.random.Generator) -> Selection:
        probabilities = pool.require(PoolInput.PROBABILITIES)
        entropies = entropy(probabilities)
        uncertainty = entropies / math.log(probabilities.shape[1]) + UNCERTAINTY_FLOOR
        coverage = Coverage(pool.require(PoolInput.EMBEDDINGS), pool.labelled_embeddings)
        picks: list[int] = []
        explained: dict[str, list[float]] = {"entropy": [], "distance": [], "draw_probability": []}
        for _ in range(batch_size):
            weights = uncertainty * coverage.squared if coverage.has_reference else uncertainty
            weights = np.where(coverage.available, weights, 0.0)
            drawn = _draw(weights, rng)
            if drawn is None:
                break
            row, probability = drawn
            picks.append(row)
            explained["entropy"].append(float(entropies[row]))
            explained["distance"].append(coverage.distance(row))
            explained["draw_probability"].append(probability)
            coverage.choose(row)
        scores = {name: np.asarray(values, dtype=np.float64) for name, values in explained.items()}
        return Selection(self.name, np.asarray(picks, dtype=np.int64), scores)


def _draw(weights: np.ndarray, rng: np.random.Generator) -> tuple[int, float] | None:
    """A row drawn with probability weight / total, and that probability; None if all are 0.
    A row of weight 0 is never drawn: the first cumulative sum above r is never a flat step."""
    cumulative = np.cumsum(weights, dtype=np.float64)
    total = float(cumulative[-1])
    if not total > 0.0:
        return None
    row = int(np.searchsorted(cumulative, rng.random() * total, side="right"))
    if row >= len(weights):  # r rounded up to the total itself
        row = int(np.flatnonzero(weights)[-1])
    return row, float(weights[row]) / total
