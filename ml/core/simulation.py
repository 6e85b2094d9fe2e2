"""Simulated active learning on PneumoniaMNIST: does choosing what to label pay?

The product's own loop, with annotators replaced by the data set's labels:

1. Per seed, one small start set is drawn from the pool (the seed data's "train" split),
   stratified by class, and shared by every strategy; the model trained on it, and its pool
   scores, are shared too, so every curve starts from the same point.
2. Each round trains a classifier from scratch on the labels gathered so far with
   `training.train_prepared` (the product's training: augmentation, class weights, epoch
   selection and calibration on the official validation split), scores the whole pool with
   `pool_scoring.PoolScorer` (probability, embeddings, MC-dropout passes) and lets the strategy
   pick the next batch from the unlabelled rest through `active_learning.batch_select`, with its
   inputs built as the annotation queue builds them (annotations.services.queue._pool_scores:
   MC-dropout reduced to its mean and variance, labelled images' embeddings passed on). The
   picked images' labels are then "revealed" from the data set.
3. Every trained model is judged by its AUC on the fixed test split (the seed data's internal
   "test" split; never the official test split), against the number of labels it saw.
4. The reference is the same training on the whole pool (for the first `reference_seeds`
   seeds, averaged); `labels_needed` reads off each curve the labels at which it first reaches
   a given fraction of that AUC.

Pure: no Django. Plotting imports matplotlib only when called.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import math
import statistics
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ml.core.active_learning import STRATEGIES, PoolInput, PoolScores, batch_select, strategy_get
from ml.core.data import ClassificationData
from ml.core.spec import TrainingConfig

# Start sets are drawn from this seed sequence (with the simulation seed), apart from training.
START_SET_ENTROPY = 20261130
MC_SAMPLES = 20  # as ml.pool_tasks scores the pool
CURVE_COLUMNS = (
    "strategy",
    "seed",
    "round",
    "labels",
    "positives",
    "test_auc",
    "validation_auc",
    "epochs",
    "best_epoch",
    "train_seconds",
    "start_set_sha256",
)
LABELS_NEEDED_COLUMNS = (
    "strategy",
    "fraction",
    "target_auc",
    "seeds",
    "reached",
    "labels_mean",
    "labels_sd",
    "labels_per_seed",
    "ratio_to_random",
)
FULL_DATA = "full_data"  # the strategy name of the reference rows in the curves CSV

Log = Callable[[str], None]


@dataclass(frozen=True)
class SimulationConfig:
    """strategies: registry keys; seeds: one curve per strategy and seed; budgets: labels after
    each round, increasing, the first being the start set's size. `training` is the product's
    TrainingConfig (its seed is offset by the simulation seed, the same for every strategy);
    a round trains max(training.epochs, ceil(min_steps / steps per epoch)) epochs, all of them
    (no early stopping), so the smallest label sets still get enough optimiser steps."""

    strategies: tuple[str, ...]
    seeds: tuple[int, ...]
    budgets: tuple[int, ...]
    training: TrainingConfig = field(default_factory=TrainingConfig)
    min_steps: int = 0
    mc_samples: int = MC_SAMPLES
    fractions: tuple[float, ...] = (0.95, 0.99)
    reference_seeds: int = 1

    def __post_init__(self) -> None:
        for name in self.strategies:
            strategy_get(name)  # ValueError listing the known keys
        if not self.strategies or not self.seeds:
            raise ValueError("at least one strategy and one seed are needed")
        if len(self.budgets) < 1 or self.budgets[0] < 2:
            raise ValueError("budgets start with the start set's size (at least 2)")
        if any(b <= a for a, b in zip(self.budgets, self.budgets[1:], strict=False)):
            raise ValueError("budgets must increase")
        if self.min_steps < 0:
            raise ValueError("min_steps must not be negative")
        if self.reference_seeds < 1:
            raise ValueError("at least one full-data reference is needed")

    def epochs_for(self, labels: int) -> int:
        steps = math.ceil(labels / self.training.batch_size)
        return max(self.training.epochs, math.ceil(self.min_steps / steps))


@dataclass(frozen=True)
class CurvePoint:
    strategy: str
    seed: int
    round: int
    labels: int
    positives: int
    test_auc: float
    validation_auc: float
    epochs: int
    best_epoch: int
    train_seconds: float
    start_set_sha256: str

    def row(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class SimulationResult:
    config: SimulationConfig
    pool_size: int
    points: list[CurvePoint]
    full_data: dict[int, CurvePoint]  # by seed: the models trained on the whole pool
    start_sets: dict[int, np.ndarray]  # per seed: pool rows of the shared start set
    seconds: float = 0.0

    @property
    def reference_auc(self) -> float:
        """The full-data test AUC every fraction is taken of (mean over the references)."""
        return statistics.fmean(p.test_auc for p in self.full_data.values())

    def curve(self, strategy: str, seed: int) -> list[CurvePoint]:
        return sorted(
            (p for p in self.points if p.strategy == strategy and p.seed == seed),
            key=lambda p: p.labels,
        )


def result_from_rows(
    rows: Sequence[dict[str, str]], fractions: tuple[float, ...] = (0.95, 0.99)
) -> SimulationResult:
    """A SimulationResult from the curves CSV's rows (e.g. of an interrupted run), keeping
    only the seeds that have every strategy's every round."""
    points = [
        CurvePoint(
            strategy=row["strategy"],
            seed=int(row["seed"]),
            round=int(row["round"]),
            labels=int(row["labels"]),
            positives=int(row["positives"]),
            test_auc=float(row["test_auc"]),
            validation_auc=float(row["validation_auc"]),
            epochs=int(row["epochs"]),
            best_epoch=int(row["best_epoch"]),
            train_seconds=float(row["train_seconds"]),
            start_set_sha256=row["start_set_sha256"],
        )
        for row in rows
    ]
    curves = [p for p in points if p.strategy != FULL_DATA]
    if not curves:
        raise ValueError("the CSV holds no curve points")
    strategies = tuple(dict.fromkeys(p.strategy for p in curves))
    budgets = tuple(sorted({p.labels for p in curves}))
    full_data = {p.seed: p for p in points if p.strategy == FULL_DATA}
    if not full_data:
        raise ValueError("the CSV holds no full-data reference")
    seeds = tuple(
        seed
        for seed in sorted({p.seed for p in curves})
        if all(
            sorted(p.labels for p in curves if p.strategy == strategy and p.seed == seed)
            == list(budgets)
            for strategy in strategies
        )
    )
    if not seeds:
        raise ValueError("no seed in the CSV is complete")
    config = SimulationConfig(
        strategies=strategies,
        seeds=seeds,
        budgets=budgets,
        fractions=fractions,
        reference_seeds=len(full_data),
    )
    return SimulationResult(
        config=config,
        pool_size=next(iter(full_data.values())).labels,
        points=[p for p in curves if p.seed in seeds],
        full_data=full_data,
        start_sets={},
    )


def read_curves_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def geometric_budgets(start: int, final: int, rounds: int) -> tuple[int, ...]:
    """start, then `rounds` label counts growing by a constant factor up to `final`, rounded
    to whole labels (start=100, final=1600, rounds=4: 100, 200, 400, 800, 1600)."""
    if start < 2 or final <= start or rounds < 1:
        raise ValueError("need 2 <= start < final and at least one round")
    factor = (final / start) ** (1.0 / rounds)
    budgets = [start]
    for step in range(1, rounds + 1):
        budgets.append(max(budgets[-1] + 1, round(start * factor**step)))
    budgets[-1] = final
    return tuple(budgets)


def start_set(labels: np.ndarray, size: int, seed: int) -> np.ndarray:
    """`size` pool rows drawn without replacement, stratified by class (each class in
    proportion, at least one of each), sorted; the same for the same labels, size and seed."""
    labels = np.asarray(labels)
    classes = np.unique(labels)
    if len(classes) < 2 or size < len(classes) or size > len(labels):
        raise ValueError(f"cannot draw a start set of {size} with both classes")
    rng = np.random.default_rng([START_SET_ENTROPY, seed])
    counts = {c: round(size * float(np.mean(labels == c))) for c in classes}
    counts = {c: min(max(n, 1), int(np.sum(labels == c))) for c, n in counts.items()}
    largest = max(counts, key=lambda c: counts[c])
    counts[largest] += size - sum(counts.values())
    rows = [rng.choice(np.flatnonzero(labels == c), counts[c], replace=False) for c in classes]
    return np.sort(np.concatenate(rows)).astype(np.int64)


def rows_sha256(rows: np.ndarray) -> str:
    return hashlib.sha256(np.sort(np.asarray(rows, np.int64)).tobytes()).hexdigest()


def pool_scores_for(
    strategy: str,
    probabilities: np.ndarray,
    mc_probabilities: np.ndarray,
    embeddings: np.ndarray,
    labelled: np.ndarray,
    candidates: np.ndarray,
) -> PoolScores:
    """The strategy's inputs for the candidate rows, as the annotation queue builds them from
    stored ImageScores: the stored MC-dropout mean and variance become two passes, mean -/+ sd
    (only for a strategy that needs passes), and the labelled rows' embeddings are passed on."""
    mc = None
    if PoolInput.MC_PROBABILITIES in strategy_get(strategy).needs and mc_probabilities.shape[1]:
        passes = mc_probabilities[candidates].astype(np.float64)
        mean, spread = passes.mean(axis=1), np.sqrt(np.maximum(passes.var(axis=1), 0.0))
        mc = np.clip(np.stack([mean - spread, mean + spread], axis=1), 0.0, 1.0)
    return PoolScores(
        probabilities=np.clip(probabilities[candidates], 0.0, 1.0),
        mc_probabilities=mc,
        embeddings=embeddings[candidates],
        labelled_embeddings=embeddings[labelled] if len(labelled) else None,
    )


def simulate(
    data: ClassificationData,
    config: SimulationConfig,
    *,
    log: Log | None = None,
    on_point: Callable[[CurvePoint], None] | None = None,
) -> SimulationResult:
    """Run every strategy for every seed over the budgets (see the module docstring); seeds
    outermost, so an interrupted run has whole seeds behind it. `on_point` gets every trained
    model's CurvePoint as soon as it exists (the command appends it to the CSV).

    `data` needs "train" (the pool), "validation" and "test". Raises ValueError when the
    largest budget exceeds the pool."""
    # Imported here so that the pure helpers above load without TensorFlow.
    from ml.core.training import PreparedData, PreparedSplit, prepare_seed_data

    say = log or (lambda message: None)
    emit = on_point or (lambda point: None)
    started = time.monotonic()
    prepared = prepare_seed_data(data, config.training.spec)
    pool = prepared.splits["train"]
    if config.budgets[-1] > len(pool):
        raise ValueError(f"the largest budget {config.budgets[-1]} exceeds the pool ({len(pool)})")
    fixed = {name: prepared.splits[name] for name in ("validation", "test")}

    def train(rows: np.ndarray, seed: int) -> tuple[Any, dict[str, Any]]:
        epochs = config.epochs_for(len(rows))
        # Early stopping counts epochs, and a few hundred images make an epoch of a few
        # steps: patience would end training long before the BatchNorm statistics settle
        # (momentum 0.99), so every epoch runs; the best one is still chosen on validation.
        training = dataclasses.replace(
            config.training,
            epochs=epochs,
            seed=config.training.seed + seed,
            early_stopping_patience=epochs,
        )
        split = PreparedSplit(images=pool.images[rows], labels=pool.labels[rows])
        result = _train(PreparedData(splits={"train": split, **fixed}), training)
        return result.model, {
            "positives": int(pool.labels[rows].sum()),
            "test_auc": float(result.metrics["test"]["auc"]),
            "validation_auc": float(result.metrics["validation"]["auc"]),
            "epochs": epochs,
            "best_epoch": int(result.best_epoch),
            "train_seconds": round(float(result.training_seconds), 2),
        }

    points: list[CurvePoint] = []
    full_data: dict[int, CurvePoint] = {}
    start_sets: dict[int, np.ndarray] = {}
    everything = np.arange(len(pool), dtype=np.int64)
    for seed in config.seeds[: config.reference_seeds]:
        _, figures = train(everything, seed)
        full_data[seed] = CurvePoint(FULL_DATA, seed, 0, len(pool), start_set_sha256="", **figures)
        emit(full_data[seed])
        say(f"seed {seed}: all {len(pool)} pool labels, test AUC {figures['test_auc']:.4f}")
    for seed in config.seeds:
        start = start_set(pool.labels, config.budgets[0], seed)
        start_sets[seed] = start
        digest = rows_sha256(start)
        model, figures = train(start, seed)
        say(f"seed {seed}: start set of {len(start)}, test AUC {figures['test_auc']:.4f}")
        start_scores = _score(model, pool.images, config, seed, 0, "")
        for strategy in config.strategies:
            labelled, scores = start, start_scores
            first = CurvePoint(strategy, seed, 0, len(start), start_set_sha256=digest, **figures)
            points.append(first)
            emit(first)
            for round_, budget in enumerate(config.budgets[1:], start=1):
                candidates = np.setdiff1d(everything, labelled, assume_unique=True)
                inputs = pool_scores_for(strategy, *scores, labelled, candidates)
                rng = np.random.default_rng([seed, round_, zlib.crc32(strategy.encode())])
                selection = batch_select(strategy, inputs, budget - len(labelled), rng)
                labelled = np.sort(np.concatenate([labelled, candidates[selection.indices]]))
                model, round_figures = train(labelled, seed)
                point = CurvePoint(
                    strategy, seed, round_, len(labelled), start_set_sha256=digest, **round_figures
                )
                points.append(point)
                emit(point)
                say(
                    f"seed {seed} {strategy}: {len(labelled)} labels, test AUC "
                    f"{round_figures['test_auc']:.4f} ({time.monotonic() - started:.0f} s)"
                )
                if round_ < len(config.budgets) - 1:
                    scores = _score(model, pool.images, config, seed, round_, strategy)
    return SimulationResult(
        config=config,
        pool_size=len(pool),
        points=points,
        full_data=full_data,
        start_sets=start_sets,
        seconds=time.monotonic() - started,
    )


def _train(data: Any, config: TrainingConfig) -> Any:
    from ml.core.training import train_prepared

    return train_prepared(data, config)


def _score(
    model: Any,
    images: np.ndarray,
    config: SimulationConfig,
    seed: int,
    round_: int,
    strategy: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(probabilities, MC-dropout passes, embeddings) of every pool image, from PoolScorer.
    Skipped (zeros) for a strategy that reads no scores (random), to save the run's time."""
    if strategy and not (strategy_get(strategy).needs | strategy_get(strategy).uses):
        n = len(images)
        return np.zeros(n), np.zeros((n, 0)), np.zeros((n, 1), np.float32)
    from ml.core.pool_scoring import PoolScorer

    rng = np.random.default_rng([seed, round_, 7])
    outputs = PoolScorer(model).score(images, mc_samples=config.mc_samples, rng=rng)
    return outputs.probabilities, outputs.mc_probabilities, outputs.embeddings


def labels_needed(labels: Sequence[int], aucs: Sequence[float], target: float) -> float | None:
    """Labels at which a curve first reaches `target`, linearly interpolated in log(labels)
    between the last point below it and the first at or above it; the first point itself
    when it already reaches it; None when no point does."""
    previous: tuple[int, float] | None = None
    for count, auc in zip(labels, aucs, strict=True):
        if auc >= target:
            if previous is None:
                return float(count)
            (low, low_auc) = previous
            share = (target - low_auc) / (auc - low_auc)
            return float(math.exp(math.log(low) + share * (math.log(count) - math.log(low))))
        previous = (count, auc)
    return None


def labels_needed_rows(result: SimulationResult) -> list[dict[str, Any]]:
    """One row per strategy and fraction: labels to reach fraction x the full-data AUC, mean
    and sd over the seeds that reached it, and the ratio of the mean to random's (when both
    reached it in every seed)."""
    rows: list[dict[str, Any]] = []
    for fraction in result.config.fractions:
        per_strategy: dict[str, list[float | None]] = {}
        for strategy in result.config.strategies:
            needed = []
            for seed in result.config.seeds:
                curve = result.curve(strategy, seed)
                target = fraction * result.reference_auc
                needed.append(
                    labels_needed([p.labels for p in curve], [p.test_auc for p in curve], target)
                )
            per_strategy[strategy] = needed
        random = per_strategy.get("random")
        random_mean = _mean_if_all(random) if random is not None else None
        for strategy, needed in per_strategy.items():
            reached = [n for n in needed if n is not None]
            mean = _mean_if_all(needed)
            rows.append(
                {
                    "strategy": strategy,
                    "fraction": fraction,
                    "target_auc": round(fraction * result.reference_auc, 4),
                    "seeds": len(needed),
                    "reached": len(reached),
                    "labels_mean": None if mean is None else round(mean, 1),
                    "labels_sd": (
                        None
                        if mean is None or len(reached) < 2
                        else round(statistics.stdev(reached), 1)
                    ),
                    "labels_per_seed": " ".join("-" if n is None else f"{n:.0f}" for n in needed),
                    "ratio_to_random": (
                        None
                        if mean is None or random_mean is None
                        else round(mean / random_mean, 3)
                    ),
                }
            )
    return rows


def _mean_if_all(values: Sequence[float | None] | None) -> float | None:
    if not values or any(v is None for v in values):
        return None
    return statistics.fmean(v for v in values if v is not None)


def write_curves_csv(result: SimulationResult, path: Path) -> None:
    """One row per trained model: the strategies' rounds, then the full-data references."""
    rows = [p.row() for p in result.points] + [p.row() for p in result.full_data.values()]
    _write_csv(path, CURVE_COLUMNS, rows)


def write_labels_needed_csv(rows: list[dict[str, Any]], path: Path) -> None:
    _write_csv(path, LABELS_NEEDED_COLUMNS, rows)


def _write_csv(path: Path, columns: Sequence[str], rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: "" if row[key] is None else row[key] for key in columns})


def labels_needed_markdown(rows: list[dict[str, Any]], result: SimulationResult) -> str:
    """The labels-needed table (strategy x fraction) as Markdown."""
    display = {name: STRATEGIES[name].display_name for name in result.config.strategies}
    fractions = result.config.fractions
    header = "| Strategy | Key | " + " | ".join(
        f"Labels for {f:.0%} of full-data AUC (mean ± sd) | Ratio to random ({f:.0%})"
        for f in fractions
    )
    lines = [header + " |", "|---|---|" + "---:|---:|" * len(fractions)]
    by_key = {(row["strategy"], row["fraction"]): row for row in rows}
    for strategy in result.config.strategies:
        cells = [display[strategy], f"`{strategy}`"]
        for fraction in fractions:
            row = by_key[(strategy, fraction)]
            cells += [_labels_cell(row), _ratio_cell(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def auc_markdown(result: SimulationResult) -> str:
    """Test AUC at every label count, mean ± sd over seeds, per strategy, as Markdown."""
    budgets = result.config.budgets
    lines = [
        "| Strategy | " + " | ".join(f"{b} labels" for b in budgets) + " |",
        "|---|" + "---:|" * len(budgets),
    ]
    for strategy in result.config.strategies:
        cells = [STRATEGIES[strategy].display_name]
        for index in range(len(budgets)):
            aucs = [result.curve(strategy, seed)[index].test_auc for seed in result.config.seeds]
            sd = f" ± {statistics.stdev(aucs):.4f}" if len(aucs) > 1 else ""
            cells.append(f"{statistics.fmean(aucs):.4f}{sd}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _labels_cell(row: dict[str, Any]) -> str:
    if row["labels_mean"] is None:
        return f"not reached in {row['seeds'] - row['reached']} of {row['seeds']} seeds"
    sd = "" if row["labels_sd"] is None else f" ± {row['labels_sd']:.0f}"
    return f"{row['labels_mean']:.0f}{sd} ({row['labels_per_seed']})"


def _ratio_cell(row: dict[str, Any]) -> str:
    return "-" if row["ratio_to_random"] is None else f"{row['ratio_to_random']:.2f}"


def plot_curves(result: SimulationResult, path: Path) -> None:
    """Test AUC against labels (log scale), mean over seeds with a ± sd band per strategy and
    the fractions of the full-data AUC as dashed lines; left the whole range, right zoomed on
    the top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    full = result.reference_auc
    figure, axes = plt.subplots(1, 2, figsize=(13, 5.2))
    for strategy in result.config.strategies:
        curves = [result.curve(strategy, seed) for seed in result.config.seeds]
        labels = np.array([p.labels for p in curves[0]])
        aucs = np.array([[p.test_auc for p in curve] for curve in curves])
        mean, sd = aucs.mean(axis=0), aucs.std(axis=0, ddof=1) if len(aucs) > 1 else 0 * aucs[0]
        for ax in axes:
            (line,) = ax.plot(
                labels, mean, marker="o", markersize=3, label=STRATEGIES[strategy].display_name
            )
            ax.fill_between(labels, mean - sd, mean + sd, color=line.get_color(), alpha=0.15)
    lows: list[float] = []
    band_bottoms: list[float] = []  # mean - sd of every point, for the y-axis limits
    for strategy in result.config.strategies:
        for index in range(len(result.config.budgets)):
            values = [result.curve(strategy, seed)[index].test_auc for seed in result.config.seeds]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            band_bottoms.append(statistics.fmean(values) - spread)
    for ax in axes:
        ax.axhline(full, color="black", linewidth=1, label=f"all {result.pool_size} labels")
        for fraction in result.config.fractions:
            ax.axhline(fraction * full, color="grey", linestyle="--", linewidth=0.8)
            ax.text(
                result.config.budgets[0],
                fraction * full,
                f" {fraction:.0%} of full-data AUC",
                va="bottom",
                fontsize=8,
                color="grey",
                clip_on=True,
            )
            lows.append(fraction * full)
        ax.set_xscale("log")
        ax.set_xticks(list(result.config.budgets))
        ax.set_xticklabels([str(b) for b in result.config.budgets])
        ax.minorticks_off()
        ax.set_xlabel("labels (start set + actively chosen)")
        ax.set_ylabel("AUC on the fixed test split")
        ax.grid(alpha=0.3)
    axes[0].set_ylim(min([*lows, *band_bottoms]) - 0.01, full + 0.005)
    axes[1].set_ylim(min(band_bottoms) - 0.002, full + 0.002)
    axes[0].set_title("Test AUC against labels (mean ± sd over seeds)")
    axes[1].set_title("Zoomed on the curves")
    axes[0].legend(fontsize=8, loc="lower right")
    seeds = len(result.config.seeds)
    figure.suptitle(
        f"Simulated active learning on PneumoniaMNIST: pool {result.pool_size}, "
        f"{seeds} seed{'s' if seeds != 1 else ''}, same start set per seed",
        fontsize=11,
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
