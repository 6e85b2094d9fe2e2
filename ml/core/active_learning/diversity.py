"""Distances in embedding space, and k-center greedy (Sener and Savarese, 2018).

k-center greedy adds, one at a time, the candidate farthest from everything chosen or already
labelled, so the batch covers the pool: every candidate ends near some labelled image. Each
pick updates every candidate's distance to its nearest chosen point with one pass over the
embeddings, O(N * D), instead of recomputing all pairs.
"""

from __future__ import annotations

import numpy as np

from ml.core.active_learning.base import Selection, Strategy, argmax_random_tie
from ml.core.active_learning.pool import PoolInput, PoolScores

# Rows per block when subtracting one point from all embeddings: 4096 x 128 float32 is 2 MB,
# small enough to stay in cache between the subtraction and the sum of squares.
ROWS_PER_BLOCK = 4096
# Candidates x labelled distances are computed this many at a time (64 MB of float32).
MATMUL_ELEMENTS = 16_000_000


def squared_distances_to(embeddings: np.ndarray, point: np.ndarray) -> np.ndarray:
    """Squared Euclidean distance from every row to `point`, (N,) float32.

    Summed squared differences rather than |x|^2 - 2 x.c + |c|^2: the latter cancels in float32
    and gives identical embeddings a small non-zero distance, and the hybrid's promise never to
    pick two identical embeddings rests on their distance being exactly 0."""
    n, d = embeddings.shape
    result = np.empty(n, dtype=np.float32)
    buffer = np.empty((min(ROWS_PER_BLOCK, n), d), dtype=np.float32)
    for start in range(0, n, ROWS_PER_BLOCK):
        block = embeddings[start : start + ROWS_PER_BLOCK]
        difference = buffer[: len(block)]
        np.subtract(block, point, out=difference)
        np.einsum("ij,ij->i", difference, difference, out=result[start : start + len(block)])
    return result


def nearest_squared_distances(embeddings: np.ndarray, references: np.ndarray) -> np.ndarray:
    """Squared distance from every row to its nearest row of `references` (M >= 1), (N,).

    The nearest reference is found with one matrix product per block (fast, float32 rounding),
    then its distance is recomputed exactly, so a candidate identical to a reference gets 0."""
    nearest = np.empty(len(embeddings), dtype=np.int64)
    # argmin |x - r|^2 = argmax (x.r - |r|^2 / 2): with a column of ones on x and of -|r|^2 / 2
    # on r, the product is the whole score and no (rows x M) temporary is written twice more.
    scaled = np.hstack([references, -0.5 * np.einsum("ij,ij->i", references, references)[:, None]])
    rows = max(1, MATMUL_ELEMENTS // len(references))
    block_with_ones = np.ones((min(rows, len(embeddings)), embeddings.shape[1] + 1), np.float32)
    for start in range(0, len(embeddings), rows):
        block = embeddings[start : start + rows]
        block_with_ones[: len(block), :-1] = block
        products = block_with_ones[: len(block)] @ scaled.T
        nearest[start : start + len(block)] = products.argmax(axis=1)
    result = np.empty(len(embeddings), dtype=np.float32)
    for start in range(0, len(embeddings), ROWS_PER_BLOCK):
        stop = start + ROWS_PER_BLOCK
        difference = embeddings[start:stop] - references[nearest[start:stop]]
        result[start:stop] = np.einsum("ij,ij->i", difference, difference)
    return result


class Coverage:
    """Each candidate's squared distance to its nearest chosen or labelled embedding, kept up to
    date as picks are made; `available` marks candidates not yet chosen."""

    def __init__(self, embeddings: np.ndarray, labelled: np.ndarray | None) -> None:
        self.embeddings = embeddings
        self.available = np.ones(len(embeddings), dtype=bool)
        self.has_reference = labelled is not None and len(labelled) > 0
        if labelled is not None and len(labelled) > 0:
            self.squared = nearest_squared_distances(embeddings, labelled)
        else:
            self.squared = np.full(len(embeddings), np.inf, dtype=np.float32)

    def distance(self, row: int) -> float:
        """Euclidean distance of `row` to its nearest chosen or labelled point (NaN if none)."""
        return float(np.sqrt(self.squared[row])) if self.has_reference else float("nan")

    def choose(self, row: int) -> None:
        np.minimum(
            self.squared,
            squared_distances_to(self.embeddings, self.embeddings[row]),
            out=self.squared,
        )
        self.available[row] = False
        self.has_reference = True


class KCenterStrategy(Strategy):
    """k-center greedy on embeddings; records each pick's distance to its nearest chosen or
    labelled image. With nothing labelled it starts from the candidate nearest the pool's mean
    (a typical image rather than an outlier), whose distance is NaN."""

    name = "k_center"
    display_name = "Diversity: k-center greedy"
    needs = frozenset({PoolInput.EMBEDDINGS})
    uses = frozenset({PoolInput.LABELLED_EMBEDDINGS})

    def _select(self, pool: PoolScores, batch_size: int, rng: np.random.Generator) -> Selection:
        embeddings = pool.require(PoolInput.EMBEDDINGS)
        coverage = Coverage(embeddings, pool.labelled_embeddings)
        picks: list[int] = []
        distances: list[float] = []
        for _ in range(batch_size):
            if coverage.has_reference:
                # Chosen rows sit at distance 0, but when only duplicates remain they tie with them.
                row = argmax_random_tie(np.where(coverage.available, coverage.squared, -1.0), rng)
            else:
                to_mean = squared_distances_to(embeddings, embeddings.mean(axis=0))
                row = argmax_random_tie(-to_mean, rng)
            picks.append(row)
            distances.append(coverage.distance(row))
            coverage.choose(row)
        indices = np.asarray(picks, dtype=np.int64)
        return Selection(self.name, indices, {"distance": np.asarray(distances)})
