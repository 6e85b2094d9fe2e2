"""The strategies an admin can choose for a task, by key."""

from __future__ import annotations

import numpy as np

from ml.core.active_learning.base import Selection, Strategy
from ml.core.active_learning.diversity import KCenterStrategy
from ml.core.active_learning.hybrid import WeightedKMeansPlusPlusStrategy
from ml.core.active_learning.pool import PoolScores
from ml.core.active_learning.uncertainty import (
    BaldStrategy,
    EntropyStrategy,
    MarginStrategy,
    RandomStrategy,
)

STRATEGIES: dict[str, Strategy] = {
    strategy.name: strategy
    for strategy in (
        RandomStrategy(),
        EntropyStrategy(),
        MarginStrategy(),
        BaldStrategy(),
        KCenterStrategy(),
        WeightedKMeansPlusPlusStrategy(),
    )
}


def strategy_get(name: str) -> Strategy:
    """The registered strategy called `name`; ValueError listing the known keys otherwise."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ValueError(
            f"unknown active-learning strategy {name!r}; known: {', '.join(STRATEGIES)}"
        ) from None


def batch_select(
    name: str, pool: PoolScores, batch_size: int, rng: np.random.Generator
) -> Selection:
    """Choose a batch with the strategy called `name` (see Strategy.select for the contract)."""
    return strategy_get(name).select(pool, batch_size, rng)
