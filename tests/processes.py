"""Run product processes (worker, web server, DICOM listener) for tests, and wait for outcomes
that another process produces."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def product_env() -> dict[str, str]:
    """Environment for a product process that must share the test database and files."""
    db = settings.DATABASES["default"]
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }


def celery_worker_args(*, queues: str, concurrency: int, name: str | None = None) -> list[str]:
    """A product Celery worker (threads pool, no gossip or mingle) on `queues`."""
    import sys

    args = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=threads"]
    args += [f"--concurrency={concurrency}", "-Q", queues, "--without-gossip", "--without-mingle"]
    return [*args, "--loglevel=INFO", *(["-n", name] if name else [])]


def wait_until(
    check: Callable[[], T],
    *,
    what: str,
    timeout: float = 60.0,
    interval: float = 0.1,
    process: subprocess.Popen[bytes] | None = None,
    ignoring: tuple[type[Exception], ...] = (),
) -> T:
    """Poll `check` until it returns something truthy, and return that.

    Fails naming `what` after `timeout` seconds, or at once if `process` has exited. Exceptions
    of the `ignoring` types count as "not yet" (a server still starting refuses connections).
    """
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with {process.returncode}")
        try:
            value = check()
        except ignoring:
            value = None  # type: ignore[assignment]
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)


@contextmanager
def running(
    args: list[str], *, log_name: str, env: dict[str, str], cwd: Path = ROOT
) -> Iterator[subprocess.Popen[bytes]]:
    """A process with its output in VAR_DIR/<log_name>; terminated (killed after 20 s) on exit."""
    with open(Path(settings.VAR_DIR) / log_name, "wb") as log:
        proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
