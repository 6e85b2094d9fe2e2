from __future__ import annotations

import itertools
import math
from statistics import NormalDist

import numpy as np
import pytest

from ml.core import comparison
from ml.core.comparison import (
    auc_confidence_interval,
    delong_paired,
    kendall_tau,
    promotion_gate,
    reliability_curve,
    roc_points,
    score_drift,
    shadow_agreement,
    threshold_for_sensitivity,
)


def _psi(x: float, y: float) -> float:
    return 1.0 if x > y else 0.5 if x == y else 0.0


def _slow_delong(labels: np.ndarray, rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """DeLong 1988 by its definition: structural components with explicit loops."""
    positives = [i for i in range(len(labels)) if labels[i] == 1]
    negatives = [j for j in range(len(labels)) if labels[j] == 0]
    m, n = len(positives), len(negatives)
    v10 = [[sum(_psi(s[i], s[j]) for j in negatives) / n for i in positives] for s in rows]
    v01 = [[sum(_psi(s[i], s[j]) for i in positives) / m for j in negatives] for s in rows]
    aucs = np.array([sum(v) / m for v in v10])
    k = len(rows)
    covariance = np.zeros((k, k))
    for a in range(k):
        for b in range(k):
            s10 = sum((v10[a][i] - aucs[a]) * (v10[b][i] - aucs[b]) for i in range(m)) / (m - 1)
            s01 = sum((v01[a][j] - aucs[a]) * (v01[b][j] - aucs[b]) for j in range(n)) / (n - 1)
            covariance[a, b] = s10 / m + s01 / n
    return aucs, covariance


@pytest.fixture
def scored() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """60 images, two correlated models, scores rounded to 2 decimals so ties occur."""
    rng = np.random.default_rng(7)
    labels = (rng.random(60) < 0.4).astype(int)
    signal = labels + rng.normal(0, 0.8, 60)
    a = np.round(1 / (1 + np.exp(-(signal + rng.normal(0, 0.3, 60)))), 2)
    b = np.round(1 / (1 + np.exp(-(0.6 * signal + rng.normal(0, 0.9, 60)))), 2)
    return labels, a, b


def test_paired_delong_matches_the_definition_with_ties(scored) -> None:
    labels, a, b = scored
    assert len(np.unique(a)) < len(a)  # the fixture does have ties

    aucs, covariance = _slow_delong(labels, [a, b])
    result = delong_paired(labels, a, b)

    difference = aucs[0] - aucs[1]
    se = math.sqrt(covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1])
    assert result["auc_candidate"] == pytest.approx(aucs[0])
    assert result["auc_baseline"] == pytest.approx(aucs[1])
    assert result["difference"] == pytest.approx(difference)
    assert result["ci"] == pytest.approx(
        [difference - 1.959963984540054 * se, difference + 1.959963984540054 * se]
    )
    assert result["lower_bound_one_sided"] == pytest.approx(difference - 1.6448536269514722 * se)
    expected_p = 2 * (1 - NormalDist().cdf(abs(difference) / se))
    assert result["p_value"] == pytest.approx(expected_p)
    assert result["method"] == "DeLong"


def test_single_auc_interval_uses_the_delong_variance_on_the_logit(scored) -> None:
    labels, a, _ = scored
    aucs, covariance = _slow_delong(labels, [a])
    auc, se = aucs[0], math.sqrt(covariance[0, 0])
    half = 1.959963984540054 * se / (auc * (1 - auc))
    logit = math.log(auc / (1 - auc))

    low, high = auc_confidence_interval(labels, a)

    assert (low, high) == pytest.approx(
        (1 / (1 + math.exp(-(logit - half))), 1 / (1 + math.exp(-(logit + half))))
    )
    assert 0 < low < auc < high < 1


def test_a_hand_computed_auc_and_variance() -> None:
    # Positives 0.8, 0.4; negatives 0.5, 0.1. V10 = [1, 0.5], V01 = [0.5, 1]: AUC 0.75,
    # S10 = S01 = 0.125, variance 0.125 / 2 + 0.125 / 2 = 0.125.
    labels = np.array([1, 1, 0, 0])
    scores = np.array([0.8, 0.4, 0.5, 0.1])
    result = delong_paired(labels, scores, np.array([0.5, 0.5, 0.5, 0.5]))

    assert result["auc_candidate"] == 0.75
    assert result["auc_baseline"] == 0.5  # all ties count one half
    # The constant baseline has zero variance and covariance: se = sqrt(0.125).
    assert result["ci"][1] - result["difference"] == pytest.approx(
        1.959963984540054 * math.sqrt(0.125)
    )


def test_identical_models_differ_by_zero_with_p_one(scored) -> None:
    labels, a, _ = scored

    result = delong_paired(labels, a, a.copy())

    assert result["difference"] == 0.0
    assert result["p_value"] == 1.0
    assert result["ci"] == [0.0, 0.0]


def test_a_clearly_better_model_is_significant() -> None:
    rng = np.random.default_rng(3)
    labels = np.repeat([0, 1], 150)
    good = 1 / (1 + np.exp(-(3 * labels - 1.5 + rng.normal(0, 0.7, 300))))
    poor = 1 / (1 + np.exp(-(0.5 * labels + rng.normal(0, 1.0, 300))))

    result = delong_paired(labels, good, poor)

    assert result["difference"] > 0.2
    assert result["p_value"] < 0.05
    assert result["lower_bound_one_sided"] > 0
    reversed_result = delong_paired(labels, poor, good)
    assert reversed_result["difference"] == pytest.approx(-result["difference"])
    assert reversed_result["lower_bound_one_sided"] < 0


def test_one_class_raises_a_clear_error() -> None:
    labels = np.array([1, 1, 1])
    scores = np.array([0.2, 0.5, 0.9])

    with pytest.raises(ValueError, match="both positive and negative"):
        delong_paired(labels, scores, scores)
    with pytest.raises(ValueError, match="both positive and negative"):
        auc_confidence_interval(labels, scores)
    with pytest.raises(ValueError, match="both positive and negative"):
        roc_points(labels, scores)


def test_a_perfect_model_has_a_degenerate_interval() -> None:
    assert auc_confidence_interval(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.7, 0.9])) == (
        1.0,
        1.0,
    )


def test_roc_points_step_through_the_thresholds_and_diagonally_across_ties() -> None:
    labels = np.array([1, 0, 1, 0])
    scores = np.array([0.9, 0.6, 0.6, 0.2])

    # 0.9: one positive; 0.6: a positive and a negative together; 0.2: the last negative.
    assert roc_points(labels, scores) == [[0, 0], [0, 0.5], [0.5, 1], [1, 1]]


def test_roc_points_are_thinned_but_keep_both_ends() -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 500)
    scores = rng.random(1000)

    points = roc_points(labels, scores, max_points=50)

    assert len(points) <= 50
    assert points[0] == [0.0, 0.0] and points[-1] == [1.0, 1.0]
    assert all(a[0] <= b[0] and a[1] <= b[1] for a, b in itertools.pairwise(points))


def test_reliability_curve_counts_each_bin_and_omits_empty_ones() -> None:
    labels = np.array([0, 1, 1, 1, 0])
    scores = np.array([0.05, 0.15, 0.95, 1.0, 0.9])

    curve = reliability_curve(labels, scores)

    assert [(b["lower"], b["upper"], b["count"]) for b in curve] == [
        (0.0, 0.1, 1),
        (0.1, 0.2, 1),
        (0.9, 1.0, 3),
    ]
    assert curve[2]["mean_probability"] == pytest.approx((0.95 + 1.0 + 0.9) / 3)
    assert curve[2]["observed_rate"] == pytest.approx(2 / 3)


def test_threshold_for_sensitivity_keeps_the_target() -> None:
    labels = np.array([1, 1, 1, 1, 0, 0])
    scores = np.array([0.9, 0.8, 0.4, 0.3, 0.5, 0.1])

    assert threshold_for_sensitivity(labels, scores, 0.75) == 0.4
    assert threshold_for_sensitivity(labels, scores, 1.0) == 0.3


def test_test_set_metrics_adds_the_interval_and_curves(scored) -> None:
    labels, a, _ = scored

    metrics = comparison.test_set_metrics(labels, a, 0.5)

    assert metrics["auc_ci"][0] < metrics["auc"] < metrics["auc_ci"][1]
    assert metrics["roc"][0] == [0.0, 0.0] and metrics["roc"][-1] == [1.0, 1.0]
    assert sum(b["count"] for b in metrics["reliability"]) == metrics["n"] == 60
    single = comparison.test_set_metrics(np.array([0, 0]), np.array([0.1, 0.7]), 0.5)
    assert (single["auc"], single["auc_ci"], single["roc"]) == (None, None, [])


def _metrics(auc: float | None, sensitivity: float | None) -> dict:
    return {"auc": auc, "sensitivity": sensitivity, "threshold": 0.31}


def _difference(lower_bound: float) -> dict:
    return {"lower_bound_one_sided": lower_bound, "level": 0.95}


def test_the_gate_passes_without_a_baseline() -> None:
    gate = promotion_gate(candidate=_metrics(0.9, 0.95), baseline=None, difference=None, margin=0)

    assert gate["passed"] is True
    assert gate["reasons"] == ["There is no active version to compare with."]


def test_the_gate_passes_a_better_model_that_keeps_sensitivity() -> None:
    gate = promotion_gate(
        candidate=_metrics(0.985, 0.96),
        baseline=_metrics(0.970, 0.95),
        difference=_difference(0.004),
        margin=0.0,
    )

    assert gate == {
        "passed": True,
        "reasons": [
            "AUC 0.985 vs 0.970: the difference's 95% lower bound 0.004 is above the margin 0.000.",
            "Sensitivity 0.960 at threshold 0.310 is not below the active version's 0.950.",
        ],
        "margin": 0.0,
    }


def test_the_gate_says_when_the_auc_gain_is_not_sure_enough() -> None:
    gate = promotion_gate(
        candidate=_metrics(0.981, 0.96),
        baseline=_metrics(0.978, 0.95),
        difference=_difference(-0.004),
        margin=0.0,
    )

    assert gate["passed"] is False
    assert gate["reasons"][0] == (
        "AUC 0.981 vs 0.978: the difference's 95% lower bound -0.004 is not above the margin 0.000."
    )


def test_a_bound_just_below_zero_does_not_read_as_zero() -> None:
    gate = promotion_gate(
        candidate=_metrics(0.996, 0.94),
        baseline=_metrics(0.996, 0.94),
        difference=_difference(-0.000025),
        margin=0.0,
    )

    assert gate["reasons"][0] == (
        "AUC 0.996 vs 0.996: the difference's 95% lower bound -2.5e-05 is not above the margin "
        "0.000."
    )


def test_the_gate_says_when_the_margin_is_not_cleared() -> None:
    gate = promotion_gate(
        candidate=_metrics(0.99, 0.96),
        baseline=_metrics(0.97, 0.95),
        difference=_difference(0.004),
        margin=0.01,
    )

    assert gate["passed"] is False
    assert "0.004 is not above the margin 0.010" in gate["reasons"][0]


def test_the_gate_refuses_a_loss_of_sensitivity() -> None:
    gate = promotion_gate(
        candidate=_metrics(0.99, 0.93),
        baseline=_metrics(0.97, 0.95),
        difference=_difference(0.01),
        margin=0.0,
    )

    assert gate["passed"] is False
    assert gate["reasons"][1] == (
        "Sensitivity 0.930 at threshold 0.310 is below the active version's 0.950."
    )


def test_the_gate_refuses_when_nothing_can_be_compared() -> None:
    gate = promotion_gate(
        candidate=_metrics(None, None), baseline=_metrics(None, None), difference=None, margin=0
    )

    assert gate["passed"] is False
    assert gate["reasons"] == [
        "The AUCs could not be compared: the test set needs both classes.",
        "The sensitivities could not be compared: the test set has no positives.",
    ]


def test_shadow_agreement_counts_flag_changes_and_rank_agreement() -> None:
    active = np.array([0.9, 0.8, 0.3, 0.2, 0.1])
    shadow = np.array([0.95, 0.4, 0.6, 0.1, 0.2])
    active_flag = active >= 0.5  # flags studies 0, 1
    shadow_flag = shadow >= 0.5  # flags studies 0, 2

    agreement = shadow_agreement(active, shadow, active_flag, shadow_flag)

    assert agreement["n"] == 5
    assert (agreement["newly_flagged"], agreement["unflagged"]) == (1, 1)
    assert agreement["flag_changes"] == 2 and agreement["flag_change_rate"] == 0.4
    # Pairs (of 10) ranked in opposite order: (1, 2) and (3, 4): tau = (8 - 2) / 10.
    assert agreement["kendall_tau"] == pytest.approx(0.6)
    assert agreement["top10_overlap"] == 1.0  # five studies: the top 10 are all of them


def test_shadow_agreement_top10_overlap_on_more_studies() -> None:
    active = np.linspace(1, 0, 20)
    shadow = active.copy()
    shadow[[0, 19]] = shadow[[19, 0]]  # the most urgent study drops to the bottom

    agreement = shadow_agreement(active, shadow, active > 0.5, shadow > 0.5)

    assert agreement["top10_overlap"] == 0.9
    empty = shadow_agreement([], [], [], [])
    assert (empty["n"], empty["flag_change_rate"], empty["kendall_tau"]) == (0, None, None)


def test_kendall_tau_b_with_ties() -> None:
    # x ties (0, 1); y ties (2, 3). Pairs: 6, concordant 4, discordant 0, untied 5 and 5.
    assert kendall_tau(np.array([1, 1, 2, 3]), np.array([1, 2, 3, 3])) == pytest.approx(0.8)
    assert kendall_tau(np.array([1, 1]), np.array([1, 2])) is None


def test_score_drift_of_identical_and_shifted_samples() -> None:
    same = score_drift([0.05, 0.15, 0.15, 0.95], [0.05, 0.15, 0.15, 0.95], bins=10)
    assert same["psi"] == 0.0 and same["ks"] == 0.0
    assert same["reference_histogram"][1] == 0.5 and len(same["bins"]) == 11
    assert same["bins"][3] == 0.3  # written as the edge it is, not 0.30000000000000004

    shifted = score_drift([0.1, 0.1, 0.3, 0.3], [0.3, 0.3, 0.3, 0.9], bins=2)
    # Shares: reference [1, 0] -> floored [1, 1e-4]; incoming [0.75, 0.25].
    expected = (0.75 - 1) * math.log(0.75 / 1) + (0.25 - 1e-4) * math.log(0.25 / 1e-4)
    assert shifted["psi"] == pytest.approx(expected)
    # ECDFs at 0.1: 0.5 vs 0; at 0.3: 1 vs 0.75: the largest gap is 0.5.
    assert shifted["ks"] == 0.5
    assert (shifted["n_reference"], shifted["n_incoming"]) == (4, 4)


def test_score_drift_without_incoming_scores() -> None:
    drift = score_drift([0.2, 0.4], [])

    assert (drift["psi"], drift["ks"], drift["incoming_histogram"]) == (None, None, None)
    assert drift["reference_histogram"][2] == 0.5
