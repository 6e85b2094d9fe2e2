"""The strategy contract: a pool and a batch size in, the chosen rows and why, in pick order."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ml.core.active_learning.pool import EmptyPoolError, PoolInput, PoolScores


@dataclass(frozen=True)
class Selection:
    """A chosen batch: `indices` (int64, rows of the pool, in pick order, no repeats) and, per
    score name, one float64 value per pick (`scores[name][i]` explains `indices[i]`; NaN where
    a score does not apply, such as the distance of a first pick with nothing to compare to)."""

    strategy: str
    indices: np.ndarray
    scores: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.indices)

    def records(self) -> list[dict[str, object]]:
        """One JSON-ready dict per pick, as stored with the case: its rank (0 first), its pool
        row, the strategy's key and its scores (None for NaN, which JSONB refuses)."""
        return [
            {
                "rank": rank,
                "index": int(index),
                "strategy": self.strategy,
                "scores": {name: _json_float(values[rank]) for name, values in self.scores.items()},
            }
            for rank, index in enumerate(self.indices)
        ]


class Strategy(ABC):
    """An active-learning strategy: choose up to `batch_size` candidates from a pool.

    Contract of `select`: pure (no I/O), deterministic for a given pool and Generator state,
    returns min(batch_size, N) distinct rows unless a subclass says it may stop early. Raises
    EmptyPoolError for N = 0 and ValueError for a batch size under 1 or a missing input
    (the class's `needs`). Subclasses implement `_select` for 1 <= batch_size <= N.
    """

    name: ClassVar[str]
    display_name: ClassVar[str]
    needs: ClassVar[frozenset[PoolInput]]
    # Optional inputs the strategy uses when present (the pool step may skip them otherwise).
    uses: ClassVar[frozenset[PoolInput]] = frozenset()

    def select(self, pool: PoolScores, batch_size: int, rng: np.random.Generator) -> Selection:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        missing = sorted(needed.value for needed in self.needs if not pool.has(needed))
        if missing:
            raise ValueError(f"strategy {self.name!r} needs {', '.join(missing)}")
        if pool.size == 0:
            raise EmptyPoolError("the pool is empty: there are no unlabelled candidates")
        return self._select(pool, min(batch_size, pool.size), rng)

    @abstractmethod
    def _select(self, pool: PoolScores, batch_size: int, rng: np.random.Generator) -> Selection:
        """Choose `batch_size` (1 <= batch_size <= pool.size) rows; inputs in `needs` are set."""


def top_by_score(
    scores: np.ndarray, batch_size: int, rng: np.random.Generator, *, largest: bool
) -> np.ndarray:
    """Rows of the `batch_size` largest (or smallest) scores, best first; equal scores come in
    an order drawn from `rng`, so ties neither favour low row numbers nor vary between runs."""
    shuffled = rng.permutation(len(scores))
    keys = -scores[shuffled] if largest else scores[shuffled]
    order = np.argsort(keys, kind="stable")[:batch_size]
    return shuffled[order].astype(np.int64)


def argmax_random_tie(values: np.ndarray, rng: np.random.Generator) -> int:
    """Row of the largest value, one drawn from `rng` when several share it."""
    best = values.max()
    tied = np.flatnonzero(values == best)
    return int(tied[0] if len(tied) == 1 else rng.choice(tied))


def _json_float(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
