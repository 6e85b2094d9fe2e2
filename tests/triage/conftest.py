"""Triage fixtures: a small model trained here once per session, registered active per test,
and an inference worker (a real Celery worker on the `inference` queue)."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.processes import celery_worker_args, product_env, running, wait_until
from tests.triage.studies import NPZ


@pytest.fixture(scope="session")
def small_model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A narrow chest radiograph classifier trained for two epochs (seconds on a CPU)."""
    from ml.core.data import load_pneumoniamnist
    from ml.core.spec import ClassifierHyperparameters, TrainingConfig
    from ml.core.training import save_model, train_classifier

    config = TrainingConfig(
        epochs=2, hyperparameters=ClassifierHyperparameters(widths=(8, 16), convs_per_block=1)
    )
    result = train_classifier(load_pneumoniamnist(NPZ), config)
    path = tmp_path_factory.mktemp("model") / "small.keras"
    save_model(result.model, path)
    return path


IDENTITY = {"slope": 1.0, "intercept": 0.0}


def register(
    weights: Path,
    *,
    threshold: float = 0.5,
    calibration: dict[str, float] = IDENTITY,
    activate: bool = True,
):
    from ml.services import model_version_register

    return model_version_register(
        task="chest_xray_pneumonia",
        architecture="chest_xray_classifier",
        weights_path=weights,
        input_spec={"image_size": 28, "channels": 1},
        threshold=threshold,
        calibration=calibration,
        metrics={"validation": {"auc": 0.9}},
        data_snapshot={"source": "tests"},
        training_config={"epochs": 2},
        activate=activate,
    )


@pytest.fixture
def active_model(small_model_file: Path):
    """The small model registered as the task's active version (test needs database access)."""
    return register(small_model_file)


@pytest.fixture(scope="module")
def inference_worker(django_db_setup: None, django_db_blocker: object) -> Iterator[object]:
    """A Celery worker on the inference queue only, as on a GPU host."""
    with inference_worker_process() as proc:
        yield proc


@contextmanager
def inference_worker_process(**env: str) -> Iterator[subprocess.Popen[bytes]]:
    """Start an inference worker and wait until it answers a ping."""
    from config.celery import app

    name = f"inference@{socket.gethostname()}"
    args = celery_worker_args(queues="inference", concurrency=2, name=name)
    with running(args, log_name="inference-worker.log", env={**product_env(), **env}) as proc:
        wait_until(
            lambda: app.control.ping(destination=[name], timeout=0.5),
            what="the inference worker's ping",
            process=proc,
        )
        yield proc
