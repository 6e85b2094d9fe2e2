"""Our archive in production shape: gunicorn serving config.wsgi on PostgreSQL, plus the listener.

A fresh database (bench_archive) and a fresh VAR_DIR each run; Redis db 14 is flushed. No Celery
worker runs: study-stability checks are queued in Redis and left there, off the measured path.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

from bench import cpu

REPO = Path(__file__).resolve().parent.parent
PYTHON = str(REPO / ".venv" / "bin" / "python")
GUNICORN = str(REPO / ".venv" / "bin" / "gunicorn")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DB_NAME = "bench_archive"
BROKER = "redis://127.0.0.1:6379/14"
LISTENER_COMMAND = REPO / "archive" / "management" / "commands" / "dicom_listener.py"
AE_TITLE = "TRIAGE"


@dataclass
class Ours:
    work: Path
    http_port: int = 8790
    dicom_port: int = 11190
    gunicorn_args: list[str] = field(
        default_factory=lambda: ["-w", "4", "--threads", "4", "--timeout", "300"]
    )
    token: str = ""
    _server: subprocess.Popen[bytes] | None = None
    _listener: subprocess.Popen[bytes] | None = None

    @property
    def dicomweb_root(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/dicomweb"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
        env.update(
            DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
            CELERY_BROKER_URL=BROKER,
            VAR_DIR=str(self.work / "var"),
            LOG_LEVEL="WARNING",
            DICOM_BIND_ADDRESS="127.0.0.1",
            DICOM_PORT=str(self.dicom_port),
        )
        return env

    def prepare(self) -> None:
        """Fresh database, files and broker; migrate; create the API user and keep its token."""
        shutil.rmtree(self.work, ignore_errors=True)
        (self.work / "var").mkdir(parents=True)
        _recreate_database()
        redis.Redis.from_url(BROKER).flushdb()
        self._manage("migrate", "--noinput")
        out = self._manage("create_user", "bench", "--role", "admin", "--no-password", "--token")
        self.token = out.strip().splitlines()[-1].strip()
        # The listener admits known devices only: the C-STORE workload's AE title (workloads.py).
        self._manage("dicom_devices", "add", "BENCHSCU", "--store")

    def _manage(self, *args: str) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=REPO, env=self.env(), capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def start(self) -> None:
        _ensure_port_free(self.http_port)
        log = (self.work / "gunicorn.log").open("wb")
        self._server = subprocess.Popen(
            [GUNICORN, "config.wsgi", "-b", f"127.0.0.1:{self.http_port}", *self.gunicorn_args],
            cwd=REPO,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _wait_http(f"http://127.0.0.1:{self.http_port}/accounts/login/", self._server, log.name)

    def has_listener(self) -> bool:
        return LISTENER_COMMAND.exists()

    def start_listener(self) -> None:
        _ensure_port_free(self.dicom_port)
        log = (self.work / "listener.log").open("wb")
        self._listener = subprocess.Popen(
            [PYTHON, "manage.py", "dicom_listener", "--port", str(self.dicom_port)],
            cwd=REPO,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _wait_tcp(self.dicom_port, self._listener, log.name)

    @property
    def server_pid(self) -> int | None:
        return self._server.pid if self._server else None

    @property
    def listener_pid(self) -> int | None:
        return self._listener.pid if self._listener else None

    def pids(self) -> list[int]:
        """gunicorn and listener processes with their children, and our PostgreSQL backends."""
        roots = [p.pid for p in (self._server, self._listener) if p is not None]
        return cpu.process_tree(roots) + cpu.postgres_backends(DB_NAME)

    def count(self, table: str) -> int:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}") as conn:
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0

    def stop(self) -> None:
        for proc in (self._listener, self._server):
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._server = self._listener = None

    def drop(self) -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        redis.Redis.from_url(BROKER).flushdb()


def _recreate_database() -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def _ensure_port_free(port: int) -> None:
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} on 127.0.0.1 is already in use; pick another")


def _exited(what: str, proc: subprocess.Popen[bytes], log: str) -> RuntimeError:
    tail = Path(log).read_text(errors="replace")[-2000:]
    return RuntimeError(f"{what} exited with {proc.returncode}; end of {log}:\n{tail}")


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise _exited("gunicorn", proc, log)
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def _wait_tcp(port: int, proc: subprocess.Popen[bytes], log: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise _exited("dicom_listener", proc, log)
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


if __name__ == "__main__":  # manual use: python -m bench.ours <work dir>; serves until signalled
    import signal

    ours = Ours(Path(sys.argv[1]))
    ours.prepare()
    ours.start()
    print(f"serving {ours.dicomweb_root} token={ours.token}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        signal.pause()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        ours.stop()
        ours.drop()
