"""One retraining round through the product's own run code, timed: total seconds and the share
spent outside `model.fit` (issue 12's targets: under 3 minutes, under 10%).

    nice -n 10 .venv/bin/python -m bench.retrain      # from the repository root; a few minutes

On a fresh database (bench_retrain) it stores `--archive` chest radiographs (PneumoniaMNIST
official train images from the end of the split, wrapped as DX studies of new patients, with
UIDs of their own so the demo rule does not set them aside) each with a radiologist's read,
then runs one training run in this process exactly as the training worker does
(ml.training_execute.training_run_execute: snapshot from the archive and the seed data,
preprocessing, training with per-epoch checkpoints, registering, evaluation on the fixed test
set). The seed data's train and validation splits plus the archive images come to about 5,000
training images. Time inside `keras.Model.fit` is measured by wrapping it; everything else the
round does is "outside". The Markdown section goes to stdout and into bench/README.md (unless
--no-readme).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "retrain"
DB = "bench_retrain"


def django_setup() -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}",
        VAR_DIR=str(WORK / "var"),
        LOG_LEVEL="WARNING",
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)


def archive_reads(count: int) -> None:
    """`count` wrapped chest radiographs of new patients, each with a radiologist's read."""
    import datetime as dt

    import numpy as np
    from django.conf import settings

    from accounts.services import user_create
    from annotations.models import Label
    from archive.models import Study
    from archive.services.demo import LABEL_NAMES, PNEUMONIA_NPZ, WrappedImage, dx_dataset
    from archive.services.ingest import instance_ingest

    reader = user_create(username="bench-reader", password="bench-pw", roles=["radiologist"])
    with np.load(Path(settings.DEMO_DATA_DIR) / PNEUMONIA_NPZ) as npz:
        images, labels = npz["train_images"], npz["train_labels"].reshape(-1)
    for n in range(count):
        index = len(images) - 1 - n
        image = WrappedImage("train", index, images[index], int(labels[index]))
        ds = dx_dataset(image, today=dt.date.today())
        uid = f"1.2.826.0.1.3680043.10.99.{n + 1}"
        ds.StudyInstanceUID, ds.SeriesInstanceUID = f"{uid}.1", f"{uid}.2"
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = f"{uid}.3"
        ds.PatientID, ds.IssuerOfPatientID = f"BENCH{n:05d}", "BENCH"
        buffer = io.BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        buffer.seek(0)
        result = instance_ingest(fp=buffer, source="bench")
        study = Study.objects.get(study_instance_uid=result.study_instance_uid)
        Label.objects.create(
            task="chest_xray_pneumonia",
            study=study,
            kind="class",
            value=LABEL_NAMES[image.label],
            source="radiologist_read",
            author=reader,
        )


class Timers:
    """Seconds spent inside wrapped functions, by name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, owner: Any, attribute: str, name: str) -> None:
        original = getattr(owner, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

        setattr(owner, attribute, timed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=int, default=500, help="archive reads to add")
    parser.add_argument("--epochs", type=int, default=0, help="0: the product's default")
    parser.add_argument("--no-readme", action="store_true")
    options = parser.parse_args(argv)
    if options.epochs:
        os.environ["TRAINING_EPOCHS"] = str(options.epochs)
    django_setup()
    print(f"storing {options.archive} archive reads…", file=sys.stderr, flush=True)
    archive_reads(options.archive)

    import keras

    import ml.core.training
    import ml.datasets
    import ml.evaluation_services
    import ml.services
    from ml.core.inference import device_summary
    from ml.models import TrainingRun
    from ml.training_execute import training_run_execute
    from ml.training_runs import training_run_request

    timers = Timers()
    timers.wrap(keras.Model, "fit", "model.fit")
    timers.wrap(ml.datasets, "training_snapshot", "snapshot and preprocessing")
    timers.wrap(ml.core.training, "train_prepared", "train_prepared")
    timers.wrap(ml.services, "model_version_register", "registering")
    timers.wrap(ml.evaluation_services, "candidate_review", "evaluation on the fixed test set")
    run = training_run_request(task="chest_xray_pneumonia", mode="scratch")
    print(f"training run {run.pk}…", file=sys.stderr, flush=True)
    started = time.perf_counter()
    outcome = training_run_execute(run_id=run.pk)
    total = time.perf_counter() - started
    run = TrainingRun.objects.get(pk=run.pk)
    if outcome != "succeeded":
        print(f"the run {outcome}: {run.error}", file=sys.stderr)
        return 1
    section = report(run, timers.seconds, total, device_summary(), options)
    print(section)
    if not options.no_readme:
        from bench.readme_blocks import block_replace

        block_replace("retrain", section)
    return 0


PARTS = [
    ("snapshot and preprocessing", "labels chosen, archive files read, seed data prepared"),
    ("model.fit", "the epochs, with the validation AUC and a checkpoint after each"),
    ("around model.fit", "model built, compiled; calibration, threshold, metrics after it"),
    ("registering", "weights stored, version registered"),
    ("evaluation on the fixed test set", "the candidate scored (no active version to compare)"),
]


def report(run: Any, seconds: dict[str, float], total: float, device: str, options: Any) -> str:
    splits = run.data_snapshot["splits"]
    trained = splits["train"]["count"] + splits["validation"]["count"]
    seconds = dict(seconds)
    seconds["around model.fit"] = seconds.pop("train_prepared", 0.0) - seconds.get("model.fit", 0)
    outside = total - seconds.get("model.fit", 0.0)
    best = run.candidate.metrics.get("best_epoch", "?")
    lines = [
        "## Retraining round",
        "",
        f"One round through the training worker's code (`nice -n 10 .venv/bin/python -m "
        f"bench.retrain --archive {options.archive}`), mode scratch, {len(run.history)} epochs "
        f"(best {best}), on {device}, on the shared 2-core machine.",
        "",
        f"- Images: {splits['train']['count']} train + {splits['validation']['count']} "
        f"validation = **{trained}** trained on ({options.archive} of them archive reads, "
        f"read from stored DICOM), {splits['test']['count']} in the fixed test set.",
        f"- Total: **{total:.1f} s** (target under 180 s).",
        f"- Outside `model.fit`: **{outside:.1f} s = {100 * outside / total:.1f}%** "
        "(target under 10%).",
        "",
        "| Part | What | Seconds | Share |",
        "|---|---|---:|---:|",
    ]
    for name, what in PARTS:
        value = seconds.get(name, 0.0)
        lines.append(f"| {name} | {what} | {value:.1f} | {100 * value / total:.1f}% |")
    rest = total - sum(seconds.values())
    lines.append(
        f"| the rest | claim, lease, progress rows, model save | {rest:.1f} | "
        f"{100 * rest / total:.1f}% |"
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
