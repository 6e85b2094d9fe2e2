"""What the pool-scoring step hands to a strategy: per-candidate arrays, checked once."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

# Rows of class probabilities may drift from 1 by float32 rounding and softmax/sigmoid clipping.
ROW_SUM_TOLERANCE = 1e-3


class PoolInput(StrEnum):
    """An array the pool-scoring step computes; strategies declare which they need or use."""

    PROBABILITIES = "probabilities"
    MC_PROBABILITIES = "mc_probabilities"
    EMBEDDINGS = "embeddings"
    # Embeddings of images already labelled (not candidates), from the same model.
    LABELLED_EMBEDDINGS = "labelled_embeddings"


class EmptyPoolError(ValueError):
    """No candidates to choose from: a normal state once everything is labelled, so callers can
    catch it apart from bad input."""


@dataclass(frozen=True)
class PoolScores:
    """Arrays for N candidates, row i describing candidate i (the caller maps i to its image id).

    probabilities: (N, K) class probabilities, or (N,) / (N, 1) positive-class probability of
        a binary task (stored as (N, 2): [1 - p, p]).
    mc_probabilities: (N, T, K) probabilities from T MC-dropout passes, or (N, T) binary.
    embeddings: (N, D) pooled features before the model's last layer (stored float32).
    labelled_embeddings: (M, D) features of images already labelled, so diversity also avoids
        what is labelled; M may be 0.
    Every array is optional, but those given must agree on N (and D, and K) and be finite;
    a strategy checks that the ones it needs are there. Raises ValueError saying what is wrong.
    """

    probabilities: np.ndarray | None = None
    mc_probabilities: np.ndarray | None = None
    embeddings: np.ndarray | None = None
    labelled_embeddings: np.ndarray | None = None

    def __post_init__(self) -> None:
        # Frozen, yet normalised in place: every strategy then sees one layout and one dtype.
        if self.probabilities is not None:
            object.__setattr__(self, "probabilities", _class_probabilities(self.probabilities))
        if self.mc_probabilities is not None:
            object.__setattr__(self, "mc_probabilities", _mc_probabilities(self.mc_probabilities))
        if self.embeddings is not None:
            object.__setattr__(self, "embeddings", _embeddings(self.embeddings, "embeddings"))
        if self.labelled_embeddings is not None:
            labelled = _embeddings(self.labelled_embeddings, "labelled_embeddings")
            object.__setattr__(self, "labelled_embeddings", labelled)
        self._check_agreement()

    @property
    def size(self) -> int:
        """N, the number of candidates (0 when no per-candidate array is given)."""
        for array in (self.probabilities, self.mc_probabilities, self.embeddings):
            if array is not None:
                return int(array.shape[0])
        return 0

    def has(self, needed: PoolInput) -> bool:
        return getattr(self, needed.value) is not None

    def require(self, needed: PoolInput) -> np.ndarray:
        """The array for `needed`; ValueError naming it when it was not given."""
        array: np.ndarray | None = getattr(self, needed.value)
        if array is None:
            raise ValueError(f"this pool has no {needed.value}")
        return array

    def _check_agreement(self) -> None:
        named = {
            "probabilities": self.probabilities,
            "mc_probabilities": self.mc_probabilities,
            "embeddings": self.embeddings,
        }
        counts = {name: array.shape[0] for name, array in named.items() if array is not None}
        if len(set(counts.values())) > 1:
            raise ValueError(f"the arrays disagree on the number of candidates: {counts}")
        if self.probabilities is not None and self.mc_probabilities is not None:
            k, mc_k = self.probabilities.shape[1], self.mc_probabilities.shape[2]
            if k != mc_k:
                raise ValueError(f"probabilities have {k} classes but mc_probabilities {mc_k}")
        if self.labelled_embeddings is not None:
            if self.embeddings is None:
                raise ValueError("labelled_embeddings were given without embeddings")
            d, labelled_d = self.embeddings.shape[1], self.labelled_embeddings.shape[1]
            if d != labelled_d:
                raise ValueError(
                    f"embeddings have {d} features but labelled_embeddings {labelled_d}"
                )


def _class_probabilities(values: np.ndarray) -> np.ndarray:
    p = np.asarray(values, dtype=np.float64)
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    if p.ndim == 1:
        p = np.stack([1.0 - p, p], axis=1)
    if p.ndim != 2:
        raise ValueError(f"probabilities must be (N,) or (N, K), got shape {p.shape}")
    _check_probabilities(p, "probabilities", class_axis=1)
    return p


def _mc_probabilities(values: np.ndarray) -> np.ndarray:
    p = np.asarray(values, dtype=np.float64)
    if p.ndim == 2:
        p = np.stack([1.0 - p, p], axis=2)
    if p.ndim != 3 or p.shape[1] < 1:
        raise ValueError(f"mc_probabilities must be (N, T) or (N, T, K), got shape {p.shape}")
    _check_probabilities(p, "mc_probabilities", class_axis=2)
    return p


def _check_probabilities(p: np.ndarray, name: str, *, class_axis: int) -> None:
    n = p.shape[0]
    per_candidate = tuple(range(1, p.ndim))
    nan_rows = int(np.isnan(p).any(axis=per_candidate).sum()) if n else 0
    if nan_rows:
        raise ValueError(f"{nan_rows} of {n} candidates have NaN {name}")
    if p.size and (p.min() < 0.0 or p.max() > 1.0 or not np.isfinite(p).all()):
        raise ValueError(f"{name} must lie in [0, 1]")
    if p.size and np.abs(p.sum(axis=class_axis) - 1.0).max() > ROW_SUM_TOLERANCE:
        raise ValueError(f"{name} must sum to 1 over the classes")


def _embeddings(values: np.ndarray, name: str) -> np.ndarray:
    x = np.ascontiguousarray(values, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] < 1:
        raise ValueError(f"{name} must be (N, D) with D >= 1, got shape {x.shape}")
    bad_rows = int((~np.isfinite(x)).any(axis=1).sum())
    if bad_rows:
        raise ValueError(f"{bad_rows} of {x.shape[0]} rows of {name} are not finite")
    return x
