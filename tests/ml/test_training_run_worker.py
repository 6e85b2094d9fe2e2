"""Training runs on real Celery workers (training queue, Redis, the test database): one run at a
time, a second delivery of the message ignored while the lease lives, and a worker SIGKILLed in
the middle of a run leaves no run hanging (the sweep resumes it on a new worker from its
checkpoint)."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from ml.models import ModelVersion, TrainingRun
from ml.training_runs import training_run_request, training_runs_sweep
from tests.processes import celery_worker_args, product_env, running, wait_until

TASK = "chest_xray_pneumonia"
LEASE = 3.0  # seconds: a dead worker's run is found within a few seconds
RUN_TIMEOUT = 300.0  # a few small epochs on a shared 2-core CPU, TensorFlow's start included
_names = itertools.count(1)


@contextmanager
def training_worker(*, epochs: int, seed_limit: int) -> Iterator[subprocess.Popen[bytes]]:
    """A Celery worker on the training queue only, with a short lease and a small run."""
    from config.celery import app

    name = f"training-{next(_names)}@{socket.gethostname()}"
    args = celery_worker_args(queues="training", concurrency=2, name=name)
    env = {
        **product_env(),
        "TRAINING_LEASE_SECONDS": str(LEASE),
        "TRAINING_EPOCHS": str(epochs),
        "TRAINING_SEED_LIMIT": str(seed_limit),
    }
    log_name = f"training-worker-{name.split('@')[0]}.log"
    with running(args, log_name=log_name, env=env) as proc:
        wait_until(
            lambda: app.control.ping(destination=[name], timeout=0.5),
            what="the training worker's ping",
            process=proc,
        )
        yield proc


def current(run: TrainingRun) -> TrainingRun:
    return TrainingRun.objects.get(pk=run.pk)


def log_of(worker: subprocess.Popen[bytes]) -> str:
    args = worker.args
    assert isinstance(args, list)
    name = args[args.index("-n") + 1].split("@")[0]
    return (Path(settings.VAR_DIR) / f"training-worker-{name}.log").read_text(errors="replace")


@pytest.mark.slow
@pytest.mark.worker
def test_runs_train_one_at_a_time_and_a_second_delivery_does_nothing(
    transactional_db: None, make_user
) -> None:
    from ml.tasks import training_run_task

    admin = make_user("admin")
    with training_worker(epochs=3, seed_limit=400) as worker:
        first = training_run_request(task=TASK, mode="scratch", actor=admin)
        second = training_run_request(task=TASK, mode="scratch", actor=admin)
        wait_until(lambda: current(first).status == "running", what="the first run starting")
        training_run_task.apply_async(kwargs={"run_id": first.pk})  # as Redis redelivers it

        wait_until(
            lambda: f"training_run_not_claimed run_id={first.pk}" in log_of(worker),
            what="the second delivery turned away",
            process=worker,
        )
        assert current(second).status == "queued"
        wait_until(
            lambda: current(second).status in TrainingRun.FINISHED,
            what="both runs finishing",
            timeout=2 * RUN_TIMEOUT,
            process=worker,
        )
    runs = [current(first), current(second)]
    assert [(r.status, r.attempts) for r in runs] == [("succeeded", 1), ("succeeded", 1)]
    assert runs[1].started_at >= runs[0].finished_at  # it waited for the first
    for run in runs:
        assert [h["epoch"] for h in run.history] == list(range(1, len(run.history) + 1))
        assert ModelVersion.objects.get(pk=run.candidate_id).training_run == run
        assert run.data_snapshot["seed"]["used"]["train"] == 400


@pytest.mark.slow
@pytest.mark.worker
def test_a_killed_worker_leaves_no_run_hanging(transactional_db: None, make_user) -> None:
    epochs = 6
    run = training_run_request(task=TASK, mode="scratch", actor=make_user("admin"))
    with training_worker(epochs=epochs, seed_limit=1500) as worker:
        wait_until(
            lambda: current(run).checkpoint_epoch >= 1,
            what="the first epoch's checkpoint",
            timeout=RUN_TIMEOUT,
            process=worker,
        )
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    killed_at = current(run)
    assert killed_at.status == "running" and killed_at.epoch < epochs

    # Once the lease lapses, the sweep (beat's job) sends the run again to resume.
    wait_until(lambda: training_runs_sweep()["resumed"], what="the sweep resuming the run")
    with training_worker(epochs=epochs, seed_limit=1500) as worker:
        wait_until(
            lambda: current(run).status in TrainingRun.FINISHED,
            what="the resumed run finishing",
            timeout=RUN_TIMEOUT,
            process=worker,
        )
    run = current(run)
    assert (run.status, run.attempts) == ("succeeded", 2)
    assert f"worker lost at epoch {killed_at.checkpoint_epoch}, resuming" in run.log
    epochs_done = [h["epoch"] for h in run.history]
    assert epochs_done == list(range(1, len(epochs_done) + 1))  # history continues
    assert len(epochs_done) > killed_at.checkpoint_epoch
    assert run.candidate_id is not None
