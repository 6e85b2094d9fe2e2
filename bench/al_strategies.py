"""Active-learning strategies: seconds to choose a batch of 50 from 100,000 candidates, and how
many near-duplicate pairs each batch holds (issue 11, section 3).

    .venv/bin/python -m bench.al_strategies     # ~1 min on 2 cores; --no-readme only prints

The pool is synthetic and built to trap uncertainty-only strategies: 1,000 clusters of 128-D
embeddings (the classifier's pooled features: the last conv width, ml/core/spec.py), of which
20,000 candidates are near-duplicates (2,000 images copied 10 times with noise 0.01 per feature,
sharing their probability). MC-dropout: 20 passes whose spread differs by cluster.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.readme_blocks import block_replace
from ml.core.active_learning import STRATEGIES, PoolInput, PoolScores
from ml.core.active_learning.uncertainty import entropy

CANDIDATES = 100_000
FEATURES = 128
CLUSTERS = 1_000
DUPLICATED_IMAGES, COPIES = 2_000, 10
MC_PASSES = 20
BATCH = 50
LABELLED = 2_000
TARGET_SECONDS = 2.0
# Near-duplicates sit about 0.16 apart (0.01 * sqrt(2 * 128)), cluster-mates about 4.8 and
# clusters about 32: a pair closer than 1.0 is a near-duplicate.
NEAR_DUPLICATE_DISTANCE = 1.0


@dataclass(frozen=True)
class SyntheticPool:
    pool: PoolScores
    cluster: np.ndarray  # (N,) cluster of each candidate
    labelled: np.ndarray  # (LABELLED, D) embeddings of images already labelled


def synthetic_pool(seed: int) -> SyntheticPool:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=2.0, size=(CLUSTERS, FEATURES)).astype(np.float32)
    originals = CANDIDATES - DUPLICATED_IMAGES * COPIES
    cluster = rng.integers(0, CLUSTERS, size=originals + LABELLED)
    points = centres[cluster] + rng.normal(scale=0.3, size=(len(cluster), FEATURES))
    cluster_logit = rng.normal(scale=3.0, size=CLUSTERS)
    logits = cluster_logit[cluster] + rng.normal(scale=0.5, size=len(cluster))
    labelled, points, logits, cluster = (
        points[originals:],
        points[:originals],
        logits[:originals],
        cluster[:originals],
    )
    sources = rng.choice(originals, size=DUPLICATED_IMAGES, replace=False).repeat(COPIES)
    copies = points[sources] + rng.normal(scale=0.01, size=(len(sources), FEATURES))
    embeddings = np.vstack([points, copies]).astype(np.float32)
    logits = np.r_[logits, logits[sources]]
    cluster = np.r_[cluster, cluster[sources]]
    # Epistemic spread differs by cluster: some clusters the model has seen little of.
    spread = rng.gamma(1.0, 1.0, size=CLUSTERS)[cluster]
    passes = logits[:, None] + spread[:, None] * rng.normal(size=(len(logits), MC_PASSES))
    pool = PoolScores(
        probabilities=1 / (1 + np.exp(-logits)),
        mc_probabilities=1 / (1 + np.exp(-passes)),
        embeddings=embeddings,
    )
    return SyntheticPool(pool, cluster, labelled.astype(np.float32))


def near_duplicate_pairs(embeddings: np.ndarray) -> int:
    difference = embeddings[:, None, :] - embeddings[None, :, :]
    distances = np.sqrt((difference.astype(np.float64) ** 2).sum(axis=2))
    return int((distances[np.triu_indices(len(embeddings), k=1)] < NEAR_DUPLICATE_DISTANCE).sum())


@dataclass
class Row:
    strategy: str
    key: str
    seconds: float
    picked: int
    near_duplicate_pairs: int
    clusters: int
    mean_entropy: float

    def markdown(self) -> str:
        return (
            f"| {self.strategy} | `{self.key}` | {self.seconds:.3f} | {self.picked} "
            f"| {self.near_duplicate_pairs} | {self.clusters} | {self.mean_entropy:.3f} |"
        )


def measure(name: str, data: SyntheticPool, pool: PoolScores, repeats: int) -> Row:
    seconds: list[float] = []
    for repeat in range(repeats):
        started = time.perf_counter()
        selection = STRATEGIES[name].select(pool, BATCH, np.random.default_rng(repeat))
        seconds.append(time.perf_counter() - started)
    chosen = selection.indices
    embeddings = data.pool.require(PoolInput.EMBEDDINGS)
    probabilities = data.pool.require(PoolInput.PROBABILITIES)
    return Row(
        strategy=STRATEGIES[name].display_name,
        key=name,
        seconds=statistics.median(seconds),
        picked=len(chosen),
        near_duplicate_pairs=near_duplicate_pairs(embeddings[chosen]),
        clusters=len(set(data.cluster[chosen].tolist())),
        mean_entropy=float(entropy(probabilities[chosen]).mean()),
    )


def markdown(rows: list[Row], load: float, repeats: int) -> str:
    hybrid = next(row for row in rows if row.key == "weighted_kmeans_pp")
    met = "met" if hybrid.seconds < TARGET_SECONDS else "NOT met"
    header = [
        "## Active-learning strategies",
        "",
        "Command: `.venv/bin/python -m bench.al_strategies`. Batch of "
        f"{BATCH} from {CANDIDATES:,} synthetic candidates ({FEATURES}-D embeddings, the "
        f"classifier's pooled features; {CLUSTERS:,} clusters; {DUPLICATED_IMAGES * COPIES:,} "
        f"near-duplicates: {DUPLICATED_IMAGES:,} images x {COPIES} copies sharing their "
        f"probability; {MC_PASSES} MC-dropout passes), median of {repeats} runs (seeds "
        f"0..{repeats - 1}), one process, NumPy only. Load average at the start: {load:.2f} on "
        f"{os.cpu_count()} cores.",
        "",
        "| Strategy | Key | Seconds | Picked | Near-duplicate pairs in batch | Clusters in batch "
        "| Mean entropy (nats) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    notes = [
        "",
        f"Hybrid target (under {TARGET_SECONDS:g} s for {BATCH} of {CANDIDATES:,}): **{met}** "
        f"({hybrid.seconds:.2f} s).",
        "",
        f"A near-duplicate pair is two picks closer than {NEAR_DUPLICATE_DISTANCE:g} (copies lie "
        "about 0.16 apart, cluster-mates about 4.8, clusters about 32). Rows with labelled "
        f"images also keep away from {LABELLED:,} labelled embeddings (one matrix product per "
        "block of candidates, then an exact distance to the nearest). Copies of an ambiguous "
        "image are all equally ambiguous, so entropy and margin spend batch slots on copies; "
        "the hybrid draws each pick with probability proportional to normalised entropy times "
        "squared distance to the nearest chosen or labelled image (ml/core/active_learning/"
        "hybrid.py), so a copy of a chosen image is almost never drawn and an identical one "
        "never is, while the batch stays more uncertain than random or k-center.",
    ]
    return "\n".join(header + [row.markdown() for row in rows] + notes)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-readme", action="store_true", help="print only")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    load = os.getloadavg()[0]
    data = synthetic_pool(seed=20261130)
    with_labelled = PoolScores(
        probabilities=data.pool.probabilities,
        embeddings=data.pool.embeddings,
        labelled_embeddings=data.labelled,
    )
    rows = [measure(name, data, data.pool, args.repeats) for name in STRATEGIES]
    for name in ("k_center", "weighted_kmeans_pp"):
        row = measure(name, data, with_labelled, args.repeats)
        row.strategy = f"{row.strategy} + {LABELLED:,} labelled"
        rows.append(row)
    text = markdown(rows, load, args.repeats)
    print(text)
    if not args.no_readme:
        block_replace("al-strategies", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
