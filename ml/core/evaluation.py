"""Binary classification metrics, threshold choice and Platt calibration in pure NumPy.

Conventions: label 1 is the positive class (pneumonia); an image is called positive when its
probability is >= the threshold. Metrics that are undefined for the data (AUC with one class,
sensitivity without positives...) are None, so the dict stays JSON-safe (no NaN).
"""

from __future__ import annotations

import math

import numpy as np

from ml.core.spec import Calibration, logit, sigmoid

CALIBRATION_BINS = 10


def evaluate(
    labels: np.ndarray, probabilities: np.ndarray, threshold: float
) -> dict[str, float | int | None]:
    """auc, accuracy, sensitivity, specificity, ece, brier, n, positives, threshold."""
    y, p = _validated(labels, probabilities)
    predicted = p >= threshold
    positives, negatives = int(y.sum()), int((1 - y).sum())
    true_positives = int((predicted & (y == 1)).sum())
    true_negatives = int((~predicted & (y == 0)).sum())
    return {
        "auc": roc_auc(y, p),
        "accuracy": _ratio(true_positives + true_negatives, len(y)),
        "sensitivity": _ratio(true_positives, positives),
        "specificity": _ratio(true_negatives, negatives),
        "ece": expected_calibration_error(y, p),
        "brier": float(np.mean((p - y) ** 2)) if len(y) else None,
        "n": len(y),
        "positives": positives,
        "threshold": float(threshold),
    }


def roc_auc(labels: np.ndarray, probabilities: np.ndarray) -> float | None:
    """Mann-Whitney rank statistic: P(score of a positive > score of a negative), ties count
    one half (mid-ranks). None unless both classes are present."""
    y, p = _validated(labels, probabilities)
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return None
    _, inverse, counts = np.unique(p, return_inverse=True, return_counts=True)
    # The mid-rank of a group of ties: the mean of the 1-based ranks it spans.
    mid_ranks = np.cumsum(counts) - (counts - 1) / 2.0
    rank_sum = float(mid_ranks[inverse][y == 1].sum())
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def expected_calibration_error(labels: np.ndarray, probabilities: np.ndarray) -> float | None:
    """10 equal-width bins on the positive-class probability ([0, .1), ..., [.9, 1]):
    sum over bins of (bin share) * |observed positive rate - mean probability|."""
    y, p = _validated(labels, probabilities)
    if len(y) == 0:
        return None
    bins = np.minimum((p * CALIBRATION_BINS).astype(np.int64), CALIBRATION_BINS - 1)
    observed = np.bincount(bins, weights=y, minlength=CALIBRATION_BINS)
    predicted = np.bincount(bins, weights=p, minlength=CALIBRATION_BINS)
    return float(np.abs(observed - predicted).sum() / len(y))


def choose_threshold(
    labels: np.ndarray, probabilities: np.ndarray, *, min_sensitivity: float = 0.95
) -> float:
    """The highest threshold whose sensitivity (p >= threshold) is at least min_sensitivity.

    Triage favours sensitivity: a missed pneumonia costs more than an extra early read, so we
    fix the sensitivity on validation and take the best specificity that leaves. That is the
    k-th highest positive score, k = ceil(min_sensitivity * positives). Raises ValueError
    without positives.
    """
    y, p = _validated(labels, probabilities)
    if not 0.0 < min_sensitivity <= 1.0:
        raise ValueError("min_sensitivity must be in (0, 1]")
    scores = np.sort(p[y == 1])[::-1]
    if len(scores) == 0:
        raise ValueError("choose_threshold needs at least one positive example")
    needed = math.ceil(min_sensitivity * len(scores) - 1e-9)  # guard 0.95 * 20 = 19.0000001
    return float(scores[max(needed, 1) - 1])


def fit_calibration(
    labels: np.ndarray,
    probabilities: np.ndarray,
    *,
    label_smoothing: float = 0.0,
    iterations: int = 50,
) -> Calibration:
    """Platt scaling: logistic regression of the label on logit(p), by Newton's method.

    The targets are smoothed: a positive counts as max((P+1)/(P+2), 1 - label_smoothing)
    "pneumonia", a negative as min(1/(N+2), label_smoothing) (Platt's smoothed targets are the
    floor, so a perfectly separated set still gives finite parameters). `label_smoothing` is the
    regularisation: the error rate on new images the validation set cannot rule out. Without
    it, a network that separates its few hundred validation images fits a calibration that
    calls half of them 0.999+ (see TrainingConfig.calibration_label_smoothing). Falls back to
    the identity when a class is missing.
    """
    y, p = _validated(labels, probabilities)
    if not 0.0 <= label_smoothing < 0.5:
        raise ValueError("label_smoothing must be in [0, 0.5)")
    positives, negatives = y.sum(), len(y) - y.sum()
    if positives == 0 or negatives == 0:
        return Calibration()
    high = min((positives + 1) / (positives + 2), 1.0 - label_smoothing)
    low = max(1 / (negatives + 2), label_smoothing)
    targets = np.where(y == 1, high, low)
    features = np.column_stack([logit(p), np.ones_like(p)])
    params = np.array([1.0, 0.0])
    loss = _log_loss(features @ params, targets)
    for _ in range(iterations):
        fitted = sigmoid(features @ params)
        gradient = features.T @ (fitted - targets)
        weights = np.maximum(fitted * (1 - fitted), 1e-12)
        hessian = features.T @ (features * weights[:, None]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        # Halve Newton steps that would increase the loss (far from the optimum they can).
        while _log_loss(features @ (params - step), targets) > loss and np.abs(step).max() > 1e-12:
            step = step / 2
        params = params - step
        loss = _log_loss(features @ params, targets)
        if np.abs(step).max() < 1e-10:
            break
    if not np.isfinite(params).all():
        return Calibration()
    return Calibration(slope=float(params[0]), intercept=float(params[1]))


def _log_loss(logits: np.ndarray, targets: np.ndarray) -> float:
    # log(1 + e^z) - t z, written with logaddexp so large |z| does not overflow.
    return float(np.mean(np.logaddexp(0.0, logits) - targets * logits))


def _validated(labels: np.ndarray, probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels).reshape(-1).astype(np.float64)
    p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    if y.shape != p.shape:
        raise ValueError(f"{len(y)} labels but {len(p)} probabilities")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("labels must be 0 or 1")
    if not (np.isfinite(p).all() and ((p >= 0) & (p <= 1)).all()):
        raise ValueError("probabilities must be finite and in [0, 1]")
    return y, p


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None
