"""Triage simulation: `.venv/bin/python -m bench.triage_simulation [--scores PATH]`.

Replays arrival streams of labelled studies through the real priority function
(`triage.priority.place`, default `PriorityPolicy`) with simulated readers that always take the
head of the worklist, and compares waiting times (start of reading - arrival) with
first-in-first-out on the same streams.

- Readers: `--readers` (default 1), each reading a study in a fixed `--read-minutes` (default 5).
- Arrivals: Poisson over a `--shift-hours` shift (default 12) at a given load (arrival rate /
  reading capacity; default 0.85, 0.90, 0.95 so queues form); readers stay until the queue is
  empty. Each (stream, load) is run for `--seeds` seeds (default 10) and the results pooled; the
  worst-wait ratio is checked per seed and the least favourable seed is reported.
- Studies: label and calibrated urgency drawn from a pool: `--scores PATH`, an .npz with `labels`
  (0/1) and `urgency` (float in [0, 1]) from the model on a test split, or, without it, a
  synthetic pool (below). Two streams from each pool: the pool's own prevalence, and one
  resampled to `--low-prevalence` (default 25%) positives, closer to a real triage queue.
- Clinical class: STAT with probability 5%, ASAP 10%, otherwise ROUTINE, independent of the
  label, so the class guard is exercised; FIFO ignores the class as it ignores the AI.

Synthetic pool (no --scores): 5,000 studies, 74% positive (like PneumoniaMNIST), an equal-variance
binormal score with d' = 2.33 (AUC 0.95), and urgency = the exact posterior probability of a
positive at the pool's prevalence, i.e. perfectly calibrated on the pool.

Targets (from the issue): positives' mean wait at most half of FIFO's, and the worst wait of any
study at most 10% above FIFO's. Rows that miss a target say so; nothing here is tuned per row.
"""

from __future__ import annotations

import argparse
import heapq
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from triage.priority import ClinicalPriority, PriorityPolicy, place

EPOCH = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
CLASS_SHARES = {ClinicalPriority.STAT: 0.05, ClinicalPriority.ASAP: 0.10}
SYNTHETIC_POOL_SIZE = 5_000
SYNTHETIC_PREVALENCE = 0.74
SYNTHETIC_D_PRIME = 2.33  # AUC = Phi(d' / sqrt 2) = 0.95
MEAN_TARGET = 0.5
WORST_TARGET = 1.10


@dataclass(frozen=True)
class Pool:
    labels: np.ndarray
    urgency: np.ndarray
    source: str


@dataclass(frozen=True)
class Study:
    arrival: float  # minutes after the shift starts
    label: int
    urgency: float
    clinical: ClinicalPriority


@dataclass(frozen=True)
class Run:
    """Waiting minutes per study under FIFO and under the priority policy."""

    studies: list[Study]
    fifo: list[float]
    ours: list[float]
    ours_overdue: list[bool]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scores", type=Path, help=".npz with labels and urgency arrays")
    parser.add_argument("--loads", type=float, nargs="+", default=[0.85, 0.90, 0.95])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--readers", type=int, default=1)
    parser.add_argument("--read-minutes", type=float, default=5.0)
    parser.add_argument("--shift-hours", type=float, default=12.0)
    parser.add_argument("--low-prevalence", type=float, default=0.25)
    parser.add_argument("--per-seed", action="store_true", help="also print one row per seed")
    return parser.parse_args(argv)


def load_pool(path: Path | None) -> Pool:
    if path is None:
        return synthetic_pool(np.random.default_rng(20250106))
    with np.load(path) as data:
        labels = np.asarray(data["labels"]).astype(int).ravel()
        urgency = np.asarray(data["urgency"], dtype=float).ravel()
    if labels.shape != urgency.shape or labels.size == 0:
        raise SystemExit(f"{path}: labels and urgency must be non-empty and the same length")
    if not set(np.unique(labels)) <= {0, 1} or len(np.unique(labels)) < 2:
        raise SystemExit(f"{path}: labels must be 0/1 and contain both")
    if not np.all((urgency >= 0) & (urgency <= 1)):
        raise SystemExit(f"{path}: urgency must lie in [0, 1]")
    return Pool(labels, urgency, f"model scores from {path} ({labels.size} studies)")


def synthetic_pool(rng: np.random.Generator) -> Pool:
    labels = (rng.random(SYNTHETIC_POOL_SIZE) < SYNTHETIC_PREVALENCE).astype(int)
    score = rng.normal(0.0, 1.0, SYNTHETIC_POOL_SIZE) + SYNTHETIC_D_PRIME * labels
    prior = math.log(SYNTHETIC_PREVALENCE / (1 - SYNTHETIC_PREVALENCE))
    logit = prior + SYNTHETIC_D_PRIME * score - SYNTHETIC_D_PRIME**2 / 2
    urgency = 1.0 / (1.0 + np.exp(-logit))
    return Pool(
        labels,
        urgency,
        f"SYNTHETIC urgencies (no --scores): binormal d'={SYNTHETIC_D_PRIME} (AUC 0.95), "
        f"calibrated, {SYNTHETIC_PREVALENCE:.0%} positive",
    )


def auc(labels: np.ndarray, urgency: np.ndarray) -> float:
    """Probability that a random positive outranks a random negative (ties count half)."""
    pos, neg = urgency[labels == 1], urgency[labels == 0]
    order = np.sort(neg)
    below = np.searchsorted(order, pos, side="left")
    ties = np.searchsorted(order, pos, side="right") - below
    return float((below + ties / 2).sum() / (pos.size * neg.size))


def stream(
    pool: Pool, prevalence: float | None, load: float, args: argparse.Namespace, seed: int
) -> list[Study]:
    """Poisson arrivals over a shift; prevalence None keeps the pool's own."""
    timing, rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    # Unit-rate gaps scaled by the load: every load replays the same stream, only compressed.
    rate = load * args.readers / args.read_minutes  # studies per minute
    shift = args.shift_hours * 60
    arrivals: list[float] = []
    t = timing.exponential() / rate
    while t < shift:
        arrivals.append(float(t))
        t += timing.exponential() / rate
    positives = np.flatnonzero(pool.labels == 1)
    negatives = np.flatnonzero(pool.labels == 0)
    studies = []
    for arrival in arrivals:
        if prevalence is None:
            index = int(rng.integers(pool.labels.size))
        else:
            group = positives if rng.random() < prevalence else negatives
            index = int(group[rng.integers(group.size)])
        draw = rng.random()
        clinical = ClinicalPriority.ROUTINE
        if draw < CLASS_SHARES[ClinicalPriority.STAT]:
            clinical = ClinicalPriority.STAT
        elif draw < CLASS_SHARES[ClinicalPriority.STAT] + CLASS_SHARES[ClinicalPriority.ASAP]:
            clinical = ClinicalPriority.ASAP
        studies.append(
            Study(arrival, int(pool.labels[index]), float(pool.urgency[index]), clinical)
        )
    return studies


def serve(keys: list[tuple[float, ...]], studies: list[Study], readers: int, read: float) -> list[float]:
    """Readers always take the smallest key among arrived studies; returns waits in minutes."""
    waits = [0.0] * len(studies)
    free = [0.0] * readers
    queue: list[tuple[tuple[float, ...], int]] = []
    upcoming = 0
    for _ in studies:
        now = heapq.heappop(free)
        if not queue and upcoming < len(studies):
            now = max(now, studies[upcoming].arrival)
        while upcoming < len(studies) and studies[upcoming].arrival <= now:
            heapq.heappush(queue, (keys[upcoming], upcoming))
            upcoming += 1
        _, index = heapq.heappop(queue)
        waits[index] = now - studies[index].arrival
        heapq.heappush(free, now + read)
    return waits


def simulate(studies: list[Study], policy: PriorityPolicy, args: argparse.Namespace) -> Run:
    due: list[float] = []
    for study in studies:
        placement = place(
            arrived_at=EPOCH + timedelta(minutes=study.arrival),
            clinical_priority=study.clinical,
            clinical_reason=f"{study.clinical} (simulated)",
            urgency=study.urgency,
            ai_note=None,
            policy=policy,
        )
        due.append((placement.due_at - EPOCH).total_seconds() / 60)
    fifo = serve([(s.arrival,) for s in studies], studies, args.readers, args.read_minutes)
    ours_keys = [(d, s.arrival) for d, s in zip(due, studies, strict=True)]
    ours = serve(ours_keys, studies, args.readers, args.read_minutes)
    overdue = [s.arrival + w > d for s, w, d in zip(studies, ours, due, strict=True)]
    return Run(studies, fifo, ours, overdue)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def pick(run: Run, waits: list[float], keep: object) -> list[float]:
    return [w for s, w in zip(run.studies, waits, strict=True) if keep(s)]  # type: ignore[operator]


def is_positive(study: Study) -> bool:
    return study.label == 1


def is_negative(study: Study) -> bool:
    return study.label == 0


def summary_row(name: str, load: float, runs: list[Run]) -> tuple[str, bool]:
    def pooled(kind: str, keep: object) -> list[float]:
        return [w for run in runs for w in pick(run, getattr(run, kind), keep)]

    pos_fifo, pos_ours = pooled("fifo", is_positive), pooled("ours", is_positive)
    neg_fifo, neg_ours = pooled("fifo", is_negative), pooled("ours", is_negative)
    mean_ratio = mean(pos_ours) / mean(pos_fifo)
    worst_ratios = [max(run.ours) / max(run.fifo) for run in runs if max(run.fifo) > 0]
    worst_ratio = max(worst_ratios)
    met_mean, met_worst = mean_ratio <= MEAN_TARGET, worst_ratio <= WORST_TARGET
    verdict = "yes" if met_mean and met_worst else "no (" + ", ".join(
        label for label, met in (("mean", met_mean), ("worst", met_worst)) if not met
    ) + ")"
    n = sum(len(run.studies) for run in runs)
    cells = [
        name,
        f"{load:.2f}",
        str(n),
        f"{len(pos_fifo) / n:.0%}",
        f"{mean(pos_fifo):.1f} / {mean(pos_ours):.1f}",
        f"{max(pos_fifo):.0f} / {max(pos_ours):.0f}",
        f"{mean(neg_fifo):.1f} / {mean(neg_ours):.1f}",
        f"{max(neg_fifo):.0f} / {max(neg_ours):.0f}",
        f"{mean_ratio:.2f}",
        f"{worst_ratio:.2f} ({sum(r > WORST_TARGET for r in worst_ratios)}/{len(runs)} seeds)",
        verdict,
    ]
    return "| " + " | ".join(cells) + " |", met_mean and met_worst


def class_rows(name: str, load: float, runs: list[Run]) -> list[str]:
    rows = []
    for clinical in ClinicalPriority:
        def keep(study: Study, clinical: ClinicalPriority = clinical) -> bool:
            return study.clinical == clinical

        fifo = [w for run in runs for w in pick(run, run.fifo, keep)]
        ours = [w for run in runs for w in pick(run, run.ours, keep)]
        late = [o for run in runs for s, o in zip(run.studies, run.ours_overdue, strict=True)
                if keep(s)]
        if not fifo:
            continue
        rows.append(
            f"| {name} | {load:.2f} | {clinical} | {len(fifo)} | {mean(fifo):.1f} / {mean(ours):.1f}"
            f" | {max(fifo):.0f} / {max(ours):.0f} | {mean(late):.0%} |"
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    pool = load_pool(args.scores)
    policy = PriorityPolicy()
    scenarios: list[tuple[str, float | None]] = [
        (f"pool prevalence ({pool.labels.mean():.0%})", None),
        (f"resampled to {args.low_prevalence:.0%} positive", args.low_prevalence),
    ]
    print(f"Studies: {pool.source}; AUC {auc(pool.labels, pool.urgency):.3f}")
    print(
        f"Readers: {args.readers}, {args.read_minutes:g} min per study; {args.shift_hours:g} h "
        f"shifts of Poisson arrivals, {args.seeds} seeds per row; STAT 5%, ASAP 10%."
    )
    print(f"Policy: {policy.to_dict()}\n")
    summary = [
        "| stream | load | n | positive | positives mean wait, min (FIFO / ours) "
        "| positives worst | negatives mean | negatives worst | positives mean ratio "
        "| worst ratio, worst seed (seeds over 1.10) | target met |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    per_class = [
        "| stream | load | class | n | mean wait, min (FIFO / ours) | worst (FIFO / ours) "
        "| read after due (ours) |",
        "|---|---|---|---|---|---|---|",
    ]
    per_seed: list[str] = []
    all_met = True
    for name, prevalence in scenarios:
        for load in args.loads:
            runs = []
            for seed in range(args.seeds):
                studies = stream(pool, prevalence, load, args, seed=seed)
                runs.append(simulate(studies, policy, args))
                if args.per_seed:
                    per_seed.append(summary_row(f"{name}, seed {seed}", load, runs[-1:])[0])
            row, met = summary_row(name, load, runs)
            all_met = all_met and met
            summary.append(row)
            per_class.extend(class_rows(name, load, runs))
    print("\n".join(summary))
    print("\nPer clinical class (all labels):\n")
    print("\n".join(per_class))
    if per_seed:
        print("\nPer seed:\n")
        print("\n".join(summary[:2] + per_seed))
    print(f"\nTargets met in every row: {'yes' if all_met else 'no'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
