"""manage.py simulate_active_learning and ml.core.simulation: the schedule, the shared start set,
the labels-needed reading of a curve, the product's pool inputs, and a tiny real run."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from ml.core import simulation
from ml.core.active_learning import PoolInput
from ml.core.data import ClassificationData, load_pneumoniamnist
from ml.core.spec import ClassifierHyperparameters, TrainingConfig
from tests.ml.core.helpers import PNEUMONIAMNIST

TINY = ClassifierHyperparameters(widths=(4, 8), convs_per_block=1, dropout=0.1)


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def test_geometric_budgets_double_from_the_start_to_the_final_count() -> None:
    assert simulation.geometric_budgets(100, 1600, 4) == (100, 200, 400, 800, 1600)
    budgets = simulation.geometric_budgets(100, 1600, 8)
    assert budgets[0] == 100 and budgets[-1] == 1600 and len(budgets) == 9
    ratios = np.array(budgets[1:]) / np.array(budgets[:-1])
    assert np.allclose(ratios, 2**0.5, atol=0.01)
    with pytest.raises(ValueError, match="start < final"):
        simulation.geometric_budgets(100, 100, 3)


def test_start_set_is_stratified_repeatable_and_differs_between_seeds() -> None:
    labels = np.array([0] * 250 + [1] * 750)

    first = simulation.start_set(labels, 100, seed=0)

    assert len(first) == len(set(first.tolist())) == 100
    assert int(labels[first].sum()) == 75  # the pool's 3:1 ratio
    assert np.array_equal(first, simulation.start_set(labels, 100, seed=0))
    assert not np.array_equal(first, simulation.start_set(labels, 100, seed=1))
    # A rare class still gets one image, so the first model can be trained at all.
    rare = np.array([0] * 3 + [1] * 997)
    assert set(rare[simulation.start_set(rare, 20, seed=0)].tolist()) == {0, 1}


@pytest.mark.parametrize(
    ("aucs", "target", "expected"),
    [
        ([0.90, 0.95, 0.99], 0.85, 100.0),  # the start set already reaches it
        ([0.90, 0.95, 0.99], 0.95, 200.0),  # exactly on a point
        ([0.90, 0.94, 0.98], 0.96, 400.0**0.5 * 200.0**0.5),  # halfway, in log(labels)
        ([0.90, 0.94, 0.93], 0.95, None),  # never reached
        ([0.90, 0.97, 0.93], 0.95, 100.0 * 2 ** (5 / 7)),  # the first crossing counts
    ],
)
def test_labels_needed_reads_the_first_crossing_of_the_target(
    aucs: list[float], target: float, expected: float | None
) -> None:
    needed = simulation.labels_needed([100, 200, 400], aucs, target)
    assert needed == (None if expected is None else pytest.approx(expected))


def test_pool_inputs_are_built_as_the_annotation_queue_builds_them() -> None:
    rng = np.random.default_rng(0)
    probabilities = rng.random(6)
    passes = rng.random((6, 20))
    embeddings = rng.normal(size=(6, 3)).astype(np.float32)
    labelled, candidates = np.array([0, 1]), np.array([2, 3, 4, 5])

    bald = simulation.pool_scores_for(
        "bald", probabilities, passes, embeddings, labelled, candidates
    )
    entropy = simulation.pool_scores_for(
        "entropy", probabilities, passes, embeddings, labelled, candidates
    )

    # Two passes, mean -/+ sd: what the queue makes of the stored mean and variance.
    mc = bald.require(PoolInput.MC_PROBABILITIES)[:, :, 1]
    assert mc.shape == (4, 2)
    assert np.allclose(mc.mean(axis=1), passes[candidates].mean(axis=1), atol=1e-9)
    assert entropy.mc_probabilities is None  # only a strategy that needs passes gets them
    assert np.allclose(entropy.require(PoolInput.PROBABILITIES)[:, 1], probabilities[candidates])
    assert np.array_equal(entropy.labelled_embeddings, embeddings[labelled])


def small_data() -> ClassificationData:
    full = load_pneumoniamnist(PNEUMONIAMNIST)
    return ClassificationData(
        splits={
            "train": full.splits["train"].subset(np.arange(160)),
            "validation": full.splits["validation"].subset(np.arange(96)),
            "test": full.splits["test"].subset(np.arange(96)),
        },
        source_sha256=full.source_sha256,
    )


def test_every_strategy_of_a_seed_starts_from_the_same_start_set_and_model() -> None:
    config = simulation.SimulationConfig(
        strategies=("random", "bald", "weighted_kmeans_pp"),
        seeds=(0, 1),
        budgets=(16, 24, 40),
        training=TrainingConfig(epochs=1, hyperparameters=TINY),
    )
    emitted: list[simulation.CurvePoint] = []

    result = simulation.simulate(small_data(), config, on_point=emitted.append)

    # The full-data reference (for the first seed), then per seed 3 strategies x 3 points.
    assert len(emitted) == 1 + 2 * 3 * 3
    assert [p.strategy for p in emitted[:1]] == [simulation.FULL_DATA]
    for seed in (0, 1):
        starts = {
            (p.start_set_sha256, p.test_auc, p.positives)
            for p in result.points
            if p.seed == seed and p.round == 0
        }
        assert len(starts) == 1  # same rows, same model, for every strategy
        for strategy in config.strategies:
            assert [p.labels for p in result.curve(strategy, seed)] == [16, 24, 40]
    assert list(result.full_data) == [0] and result.full_data[0].labels == 160
    assert result.start_sets[0].tolist() != result.start_sets[1].tolist()
    digest = {p.seed: p.start_set_sha256 for p in result.points}
    assert digest[0] == simulation.rows_sha256(result.start_sets[0]) != digest[1]


def test_command_writes_curves_table_and_png_from_a_tiny_run(tmp_path: Path) -> None:
    out = io.StringIO()

    call_command(
        "simulate_active_learning",
        strategies="entropy,k_center",
        seeds=1,
        budgets="16,24",
        epochs=1,
        min_steps=0,
        pool_limit=120,
        out=tmp_path,
        stdout=out,
    )

    columns, rows = read_csv(tmp_path / "active_learning_curves.csv")
    assert columns == list(simulation.CURVE_COLUMNS)
    curves = [row for row in rows if row["strategy"] != simulation.FULL_DATA]
    assert {row["strategy"] for row in curves} == {"random", "entropy", "k_center"}
    assert sorted({int(row["labels"]) for row in curves}) == [16, 24]
    first = [row for row in curves if row["round"] == "0"]
    assert len(first) == 3 and len({(r["start_set_sha256"], r["test_auc"]) for r in first}) == 1
    assert all(0.0 <= float(row["test_auc"]) <= 1.0 for row in rows)
    (full,) = [row for row in rows if row["strategy"] == simulation.FULL_DATA]
    assert full["labels"] == "120"

    columns, needed = read_csv(tmp_path / "active_learning_labels_needed.csv")
    assert columns == list(simulation.LABELS_NEEDED_COLUMNS)
    assert {(row["strategy"], row["fraction"]) for row in needed} == {
        (strategy, fraction)
        for strategy in ("random", "entropy", "k_center")
        for fraction in ("0.95", "0.99")
    }
    random_rows = [row for row in needed if row["strategy"] == "random" and row["labels_mean"]]
    assert all(row["ratio_to_random"] == "1.0" for row in random_rows)
    assert (tmp_path / "active_learning_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = (tmp_path / "active_learning_labels_needed.md").read_text()
    assert "| Uncertainty: entropy | `entropy` |" in table
    assert "| Strategy | 16 labels | 24 labels |" in table  # the AUC at each label count
    assert "Labels for 95% of full-data AUC" in out.getvalue()

    # The table and the PNG can be redone from the CSV alone (e.g. of an interrupted run).
    (tmp_path / "active_learning_curves.png").unlink()
    again = tmp_path / "again"
    call_command(
        "simulate_active_learning",
        from_csv=tmp_path / "active_learning_curves.csv",
        out=again,
        stdout=io.StringIO(),
    )
    assert read_csv(again / "active_learning_labels_needed.csv")[1] == needed
    assert (again / "active_learning_curves.png").is_file()


def test_command_refuses_an_unknown_strategy_and_a_budget_beyond_the_pool(
    tmp_path: Path,
) -> None:
    with pytest.raises(CommandError, match="unknown active-learning strategy 'oracle'"):
        call_command("simulate_active_learning", strategies="oracle", out=tmp_path)
    with pytest.raises(CommandError, match="exceeds the pool"):
        call_command(
            "simulate_active_learning",
            budgets="16,200",
            pool_limit=100,
            out=tmp_path,
            stdout=io.StringIO(),
        )
