"""Scoring throughput (images/s): bare `model.predict` against our pipeline, on the same images.

Three measurements over the same N demo DX studies (real PneumoniaMNIST images wrapped as DICOM,
one image per study, as `manage.py load_demo_data` stores them), on PostgreSQL, in one process,
after one untimed warm-up pass each:

1. bare `model.predict(batch)` of the preprocessed images (batch 64) — the reference;
2. the ML pipeline (ml.core): DICOM file bytes -> dcmread -> eligibility + preprocessing ->
   one batched forward pass giving probabilities and class activation maps -> calibration ->
   heatmap PNGs;
3. the whole scoring service as the inference task runs it, study by study: claim the row,
   read the files from storage, (2), write heatmaps to storage, findings and the study result
   to the database, and re-place the study on the worklist.

    .venv/bin/python -m bench.scoring_throughput [--studies 300]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "throughput"
DB = "bench_throughput"


def django_setup() -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}",
        VAR_DIR=str(WORK / "var"),
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)


def prepare_studies(count: int, epochs: int) -> None:
    from django.conf import settings

    from archive.models import Study
    from archive.services.demo import PNEUMONIA_NPZ, pneumonia_studies_load
    from ml.services import model_initial_train

    npz = Path(settings.DEMO_DATA_DIR) / PNEUMONIA_NPZ
    print(f"training the product's network for {epochs} epochs…", flush=True)
    model_initial_train(npz_path=npz, epochs=epochs)
    pneumonia_studies_load(npz_path=npz, count=count)
    # Stable as the archive's check would make them, without the signal (scoring is timed here).
    Study.objects.update(status=Study.Status.STABLE)


def file_bytes() -> list[bytes]:
    from django.core.files.storage import default_storage

    from archive.models import Instance

    names = Instance.objects.order_by("id").values_list("file", flat=True)
    return [default_storage.open(name, "rb").read() for name in names]


def timed(function: Any) -> float:
    function()  # warm-up: traces, caches
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def measure(count: int) -> dict[str, Any]:
    import numpy as np
    import pydicom

    from ml.core.chest_xray import ChestXrayConfig, PreparedImage
    from ml.core.inference import heatmap_png, score_datasets
    from ml.runtime import inference_for
    from ml.selectors import model_version_active
    from triage.models import StudyScoring
    from triage.services.scoring import study_score, study_scoring_request
    from triage.services.worklist import TRIAGE_TASK, worklist_entry_place

    version = model_version_active(task=TRIAGE_TASK)
    inference = inference_for(version)
    blobs = file_bytes()
    config = ChestXrayConfig(spec=inference.spec)
    prepared = [
        item.image
        for blob in blobs
        for item in config.prepare(pydicom.dcmread(io.BytesIO(blob)))
        if isinstance(item, PreparedImage)
    ]
    batch = np.stack(prepared)
    images = len(batch)

    bare = timed(lambda: inference.model.predict(batch, batch_size=64, verbose=0))

    def pipeline() -> None:
        datasets = [pydicom.dcmread(io.BytesIO(blob)) for blob in blobs]
        for scores in score_datasets(datasets, inference=inference, config=config):
            for score in scores:
                heatmap_png(score.heatmap)  # type: ignore[union-attr]

    ml_pipeline = timed(pipeline)

    from archive.models import Study

    study_ids = list(Study.objects.values_list("pk", flat=True))
    for study_id in study_ids:
        worklist_entry_place(study_id=study_id)

    def service() -> float:
        """Seconds to score every study once, queued afresh (queueing is not timed)."""
        StudyScoring.objects.all().delete()
        scoring_ids = [study_scoring_request(study_id=pk).pk for pk in study_ids]  # type: ignore[union-attr]
        started = time.perf_counter()
        for scoring_id in scoring_ids:
            study_score(scoring_id=scoring_id)
        return time.perf_counter() - started

    service()  # warm-up
    whole = service()
    return {
        "images": images,
        "bare_predict_images_per_s": images / bare,
        "ml_pipeline_images_per_s": images / ml_pipeline,
        "service_images_per_s": images / whole,
        "device": _device(),
    }


def _device() -> str:
    from ml.core.inference import device_summary

    return device_summary()


def table(result: dict[str, Any], command: str) -> str:
    bare = result["bare_predict_images_per_s"]
    rows = [
        ("bare `model.predict` (batch 64), preprocessed images in memory", bare),
        (
            "ML pipeline: DICOM bytes -> scores + heatmap PNGs (ml.core)",
            result["ml_pipeline_images_per_s"],
        ),
        (
            "whole scoring service, study by study (storage + PostgreSQL + worklist)",
            result["service_images_per_s"],
        ),
    ]
    lines = [
        "## Scoring throughput: our pipeline against bare model.predict",
        "",
        f"Command: `{command}`. {result['images']} demo DX studies of one image each "
        f"(256x256 DICOM, model input 28x28), {result['device']}, one process.",
        "",
        "| What | images/s | ratio to bare predict | target >= 0.8 |",
        "|---|---:|---:|---|",
    ]
    for name, rate in rows:
        ratio = rate / bare
        verdict = "" if rate is bare else ("met" if ratio >= 0.8 else "NOT met")
        lines.append(f"| {name} | {rate:,.0f} | {ratio:.2f} | {verdict} |")
    lines += ["", WHY_NOT_MET]
    return "\n".join(lines)


# From cProfile runs of the service over 60 studies and timings of the ML steps (at f187a34).
WHY_NOT_MET = """Why the target is not met: the network takes 28x28 inputs (PneumoniaMNIST), so a
forward pass costs about 0.3-0.5 ms per image and everything around it weighs more. In the ML
pipeline, per 256x256 image: `dcmread` 0.37 ms and preprocessing 0.52 ms (window, area resize,
percentile stretch). In the service, per one-image study, about 17 ms: re-placing the study on
the worklist 8 ms (about 5 queries), storing findings and the study result 4 ms, reading and
preparing the image 5 ms, a forward pass for a batch of one 2-3 ms, the claim 2 ms. With a
network of realistic size (224 px, millions of parameters) the same overheads would be small
against the forward pass. Next steps: let one task claim and score many queued studies at once
(one forward pass, bulk writes, one placement query per batch), and decode in a thread pool while
the previous batch is on the device."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--studies", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    django_setup()
    prepare_studies(args.studies, args.epochs)
    result = measure(args.studies)
    markdown = table(result, "python -m bench.scoring_throughput")
    print(markdown)
    (WORK / "latest.json").write_text(json.dumps(result, indent=2))
    from django.db import connections

    connections.close_all()
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB])
    if not args.no_readme:
        from bench.readme_blocks import block_replace

        block_replace("scoring-throughput", markdown)


if __name__ == "__main__":
    main()
