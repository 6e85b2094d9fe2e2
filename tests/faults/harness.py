"""The whole product on a private Redis and PostgreSQL, for one fault run: the web server as
production runs it, a Celery worker (default and inference queues), beat and the DICOM listener,
each a process group that a test may SIGKILL and start again; files in a VAR_DIR of its own.

Sweeps run on short intervals, so that recovery by the product's own mechanisms (beat sending the
sweeps, the broker giving back unacknowledged messages) fits in a test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

import requests

from tests.faults.servers import PostgresCluster, RedisServer, _end
from tests.processes import ROOT, celery_worker_args, free_port, port_answers, wait_until

FAULTS_DIR = ROOT / "var" / "faults"

# Short sweeps; a claim older than 30 s is taken as dead (a fresh worker loads TensorFlow and the
# model in well under that, even on two busy cores); a sent message is sent again after 10 s.
SWEEP_ENV = {
    "ARCHIVE_STABILITY_SECONDS": "1.0",
    "ARCHIVE_SWEEP_SECONDS": "1.0",
    "TRIAGE_SWEEP_SECONDS": "1.0",
    "TRIAGE_SCORING_STALE_SECONDS": "30",
    "TRIAGE_SCORING_RESEND_SECONDS": "10",
}


def template_cluster(root: Path) -> Path:
    """A stopped PostgreSQL cluster in root/template/data holding the migrated `triage` database;
    each harness starts a copy of it (a copy costs less than a migration)."""
    cluster = PostgresCluster(root / "template")
    cluster.start()
    try:
        cluster.create_database()
        env = {**_base_env(root / "template" / "var"), "DATABASE_URL": cluster.url}
        _run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env)
    finally:
        cluster.stop()
    return cluster.data


def train_small_model(path: Path) -> Path:
    """A narrow chest radiograph classifier trained for two epochs (seconds on a CPU), as the
    triage tests train theirs."""
    from archive.services.demo import PNEUMONIA_NPZ
    from ml.core.data import load_pneumoniamnist
    from ml.core.spec import ClassifierHyperparameters, TrainingConfig
    from ml.core.training import save_model, train_classifier
    from tests.conftest import SHARED_DICOM

    config = TrainingConfig(
        epochs=2, hyperparameters=ClassifierHyperparameters(widths=(8, 16), convs_per_block=1)
    )
    result = train_classifier(load_pneumoniamnist(SHARED_DICOM.parent / PNEUMONIA_NPZ), config)
    save_model(result.model, path)
    return path


class Harness:
    """The product's processes on their own Redis, PostgreSQL and files (see the module doc)."""

    PROCESSES = ("web", "worker", "beat", "listener")

    def __init__(
        self, name: str, *, parent: Path, template: Path, env: dict[str, str] | None = None
    ) -> None:
        self.root = parent / f"{name}-{uuid.uuid4().hex[:8]}"
        self.var_dir = self.root / "var"
        self.var_dir.mkdir(parents=True)
        self.redis = RedisServer(self.root)
        self.postgres = PostgresCluster(self.root / "pg", template=template)
        self.web_port = free_port()
        self.dicom_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.web_port}"
        self.worker_name = f"faults-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
        self.env = {
            **_base_env(self.var_dir),
            **SWEEP_ENV,
            "DATABASE_URL": self.postgres.url,
            "CELERY_BROKER_URL": self.redis.url,
            "DICOM_PORT": str(self.dicom_port),
            **(env or {}),
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.crashes: list[str] = []
        self.token = ""
        self.model_version_id = 0

    # --- processes ----------------------------------------------------------------------------
    def command(self, name: str) -> list[str]:
        py = sys.executable
        if name == "web":
            args = [py, "-m", "gunicorn", "config.asgi", "-b", f"127.0.0.1:{self.web_port}"]
            return [*args, "-k", "uvicorn_worker.UvicornWorker", "-w", "2", "--timeout", "120"]
        if name == "worker":
            args = celery_worker_args(
                queues="default,inference", concurrency=2, name=self.worker_name
            )
            return args
        if name == "beat":
            return [py, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"]
        if name == "listener":
            return [py, "manage.py", "dicom_listener", "--port", str(self.dicom_port)]
        raise ValueError(f"no product process named {name!r}")

    def start(self, name: str) -> subprocess.Popen[bytes]:
        """Start the process (its own process group, output in VAR_DIR/<name>.log); wait until it
        serves: web and listener when their port answers, the worker when it says it is ready."""
        log_path = self.var_dir / f"{name}.log"
        offset = log_path.stat().st_size if log_path.exists() else 0
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                self.command(name),
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes[name] = proc
        if name == "web":
            self.wait_web_answers(timeout=60)
        elif name == "listener":
            wait_until(lambda: port_answers(self.dicom_port), what="the listener", process=proc)
        elif name == "worker":
            # Its ping would need a Celery app of this Redis in this process, whose own app is
            # configured for another broker: the worker's log says when it consumes.
            wait_until(
                lambda: b" ready." in log_path.read_bytes()[offset:],
                what="the worker ready",
                timeout=60,
                process=proc,
            )
        return proc

    def kill(self, name: str) -> None:
        """SIGKILL the process and every process of its group (a crash, an OOM kill)."""
        proc = self.processes.pop(name)
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def kill_web_workers(self) -> None:
        """SIGKILL every worker of the web server (as the OOM killer would); its master starts
        new ones by itself."""
        master = self.processes["web"].pid
        workers = [
            int(pid)
            for task in Path(f"/proc/{master}/task").iterdir()
            for pid in (task / "children").read_text().split()
        ]
        if not workers:
            raise AssertionError("the web server has no workers to kill")
        for pid in workers:
            os.kill(pid, signal.SIGKILL)

    def revive(self) -> None:
        """Start again any process that exited by itself, as production's supervisor would
        (compose's restart policy, supervisord); each such exit is recorded in `crashes`."""
        for name, proc in list(self.processes.items()):
            if proc.poll() is None:
                continue
            log = (self.var_dir / f"{name}.log").read_text(errors="replace").splitlines()
            errors = [line for line in log if "CRITICAL" in line or "Error" in line]
            last = errors[-1][:300] if errors else (log[-1][:300] if log else "")
            self.crashes.append(f"the product's {name} exited with {proc.returncode}: {last}")
            self.start(name)

    def wait_web_answers(self, *, timeout: float) -> requests.Response:
        return wait_until(
            lambda: requests.get(f"{self.base_url}/accounts/login/", timeout=5),
            what="the web server's first answer",
            timeout=timeout,
            process=self.processes["web"],
            ignoring=(requests.RequestException,),
        )

    # --- the product's commands ---------------------------------------------------------------
    def manage(self, *args: str) -> str:
        return _run([sys.executable, "manage.py", *args], self.env)

    def django(self, call: str) -> Any:
        """Call a function of tests/faults/product_side.py in a Django shell of the product, and
        return the JSON it prints."""
        code = f"from tests.faults.product_side import *; {call}"
        out = self.manage("shell", "-c", code)
        return json.loads(out.strip().splitlines()[-1])

    def prepare(self, model_file: Path) -> None:
        """A user to store and read with (admin), and the small model as the active version."""
        out = self.manage("create_user", "faults", "--role", "admin", "--no-password", "--token")
        self.token = out.strip().splitlines()[-1]
        # The listener admits known devices only: the C-STORE client's AE title (clients.py).
        self.manage("dicom_devices", "add", "FAULTSCU", "--store")
        self.model_version_id = self.django(f"model_register({str(model_file)!r})")

    def session(self) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        return session

    def sql(self, query: str, *params: object) -> list[tuple[Any, ...]]:
        """Read the product's database directly (a fresh connection: it may have restarted)."""
        import psycopg

        with psycopg.connect(self.postgres.url, connect_timeout=5) as conn:
            return conn.execute(query, params).fetchall()

    # --- life ---------------------------------------------------------------------------------
    @contextmanager
    def running(self, model_file: Path) -> Iterator[Harness]:
        """Everything started (Redis, PostgreSQL, then the product); everything stopped at exit,
        whatever happened, so that no process outlives the test."""
        with ExitStack() as stack:
            stack.callback(shutil.rmtree, self.postgres.data, ignore_errors=True)
            stack.callback(self.postgres.stop)
            self.postgres.start()
            stack.callback(self.redis.stop)
            self.redis.start()
            stack.callback(self.stop_processes)
            self.prepare(model_file)
            for name in self.PROCESSES:
                self.start(name)
            yield self

    def stop_processes(self) -> None:
        for name in list(self.processes):
            _end(self.processes.pop(name))


def _base_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "VAR_DIR": str(var_dir),
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }


def _run(args: list[str], env: dict[str, str]) -> str:
    started = time.monotonic()
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    if result.returncode:
        raise RuntimeError(
            f"{' '.join(args[:4])} failed after {time.monotonic() - started:.0f} s:\n"
            f"{result.stdout[-2000:]}{result.stderr[-4000:]}"
        )
    return result.stdout
