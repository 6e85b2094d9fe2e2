"""Active-learning strategies on small arrays whose right answer is known by construction."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from ml.core.active_learning import (
    STRATEGIES,
    EmptyPoolError,
    PoolInput,
    PoolScores,
    batch_select,
    strategy_get,
)
from ml.core.active_learning.diversity import nearest_squared_distances
from ml.core.active_learning.uncertainty import bald, entropy, margin


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def full_pool(n: int = 40, seed: int = 0) -> PoolScores:
    """Every input present, values arbitrary but valid."""
    generator = rng(seed)
    return PoolScores(
        probabilities=generator.random(n),
        mc_probabilities=generator.random((n, 5)),
        embeddings=generator.normal(size=(n, 4)),
    )


def cluster_with_far_points() -> tuple[np.ndarray, set[int]]:
    """Twenty points within 0.1 of the origin, then three far away in different directions."""
    cluster = rng(1).normal(scale=0.05, size=(20, 2))
    far = np.array([[10.0, 0.0], [-10.0, 0.0], [0.0, 10.0]])
    return np.vstack([cluster, far]), {20, 21, 22}


# Uncertainty: entropy, margin, BALD


def test_entropy_picks_the_probabilities_nearest_one_half_in_order() -> None:
    pool = PoolScores(probabilities=np.array([0.99, 0.5, 0.05, 0.6, 0.7, 0.45]))

    selection = STRATEGIES["entropy"].select(pool, 3, rng())

    assert selection.indices.tolist() == [1, 5, 3]
    assert selection.scores["entropy"][0] == pytest.approx(np.log(2))
    assert np.all(np.diff(selection.scores["entropy"]) <= 0)


def test_margin_picks_the_smallest_gap_between_the_top_two_classes() -> None:
    probabilities = np.array(
        [[0.9, 0.05, 0.05], [0.4, 0.35, 0.25], [0.5, 0.1, 0.4], [0.34, 0.33, 0.33]]
    )

    selection = STRATEGIES["margin"].select(PoolScores(probabilities=probabilities), 3, rng())

    assert selection.indices.tolist() == [3, 1, 2]
    assert selection.scores["margin"] == pytest.approx([0.01, 0.05, 0.1])


def test_binary_margin_is_the_distance_of_2p_from_1() -> None:
    p = np.array([0.1, 0.5, 0.8])

    assert margin(np.stack([1 - p, p], axis=1)) == pytest.approx([0.8, 0.0, 0.6])


def test_bald_prefers_passes_that_disagree_over_passes_that_agree_on_one_half() -> None:
    # Row 0: every pass says 0.5 (uncertain, but consistently so: nothing to learn from the
    # model's weights). Row 1: passes say 0.05 or 0.95 (confident and disagreeing).
    # Row 2: all passes confident and agreeing.
    mc = np.array([[0.5] * 6, [0.05, 0.95] * 3, [0.97] * 6])
    pool = PoolScores(mc_probabilities=mc)

    selection = STRATEGIES["bald"].select(pool, 3, rng())

    assert selection.indices[0] == 1
    assert selection.scores["bald"][0] > 0.4
    assert bald(pool.require(PoolInput.MC_PROBABILITIES))[0] == pytest.approx(0.0, abs=1e-9)
    # Both rows 0 and 1 have the same predictive entropy (mean 0.5): only BALD tells them apart.
    assert selection.scores["predictive_entropy"][0] == pytest.approx(np.log(2))


def test_entropy_is_zero_when_certain_and_log_k_when_uniform() -> None:
    assert entropy(np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])) == pytest.approx(
        [0.0, np.log(3)]
    )


# Random


def test_random_is_reproducible_with_a_seed_and_differs_across_seeds() -> None:
    pool = PoolScores(probabilities=np.full(1000, 0.5))

    first = STRATEGIES["random"].select(pool, 20, rng(7)).indices
    again = STRATEGIES["random"].select(pool, 20, rng(7)).indices
    other = STRATEGIES["random"].select(pool, 20, rng(8)).indices

    assert first.tolist() == again.tolist()
    assert first.tolist() != other.tolist()
    assert len(set(first.tolist())) == 20


def test_ties_are_broken_by_the_seed_not_by_row_order() -> None:
    pool = PoolScores(probabilities=np.full(100, 0.5))

    picks = {tuple(STRATEGIES["entropy"].select(pool, 3, rng(seed)).indices) for seed in range(5)}

    assert len(picks) > 1


# Diversity: k-center greedy


def test_k_center_picks_the_far_points() -> None:
    embeddings, far = cluster_with_far_points()

    selection = STRATEGIES["k_center"].select(PoolScores(embeddings=embeddings), 4, rng())

    # First the point nearest the middle, then the three far ones, farthest first.
    assert selection.indices[0] < 20
    assert set(selection.indices[1:].tolist()) == far
    assert np.isnan(selection.scores["distance"][0])
    assert np.all(selection.scores["distance"][1:] > 9.0)


def test_k_center_avoids_what_is_already_labelled() -> None:
    embeddings, _ = cluster_with_far_points()
    labelled = np.array([[10.0, 0.0], [-10.0, 0.0]])  # two of the far points are labelled
    pool = PoolScores(embeddings=embeddings, labelled_embeddings=labelled)

    selection = STRATEGIES["k_center"].select(pool, 2, rng())

    assert selection.indices[0] == 22  # the one far point nobody has labelled
    assert selection.scores["distance"][0] == pytest.approx(np.hypot(10, 10), rel=0.01)
    assert not {20, 21} & set(selection.indices.tolist())


def test_k_center_fills_the_batch_even_when_only_duplicates_remain() -> None:
    embeddings = np.zeros((5, 3))

    selection = STRATEGIES["k_center"].select(PoolScores(embeddings=embeddings), 5, rng())

    assert sorted(selection.indices.tolist()) == [0, 1, 2, 3, 4]


def test_a_candidate_identical_to_a_labelled_image_is_at_distance_zero() -> None:
    embeddings = rng().normal(size=(50, 16)).astype(np.float32) * 100
    labelled = embeddings[[3, 30]] + 0.0

    distances = nearest_squared_distances(embeddings, labelled)

    assert distances[3] == 0.0 and distances[30] == 0.0
    assert np.all(np.delete(distances, [3, 30]) > 0)


# Hybrid: uncertainty-weighted k-means++


def test_the_hybrid_never_returns_two_identical_embeddings_in_one_batch() -> None:
    # Ten distinct images, each copied ten times, and every copy maximally uncertain: ranking by
    # uncertainty alone would take ten copies of the first image.
    distinct = rng(2).normal(size=(10, 8))
    pool = PoolScores(probabilities=np.full(100, 0.5), embeddings=np.repeat(distinct, 10, axis=0))

    for seed in range(20):
        selection = STRATEGIES["weighted_kmeans_pp"].select(pool, 10, rng(seed))
        chosen = pool.require(PoolInput.EMBEDDINGS)[selection.indices]
        assert len(np.unique(chosen, axis=0)) == len(selection) == 10


def test_the_hybrid_stops_short_rather_than_repeat_an_embedding() -> None:
    pool = PoolScores(probabilities=np.full(6, 0.5), embeddings=np.repeat(np.eye(2), 3, axis=0))

    selection = STRATEGIES["weighted_kmeans_pp"].select(pool, 5, rng())

    assert len(selection) == 2
    assert all(len(values) == 2 for values in selection.scores.values())


def test_the_hybrid_skips_candidates_identical_to_labelled_images() -> None:
    distinct = np.eye(4)
    pool = PoolScores(
        probabilities=np.full(4, 0.5), embeddings=distinct, labelled_embeddings=distinct[:2]
    )

    selection = STRATEGIES["weighted_kmeans_pp"].select(pool, 4, rng())

    assert sorted(selection.indices.tolist()) == [2, 3]


def test_the_hybrid_prefers_uncertain_candidates_among_equally_spread_ones() -> None:
    # Two groups of equally spaced points; only the second group is uncertain.
    embeddings = np.vstack([np.eye(20) * 5, -np.eye(20) * 5])
    probabilities = np.r_[np.full(20, 0.99999), np.full(20, 0.5)]
    pool = PoolScores(probabilities=probabilities, embeddings=embeddings)

    selection = STRATEGIES["weighted_kmeans_pp"].select(pool, 10, rng(3))

    assert np.all(selection.indices >= 20)
    assert selection.scores["draw_probability"].max() <= 1.0


def test_the_hybrid_is_deterministic_given_the_seed() -> None:
    pool = full_pool(200)

    first = STRATEGIES["weighted_kmeans_pp"].select(pool, 10, rng(5))
    again = STRATEGIES["weighted_kmeans_pp"].select(pool, 10, rng(5))

    assert first.indices.tolist() == again.indices.tolist()


# The interface


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_every_strategy_returns_distinct_rows_with_one_score_per_pick(name: str) -> None:
    selection = batch_select(name, full_pool(), 7, rng())

    assert selection.strategy == name
    assert selection.indices.dtype == np.int64
    assert len(set(selection.indices.tolist())) == len(selection) == 7
    assert all(values.shape == (7,) for values in selection.scores.values())


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_a_batch_larger_than_the_pool_returns_the_whole_pool(name: str) -> None:
    selection = batch_select(name, full_pool(5), 50, rng())

    assert sorted(selection.indices.tolist()) == [0, 1, 2, 3, 4]


def test_records_are_json_with_none_for_scores_that_do_not_apply() -> None:
    embeddings, _ = cluster_with_far_points()
    selection = batch_select("k_center", PoolScores(embeddings=embeddings), 2, rng())

    records = json.loads(json.dumps(selection.records(), allow_nan=False))

    assert records[0]["rank"] == 0 and records[0]["strategy"] == "k_center"
    assert records[0]["scores"] == {"distance": None}
    assert records[1]["scores"]["distance"] > 9.0


def test_the_registry_says_what_each_strategy_needs() -> None:
    assert set(STRATEGIES) == {
        "random",
        "entropy",
        "margin",
        "bald",
        "k_center",
        "weighted_kmeans_pp",
    }
    assert STRATEGIES["bald"].needs == {PoolInput.MC_PROBABILITIES}
    assert PoolInput.EMBEDDINGS in STRATEGIES["weighted_kmeans_pp"].needs
    assert PoolInput.LABELLED_EMBEDDINGS in STRATEGIES["k_center"].uses
    assert all(strategy.display_name for strategy in STRATEGIES.values())


# Bad input


def test_an_unknown_strategy_is_refused_with_the_known_keys() -> None:
    with pytest.raises(ValueError, match=r"unknown.*'nearest'.*k_center"):
        strategy_get("nearest")


def test_an_empty_pool_raises_its_own_error() -> None:
    pool = PoolScores(probabilities=np.empty(0), embeddings=np.empty((0, 4)))

    with pytest.raises(EmptyPoolError, match="empty"):
        STRATEGIES["weighted_kmeans_pp"].select(pool, 5, rng())


def test_nan_probabilities_are_refused_with_their_count() -> None:
    with pytest.raises(ValueError, match="2 of 4 candidates have NaN probabilities"):
        PoolScores(probabilities=np.array([0.1, np.nan, 0.5, np.nan]))


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"probabilities": np.full(3, 0.5), "embeddings": np.zeros((4, 2))}, "disagree"),
        ({"embeddings": np.zeros((3, 2)), "labelled_embeddings": np.zeros((1, 5))}, "features"),
        ({"labelled_embeddings": np.zeros((1, 5))}, "without embeddings"),
        ({"probabilities": np.full((3, 3), 0.5)}, "sum to 1"),
        ({"probabilities": np.array([0.2, 1.5])}, r"\[0, 1\]"),
        ({"probabilities": np.full((2, 2, 2), 0.5)}, "shape"),
        (
            {"probabilities": np.full((2, 3), 1 / 3), "mc_probabilities": np.full((2, 4), 0.5)},
            "3 classes",
        ),
        ({"embeddings": np.array([[0.0, np.inf], [1.0, 1.0]])}, "1 of 2 rows of embeddings"),
    ],
)
def test_inconsistent_arrays_are_refused(arrays: dict[str, np.ndarray], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PoolScores(**arrays)


def test_a_missing_input_and_a_bad_batch_size_are_refused() -> None:
    with pytest.raises(ValueError, match="'bald' needs mc_probabilities"):
        batch_select("bald", PoolScores(probabilities=np.full(3, 0.5)), 2, rng())
    with pytest.raises(ValueError, match="at least 1"):
        batch_select("entropy", PoolScores(probabilities=np.full(3, 0.5)), 0, rng())


def test_the_strategies_import_without_django_or_tensorflow() -> None:
    code = (
        "import sys, ml.core.active_learning; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'tensorflow')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
