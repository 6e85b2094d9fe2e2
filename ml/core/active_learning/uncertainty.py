"""Per-candidate uncertainty scores from class probabilities, and the strategies that rank by them.

Entropy and margin read the model's (mean) probabilities; BALD reads T MC-dropout passes and
keeps only the part of the uncertainty that comes from the model's disagreement with itself
(epistemic), which more labels can reduce, rather than noise in the image (aleatoric).
"""

from __future__ import annotations

import numpy as np

from ml.core.active_learning.base import Selection, Strategy, top_by_score
from ml.core.active_learning.pool import PoolInput, PoolScores
from ml.core.spec import PROBABILITY_EPSILON


def entropy(probabilities: np.ndarray) -> np.ndarray:
    """Shannon entropy in nats over the last axis: (..., K) -> (...); 0 when certain, log K
    when uniform. Probabilities are clipped away from 0 so p log p is finite."""
    p = np.clip(probabilities, PROBABILITY_EPSILON, 1.0)
    return np.asarray(-(probabilities * np.log(p)).sum(axis=-1))


def margin(probabilities: np.ndarray) -> np.ndarray:
    """Top class probability minus the runner-up: (N, K) -> (N,); small means uncertain
    (for a binary task |2p - 1|)."""
    top_two = np.partition(probabilities, -2, axis=1)[:, -2:]
    return np.asarray(top_two[:, 1] - top_two[:, 0])


def bald(mc_probabilities: np.ndarray) -> np.ndarray:
    """BALD (Houlsby et al. 2011): mutual information between the prediction and the model's
    weights, estimated from MC-dropout passes (N, T, K) -> (N,). High when passes disagree
    with confidence; near 0 when they agree, however uncertain each of them is."""
    return bald_terms(mc_probabilities)[0]


def bald_terms(mc_probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(BALD, predictive entropy, expected entropy): BALD is the entropy of the mean prediction
    minus the mean entropy of each pass."""
    predictive = entropy(mc_probabilities.mean(axis=1))
    expected = entropy(mc_probabilities).mean(axis=1)
    # Rounding can take the difference just below 0 when every pass agrees.
    return np.maximum(predictive - expected, 0.0), predictive, expected


class RandomStrategy(Strategy):
    """A uniform draw without replacement: the baseline every other strategy must beat."""

    name = "random"
    display_name = "Random"
    needs = frozenset[PoolInput]()

    def _select(self, pool: PoolScores, batch_size: int, rng: np.random.Generator) -> Selection:
        indices = rng.choice(pool.size, size=batch_size, replace=False).astype(np.int64)
        return Selection(strategy=self.name, indices=indices, scores={})


class EntropyStrategy(Strategy):
    """The highest predictive entropy first (p nearest 0.5 for a binary task)."""

    name = "entropy"
    display_name = "Uncertainty: entropy"
    needs = frozenset({PoolInput.PROBABILITIES})

    def _select(self, pool: PoolScores, batch_size: int, rng: np.random.Generator) -> Selection:
        scores = entropy(pool.require(PoolInput.PROBABILITIES))
        indices = top_by_score(scores, batch_size, rng, largest=True)
        return Selection(self.name, indices, {"entropy": scores[indices]})


class MarginStrategy(Strategy):
    """The smallest gap between the two most probable classes first."""

    name = "margin"
    display_name = "Uncertainty: margin"
    needs = frozenset({PoolInput.PROBABILITIES})

    def _select(self, pool: PoolScores, batch_size: int, rng: np.random.Generator) -> Selection:
        scores = margin(pool.require(PoolInput.PROBABILITIES))
        indices = top_by_score(scores, batch_size, rng, largest=False)
        return Selection(self.name, indices, {"margin": scores[indices]})


class BaldStrategy(Strategy):
    """The highest BALD score first; also records the two entropies it is the difference of."""

    name = "bald"
    display_name = "MC-dropout: BALD"
    needs = frozenset({PoolInput.MC_PROBABILITIES})

    def _select(self, pool: PoolScores, batch_size: int, rng: np.random.Generator) -> Selection:
        scores, predictive, expected = bald_terms(pool.require(PoolInput.MC_PROBABILITIES))
        indices = top_by_score(scores, batch_size, rng, largest=True)
        explained = {
            "bald": scores[indices],
            "predictive_entropy": predictive[indices],
            "expected_entropy": expected[indices],
        }
        return Selection(self.name, indices, explained)
