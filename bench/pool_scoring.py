"""Pool-scoring throughput against bare `model.predict` on the same images (issue 11, section 3:
target ratio at least 0.8).

    .venv/bin/python -m bench.pool_scoring     # ~1 min on 2 cores; --no-readme only prints

The classifier is the product's architecture (ml/core/spec.py defaults, untrained: speed does not
depend on the weights) on 28x28 inputs. Pool scoring gives the probability, the 128-D embedding
and 20 MC-dropout passes per image from one forward pass (ml/core/pool_scoring.py), plus the
pre-annotation box around each image's class activation map (ml/core/heatmap_box.py, timed with
it); the baseline gives the probability alone. Both in batches of 256, each timed after a
warm-up call, best of 3.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from bench.readme_blocks import block_replace

IMAGES = 20_000
BATCH = 256
MC_PASSES = 20
TARGET_RATIO = 0.8


def best_seconds(run, repeats: int = 3) -> float:
    run()  # warm-up: traces the graph
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=IMAGES)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args(argv)

    import keras

    from ml.core.heatmap_box import hot_boxes
    from ml.core.networks import build_chest_xray_classifier
    from ml.core.pool_scoring import PoolScorer
    from ml.core.spec import ClassifierHyperparameters, InputSpec

    keras.utils.set_random_seed(0)
    model = build_chest_xray_classifier(InputSpec(), ClassifierHyperparameters())
    images = np.random.default_rng(0).random((args.images, 28, 28, 1), dtype=np.float32)
    scorer = PoolScorer(model, batch_size=BATCH)

    bare = best_seconds(lambda: model.predict(images, batch_size=BATCH, verbose=0))
    sizes = [28] * args.images

    def pool_run() -> None:
        outputs = scorer.score(images, mc_samples=MC_PASSES, rng=np.random.default_rng(0))
        hot_boxes(outputs.activation_maps, rows=sizes, columns=sizes)

    pool = best_seconds(pool_run)
    ratio = bare / pool
    load = os.getloadavg()[0]
    lines = [
        f"Command: `.venv/bin/python -m bench.pool_scoring`. {args.images:,} images 28x28, the "
        f"product's classifier (untrained), batches of {BATCH}, best of 3 after a warm-up, CPU "
        f"({os.cpu_count()} cores; load average {load:.2f} at the end).",
        "",
        "| | Seconds | Images/s |",
        "|---|---:|---:|",
        f"| `model.predict` (probability only) | {bare:.2f} | {args.images / bare:,.0f} |",
        f"| pool scoring (probability, embedding, {MC_PASSES} MC-dropout passes, hot-region box) "
        f"| {pool:.2f} | {args.images / pool:,.0f} |",
        "",
        f"Ratio pool scoring / `model.predict`: **{ratio:.2f}** (target at least {TARGET_RATIO}).",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_readme:
        block_replace("pool-scoring", text)  # the README holds the heading above the block
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
