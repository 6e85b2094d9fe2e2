from __future__ import annotations

import numpy as np
import pytest

from ml.core.evaluation import (
    choose_threshold,
    evaluate,
    expected_calibration_error,
    fit_calibration,
    roc_auc,
)
from ml.core.spec import logit, sigmoid


def test_auc_of_perfect_and_reversed_rankings() -> None:
    labels = np.array([0, 0, 1, 1])

    assert roc_auc(labels, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert roc_auc(labels, np.array([0.9, 0.8, 0.2, 0.1])) == 0.0


def test_auc_counts_the_ordered_pairs() -> None:
    # Positives 0.35 (beats 0.1, loses to 0.4) and 0.8 (beats both): 3 of 4 pairs.
    assert roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75


def test_auc_counts_ties_as_half() -> None:
    # Positive 0.2: tie (0.5) + loss; positive 0.6: win + tie (0.5): 2 of 4.
    assert roc_auc(np.array([0, 1, 1, 0]), np.array([0.2, 0.2, 0.6, 0.6])) == 0.5
    assert roc_auc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5


def test_auc_is_none_with_a_single_class() -> None:
    assert roc_auc(np.array([1, 1]), np.array([0.2, 0.9])) is None


def test_threshold_metrics_of_a_hand_computed_case() -> None:
    labels = np.array([1, 1, 1, 0, 0])
    probabilities = np.array([0.9, 0.6, 0.3, 0.7, 0.1])  # at 0.5: TP 2, FN 1, FP 1, TN 1

    metrics = evaluate(labels, probabilities, threshold=0.5)

    assert metrics["sensitivity"] == pytest.approx(2 / 3)
    assert metrics["specificity"] == pytest.approx(1 / 2)
    assert metrics["accuracy"] == pytest.approx(3 / 5)
    assert metrics["brier"] == pytest.approx((0.01 + 0.16 + 0.49 + 0.49 + 0.01) / 5)
    assert metrics["auc"] == pytest.approx(4 / 6)
    assert (metrics["n"], metrics["positives"], metrics["threshold"]) == (5, 3, 0.5)


def test_the_threshold_itself_counts_as_positive() -> None:
    assert evaluate(np.array([1, 0]), np.array([0.5, 0.2]), threshold=0.5)["sensitivity"] == 1.0


def test_undefined_metrics_are_none_not_nan() -> None:
    metrics = evaluate(np.array([0, 0]), np.array([0.2, 0.7]), threshold=0.5)

    assert metrics["sensitivity"] is None
    assert metrics["auc"] is None
    assert metrics["specificity"] == 0.5


def test_ece_of_a_hand_computed_case() -> None:
    # Bin [0, .1): mean p .05, observed .5, weight 1/2; bin [.9, 1]: .95 vs 1, weight 1/2.
    ece = expected_calibration_error(np.array([0, 1, 1, 1]), np.array([0.05, 0.05, 0.95, 0.95]))

    assert ece == pytest.approx(0.5 * 0.45 + 0.5 * 0.05)


def test_a_probability_of_one_falls_in_the_last_bin() -> None:
    assert expected_calibration_error(np.array([1]), np.array([1.0])) == 0.0


def test_choose_threshold_is_the_highest_reaching_the_sensitivity() -> None:
    positives = np.linspace(0.05, 1.0, 20)  # 19 of 20 needed for 0.95
    labels = np.concatenate([np.ones(20), np.zeros(5)])
    probabilities = np.concatenate([positives, np.full(5, 0.5)])

    threshold = choose_threshold(labels, probabilities, min_sensitivity=0.95)

    assert threshold == pytest.approx(0.1)
    assert evaluate(labels, probabilities, threshold)["sensitivity"] == 0.95
    higher = np.nextafter(threshold, 1.0)
    assert evaluate(labels, probabilities, higher)["sensitivity"] == 0.9


def test_choose_threshold_needs_positives() -> None:
    with pytest.raises(ValueError, match="positive"):
        choose_threshold(np.zeros(3), np.array([0.1, 0.2, 0.3]))


def test_calibration_reduces_ece_on_a_skewed_synthetic_case() -> None:
    rng = np.random.default_rng(7)
    truth = rng.uniform(0.02, 0.98, 4000)
    labels = (rng.uniform(size=4000) < truth).astype(int)
    overconfident = sigmoid(3.0 * logit(truth) + 1.0)

    calibration = fit_calibration(labels, overconfident)

    before = expected_calibration_error(labels, overconfident)
    after = expected_calibration_error(labels, calibration.apply(overconfident))
    assert before is not None and after is not None
    assert after < before / 3
    assert calibration.slope == pytest.approx(1 / 3, abs=0.05)
    assert calibration.intercept == pytest.approx(-1 / 3, abs=0.15)


def test_calibration_of_a_separated_set_is_finite() -> None:
    calibration = fit_calibration(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9]))

    assert np.isfinite([calibration.slope, calibration.intercept]).all()
    assert calibration.slope > 0


def separated_validation_set() -> tuple[np.ndarray, np.ndarray]:
    """Like the first model's validation split: ~3 positives to 1 negative, separated, the
    network's raw logits spread from -12 to +16."""
    rng = np.random.default_rng(11)
    labels = np.r_[np.ones(390), np.zeros(135)].astype(int)
    logits = np.where(labels == 1, rng.normal(7.0, 3.5, 525), rng.normal(-6.0, 2.5, 525))
    logits[labels == 1] = np.maximum(logits[labels == 1], 0.5)  # no positive below a negative
    logits[labels == 0] = np.minimum(logits[labels == 0], 0.0)
    return labels, sigmoid(logits)


def test_label_smoothing_keeps_a_separated_set_from_collapsing_to_certainty() -> None:
    labels, raw = separated_validation_set()

    sharp = fit_calibration(labels, raw).apply(raw)
    smoothed = fit_calibration(labels, raw, label_smoothing=0.02).apply(raw)

    assert (sharp >= 0.995).mean() > 0.5  # what the worklist showed as "1.00"
    assert (smoothed >= 0.995).mean() < 0.35
    assert smoothed.max() < sharp.max() and smoothed.min() > sharp.min()
    # A monotone map: the order of the studies and the threshold's decisions stay.
    assert (np.diff(smoothed[np.argsort(raw)]) >= 0).all()


def test_label_smoothing_is_a_floor_on_the_error_rate_the_targets_claim() -> None:
    labels, raw = separated_validation_set()

    calibration = fit_calibration(labels, raw, label_smoothing=0.02)

    # A logistic fit's mean equals its targets' mean: here 0.98 per positive, 0.02 per negative.
    targets = np.where(labels == 1, 0.98, 0.02)
    assert calibration.apply(raw).mean() == pytest.approx(targets.mean(), abs=1e-6)


def test_label_smoothing_outside_zero_to_a_half_is_refused() -> None:
    labels, raw = separated_validation_set()
    for value in (-0.1, 0.5):
        with pytest.raises(ValueError, match="label_smoothing"):
            fit_calibration(labels, raw, label_smoothing=value)


def test_calibration_without_both_classes_is_the_identity() -> None:
    assert fit_calibration(np.ones(3), np.array([0.2, 0.5, 0.9])).to_dict() == {
        "slope": 1.0,
        "intercept": 0.0,
    }


def test_mismatched_or_invalid_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        evaluate(np.array([0, 1]), np.array([0.5]), 0.5)
    with pytest.raises(ValueError):
        evaluate(np.array([0, 2]), np.array([0.5, 0.5]), 0.5)
    with pytest.raises(ValueError):
        evaluate(np.array([0, 1]), np.array([0.5, 1.5]), 0.5)
