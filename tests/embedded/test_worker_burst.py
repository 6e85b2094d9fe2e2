"""The embedded default's worker survives a burst: hundreds of tasks sent at once from several
processes (as the web workers, the DICOM listener and beat send them) are all done, and the worker
is still running afterwards.

kombu's filesystem transport, the embedded broker until issue 9, lost this race: a reader could
open a message file its writer had created but not yet written, and the worker died with
`Unrecoverable error: JSONDecodeError` (an empty message file in its queue folder killed it every
time). The senders start with the worker on a new broker file, as `scripts/run`'s processes do
on a first start: none of them may fail creating the broker's tables or queues.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import ROOT, running, wait_until

SENDERS = 6
TASKS_PER_SENDER = 100

SEND = """
import sys
from config.celery import app
folder, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with app.producer_or_acquire() as producer:
    for number in range(first, first + count):
        app.send_task("tests.burst_mark_done", args=[folder, number], producer=producer)
"""


def embedded_env(var_dir: Path) -> dict[str, str]:
    """The environment `scripts/run` gives its processes: no DATABASE_URL, no broker URL."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", VAR_DIR=str(var_dir), LOG_LEVEL="WARNING")
    return env


@pytest.mark.slow
def test_the_embedded_worker_does_every_task_of_a_burst_and_stays_up(tmp_path):
    env = embedded_env(tmp_path / "var")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True
    )
    per_sender = TASKS_PER_SENDER
    done = tmp_path / "done"
    done.mkdir()
    worker = [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "--pool=threads"]
    worker += ["--concurrency=2", "-Q", "default", "--include=tests.embedded.burst_tasks"]
    worker += [f"--schedule={tmp_path / 'beat-schedule'}", "--loglevel=INFO"]
    with running(worker, log_name="burst-worker.log", env=env) as worker_process:
        senders = [
            subprocess.Popen(
                [sys.executable, "-c", SEND, str(done), str(n * TASKS_PER_SENDER), str(per_sender)],
                env=env,
                cwd=ROOT,
            )
            for n in range(SENDERS)
        ]
        assert [sender.wait(timeout=120) for sender in senders] == [0] * SENDERS
        total = SENDERS * TASKS_PER_SENDER
        wait_until(
            lambda: len(list(done.iterdir())) == total,
            what=f"all {total} tasks done",
            timeout=180,
            interval=0.5,
            process=worker_process,
        )
        assert worker_process.poll() is None, "the worker exited during the burst"
    names = {path.name for path in done.iterdir()}
    assert names == {f"{n}.done" for n in range(total)}

    # The transport keeps each delivered message; the hourly prune task deletes them.
    prune = "from config.embedded_broker import embedded_broker_prune as p; print(p())"
    pruned = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", prune],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(pruned.stdout.strip()) >= total
