"""Active-learning strategies: pure functions and small classes over pool arrays (NumPy only).

The pool-scoring step builds a PoolScores (probabilities, MC-dropout passes, embeddings) for
the unlabelled candidates; the admin's chosen key in STRATEGIES picks a batch from it, and the
Selection says which rows were chosen, in order, and the scores behind each pick.
"""

from __future__ import annotations

from ml.core.active_learning.base import Selection, Strategy
from ml.core.active_learning.pool import EmptyPoolError, PoolInput, PoolScores
from ml.core.active_learning.registry import STRATEGIES, batch_select, strategy_get

__all__ = [
    "STRATEGIES",
    "EmptyPoolError",
    "PoolInput",
    "PoolScores",
    "Selection",
    "Strategy",
    "batch_select",
    "strategy_get",
]
