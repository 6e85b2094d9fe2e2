"""Comparing two versions of a classifier on the same images, in pure NumPy.

- DeLong's test (fast algorithm of Sun & Xu 2014) for the AUC of one model and for the
  difference of two correlated AUCs (both models scored the same test images).
- The curves shown to an admin: ROC points and the reliability (calibration) curve.
- The promotion gate: does the candidate beat the active version by more than the margin?
- Shadow agreement (how the worklist would change) and score drift (incoming vs test set).

AUCs need both classes: `auc_confidence_interval`, `delong_paired`, `roc_points` raise a
ValueError with one class only; `test_set_metrics` then gives auc_ci None and an empty roc so
its dict stays JSON-safe (the convention of ml/core/evaluation.py).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy as np

from ml.core.evaluation import _validated, choose_threshold, evaluate

# Shares of an empty histogram bin are floored at this for the PSI's logarithm.
PSI_EPSILON = 1e-4
TOP_K = 10


def auc_confidence_interval(
    labels: np.ndarray, probabilities: np.ndarray, level: float = 0.95
) -> tuple[float, float]:
    """Two-sided confidence interval of the AUC from DeLong's variance, built on the logit
    of the AUC so it stays inside [0, 1]. An AUC of exactly 0 or 1 has zero variance and
    gives (auc, auc)."""
    y, p = _validated(labels, probabilities)
    aucs, covariance = _delong(y, p[None, :])
    auc, variance = float(aucs[0]), float(covariance[0, 0])
    if variance <= 0.0 or auc in (0.0, 1.0):
        return (auc, auc)
    z = _z(level)
    centre = math.log(auc / (1 - auc))
    half_width = z * math.sqrt(variance) / (auc * (1 - auc))  # delta method
    return (_expit(centre - half_width), _expit(centre + half_width))


def delong_paired(
    labels: np.ndarray,
    p_candidate: np.ndarray,
    p_baseline: np.ndarray,
    level: float = 0.95,
) -> dict[str, Any]:
    """DeLong's test of AUC(candidate) - AUC(baseline) on the same images.

    `ci` is the two-sided interval at `level`, `lower_bound_one_sided` the one-sided bound
    at `level` (what the promotion gate compares with its margin), `p_value` two-sided for
    "no difference". Identical scores give difference 0 and p 1.
    """
    y, candidate = _validated(labels, p_candidate)
    _, baseline = _validated(labels, p_baseline)
    aucs, covariance = _delong(y, np.vstack([candidate, baseline]))
    difference = float(aucs[0] - aucs[1])
    variance = float(covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1])
    standard_error = math.sqrt(variance) if variance > 1e-15 else 0.0
    if standard_error == 0.0:
        p_value = 1.0 if abs(difference) < 1e-12 else 0.0
    else:
        p_value = math.erfc(abs(difference) / standard_error / math.sqrt(2))
    two_sided, one_sided = _z(level), NormalDist().inv_cdf(level)
    return {
        "auc_candidate": float(aucs[0]),
        "auc_baseline": float(aucs[1]),
        "difference": difference,
        "ci": [difference - two_sided * standard_error, difference + two_sided * standard_error],
        "lower_bound_one_sided": difference - one_sided * standard_error,
        "p_value": min(1.0, p_value),
        "standard_error": standard_error,
        "level": level,
        "method": "DeLong",
    }


def roc_points(
    labels: np.ndarray, probabilities: np.ndarray, max_points: int = 200
) -> list[list[float]]:
    """[fpr, tpr] at every distinct threshold, from (0, 0) to (1, 1); thinned to at most
    max_points (first and last kept) for plotting."""
    y, p = _validated(labels, probabilities)
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if positives == 0 or negatives == 0:
        raise ValueError("a ROC curve needs both positive and negative examples")
    order = np.argsort(-p, kind="stable")
    scores, sorted_labels = p[order], y[order]
    # The last index of each group of tied scores: the curve moves diagonally across ties.
    ends = np.r_[np.nonzero(np.diff(scores))[0], len(scores) - 1]
    tpr = np.r_[0.0, np.cumsum(sorted_labels)[ends] / positives]
    fpr = np.r_[0.0, np.cumsum(1 - sorted_labels)[ends] / negatives]
    if len(tpr) > max_points:
        keep = np.unique(np.round(np.linspace(0, len(tpr) - 1, max(max_points, 2))).astype(int))
        tpr, fpr = tpr[keep], fpr[keep]
    return [[float(f), float(t)] for f, t in zip(fpr, tpr, strict=True)]


def reliability_curve(
    labels: np.ndarray, probabilities: np.ndarray, bins: int = 10
) -> list[dict[str, float | int]]:
    """Equal-width bins on [0, 1] (the last one includes 1, as in the ECE): per non-empty
    bin its bounds, the mean predicted probability, the observed positive rate and the count."""
    y, p = _validated(labels, probabilities)
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    counts = np.bincount(index, minlength=bins)
    predicted = np.bincount(index, weights=p, minlength=bins)
    observed = np.bincount(index, weights=y, minlength=bins)
    return [
        {
            "lower": b / bins,
            "upper": (b + 1) / bins,
            "mean_probability": float(predicted[b] / counts[b]),
            "observed_rate": float(observed[b] / counts[b]),
            "count": int(counts[b]),
        }
        for b in range(bins)
        if counts[b]
    ]


def threshold_for_sensitivity(
    labels: np.ndarray, probabilities: np.ndarray, target: float
) -> float:
    """The highest threshold that keeps sensitivity >= target (ValueError without positives)."""
    return choose_threshold(labels, probabilities, min_sensitivity=target)


def test_set_metrics(
    labels: np.ndarray, probabilities: np.ndarray, threshold: float
) -> dict[str, Any]:
    """evaluate(...) plus auc_ci [lo, hi], roc [[fpr, tpr], ...] and reliability; auc_ci is
    None and roc empty when the set has a single class."""
    metrics: dict[str, Any] = dict(evaluate(labels, probabilities, threshold))
    both_classes = metrics["auc"] is not None
    metrics["auc_ci"] = (
        list(auc_confidence_interval(labels, probabilities)) if both_classes else None
    )
    metrics["roc"] = roc_points(labels, probabilities) if both_classes else []
    metrics["reliability"] = reliability_curve(labels, probabilities)
    return metrics


# Not a pytest test, though its name starts with "test_" (tests import it).
test_set_metrics.__test__ = False  # type: ignore[attr-defined]


def promotion_gate(
    *,
    candidate: dict[str, Any],
    baseline: dict[str, Any] | None,
    difference: dict[str, Any] | None,
    margin: float,
) -> dict[str, Any]:
    """Passes when there is no baseline, or when the one-sided lower bound of the AUC
    difference is above `margin` and the candidate's sensitivity is not below the
    baseline's. `reasons` has one sentence per check (why it failed, or why it passed)."""
    if baseline is None:
        return {
            "passed": True,
            "reasons": ["There is no active version to compare with."],
            "margin": margin,
        }
    reasons: list[str] = []
    passed = True
    if difference is None or candidate.get("auc") is None or baseline.get("auc") is None:
        passed = False
        reasons.append("The AUCs could not be compared: the test set needs both classes.")
    else:
        percent = round(100 * float(difference.get("level", 0.95)))
        bound = float(difference["lower_bound_one_sided"])
        above = bound > margin
        passed = passed and above
        reasons.append(
            f"AUC {candidate['auc']:.3f} vs {baseline['auc']:.3f}: the difference's "
            f"{percent}% lower bound {_small(bound)} is {'' if above else 'not '}above the "
            f"margin {margin:.3f}."
        )
    sensitivity, baseline_sensitivity = candidate.get("sensitivity"), baseline.get("sensitivity")
    if sensitivity is None or baseline_sensitivity is None:
        passed = False
        reasons.append("The sensitivities could not be compared: the test set has no positives.")
    else:
        kept = sensitivity >= baseline_sensitivity
        passed = passed and kept
        reasons.append(
            f"Sensitivity {sensitivity:.3f} at threshold {candidate['threshold']:.3f} is "
            f"{'not below' if kept else 'below'} the active version's {baseline_sensitivity:.3f}."
        )
    return {"passed": passed, "reasons": reasons, "margin": margin}


def _small(value: float) -> str:
    """Three decimals, or two significant digits for a value that three decimals would show
    as 0.000 or -0.000 (a bound of -2.5e-05 is below a margin of 0, and must read so)."""
    return f"{value:.3f}" if value == 0 or abs(value) >= 0.0005 else f"{value:.1e}"


def shadow_agreement(
    active_probabilities: np.ndarray,
    shadow_probabilities: np.ndarray,
    active_positive: np.ndarray,
    shadow_positive: np.ndarray,
) -> dict[str, Any]:
    """How the shadow version would change the worklist, over the studies both scored.

    flag_changes: studies whose AI flag differs; newly_flagged: flagged by the shadow only;
    unflagged: flagged by the active version only; kendall_tau: Kendall's tau-b of the two
    score rankings; top10_overlap: the share of the active version's 10 highest-scored studies
    (fewer when fewer were scored) that are also among the shadow's 10 highest. Rates are None
    without studies.
    """
    active = np.asarray(active_probabilities, dtype=np.float64).reshape(-1)
    shadow = np.asarray(shadow_probabilities, dtype=np.float64).reshape(-1)
    active_flag = np.asarray(active_positive, dtype=bool).reshape(-1)
    shadow_flag = np.asarray(shadow_positive, dtype=bool).reshape(-1)
    n = len(active)
    if not len(shadow) == len(active_flag) == len(shadow_flag) == n:
        raise ValueError("shadow_agreement needs four arrays of the same length")
    newly_flagged = int((shadow_flag & ~active_flag).sum())
    unflagged = int((active_flag & ~shadow_flag).sum())
    k = min(TOP_K, n)
    if k:
        top_active = set(np.argsort(-active, kind="stable")[:k].tolist())
        top_shadow = set(np.argsort(-shadow, kind="stable")[:k].tolist())
        overlap: float | None = len(top_active & top_shadow) / k
    else:
        overlap = None
    return {
        "n": n,
        "flag_changes": newly_flagged + unflagged,
        "flag_change_rate": (newly_flagged + unflagged) / n if n else None,
        "newly_flagged": newly_flagged,
        "unflagged": unflagged,
        "kendall_tau": kendall_tau(active, shadow),
        "top10_overlap": overlap,
    }


def kendall_tau(a: np.ndarray, b: np.ndarray, chunk: int = 1024) -> float | None:
    """Kendall's tau-b (ties handled), by pairwise signs in chunks; None when either ranking
    is constant or there are fewer than two items."""
    x = np.asarray(a, dtype=np.float64).reshape(-1)
    y = np.asarray(b, dtype=np.float64).reshape(-1)
    score = untied_x = untied_y = 0.0
    for start in range(0, len(x), chunk):
        sign_x = np.sign(x[start : start + chunk, None] - x[None, :])
        sign_y = np.sign(y[start : start + chunk, None] - y[None, :])
        score += float((sign_x * sign_y).sum())
        untied_x += float(np.abs(sign_x).sum())
        untied_y += float(np.abs(sign_y).sum())
    # Every unordered pair was counted twice, the same factor above and below the line.
    if untied_x == 0 or untied_y == 0:
        return None
    return score / math.sqrt(untied_x * untied_y)


def score_drift(reference: np.ndarray, incoming: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Histograms (shares) of two score samples on `bins` equal-width bins of [0, 1], the
    population stability index sum((q - p) ln(q / p)) (shares floored at 1e-4) and the
    two-sample Kolmogorov-Smirnov statistic; psi and ks are None when a sample is empty."""
    ref = _scores(reference)
    new = _scores(incoming)
    edges = np.linspace(0.0, 1.0, bins + 1)
    ref_share = _histogram(ref, bins)
    new_share = _histogram(new, bins)
    psi = ks = None
    if len(ref) and len(new):
        p = np.maximum(np.asarray(ref_share), PSI_EPSILON)
        q = np.maximum(np.asarray(new_share), PSI_EPSILON)
        psi = float(np.sum((q - p) * np.log(q / p)))
        points = np.concatenate([ref, new])
        ref_cdf = np.searchsorted(np.sort(ref), points, side="right") / len(ref)
        new_cdf = np.searchsorted(np.sort(new), points, side="right") / len(new)
        ks = float(np.max(np.abs(ref_cdf - new_cdf)))
    return {
        "bins": [round(float(e), 6) for e in edges],  # 0.3, not 0.30000000000000004
        "reference_histogram": ref_share if len(ref) else None,
        "incoming_histogram": new_share if len(new) else None,
        "psi": psi,
        "ks": ks,
        "n_reference": len(ref),
        "n_incoming": len(new),
    }


def _delong(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUCs (k,) and their DeLong covariance (k, k) for k score rows on the same images,
    by mid-ranks (Sun & Xu 2014): V10 of a positive is the share of negatives it beats
    (ties one half), V01 of a negative the share of positives that beat it."""
    positive = labels == 1
    m, n = int(positive.sum()), int((~positive).sum())
    if m == 0 or n == 0:
        raise ValueError("DeLong's test needs both positive and negative examples")
    v10 = np.empty((len(scores), m))
    v01 = np.empty((len(scores), n))
    for row, s in enumerate(scores):
        x, y = s[positive], s[~positive]
        tx, ty, tz = _mid_ranks(x), _mid_ranks(y), _mid_ranks(np.concatenate([x, y]))
        v10[row] = (tz[:m] - tx) / n
        v01[row] = 1.0 - (tz[m:] - ty) / m
    aucs = v10.mean(axis=1)
    s10 = np.atleast_2d(np.cov(v10)) if m > 1 else np.zeros((len(scores), len(scores)))
    s01 = np.atleast_2d(np.cov(v01)) if n > 1 else np.zeros((len(scores), len(scores)))
    return aucs, s10 / m + s01 / n


def _mid_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, tied values sharing the mean of the ranks they span."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    return (np.cumsum(counts) - (counts - 1) / 2.0)[inverse]


def _scores(values: np.ndarray) -> np.ndarray:
    s = np.asarray(values, dtype=np.float64).reshape(-1)
    if not (np.isfinite(s).all() and ((s >= 0) & (s <= 1)).all()):
        raise ValueError("scores must be finite and in [0, 1]")
    return s


def _histogram(values: np.ndarray, bins: int) -> list[float]:
    if len(values) == 0:
        return [0.0] * bins
    index = np.minimum((values * bins).astype(np.int64), bins - 1)
    return [float(c) for c in np.bincount(index, minlength=bins) / len(values)]


def _z(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError("level must be in (0, 1)")
    return NormalDist().inv_cdf(0.5 + level / 2)


def _expit(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))
