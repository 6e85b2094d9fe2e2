"""A task held by a worker killed with SIGKILL runs again within seconds (issue 10, item 5).

With Redis, a dead worker's unacknowledged messages come back only after the broker's visibility
timeout. It was four hours: a study a killed worker had taken waited ten minutes, for the scoring
sweep, before anyone scored it.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import uuid

import pytest

from tests.faults.servers import RedisServer
from tests.processes import product_env, running, wait_until


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of the test's own: the suite's other workers share the machine's one."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def worker_args(queue: str, name: str) -> list[str]:
    args = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=threads"]
    args += ["--concurrency=1", "-Q", queue, "--without-gossip", "--without-mingle"]
    args += ["--include=tests.embedded.burst_tasks", "--loglevel=INFO"]
    return [*args, "-n", f"{name}@%h"]


def test_a_task_a_killed_worker_held_is_run_again_within_a_minute(tmp_path, redis_server):
    from config.celery import app

    queue = f"redelivery-{uuid.uuid4().hex[:8]}"
    with app.connection_for_write(redis_server.url) as connection:
        app.send_task(
            "tests.mark_started_then_wait",
            args=(str(tmp_path), queue),
            queue=queue,
            connection=connection,
        )
    env = {**product_env(), "CELERY_BROKER_URL": redis_server.url}
    with running(worker_args(queue, "first"), log_name="redelivery-1.log", env=env) as first:
        wait_until(
            lambda: (tmp_path / "started").exists(),
            what="the first worker to start the task",
            process=first,
        )
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    killed_at = time.monotonic()

    with running(worker_args(queue, "second"), log_name="redelivery-2.log", env=env) as second:
        wait_until(
            lambda: (tmp_path / "done").exists(),
            what="the task to run again on the second worker",
            timeout=75,
            interval=0.5,
            process=second,
        )
    recovered = time.monotonic() - killed_at
    print(f"redelivered after {recovered:.1f} s")
    assert recovered < 60
