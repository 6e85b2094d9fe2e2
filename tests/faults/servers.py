"""A private Redis and a private PostgreSQL cluster on loopback, for one fault run each: started,
stopped and restarted at will without touching the machine's shared services."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
from pathlib import Path

from tests.processes import free_port, port_answers, wait_until


def _pg_bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {tool} is not installed under /usr/lib/postgresql")
    return found[-1]


def _as_postgres(args: list[str]) -> list[str]:
    """initdb and pg_ctl refuse to run as root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _chown_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


class RedisServer:
    """`redis-server` on a free loopback port, keeping nothing on disk (as the machine's own)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--daemonize", "no", "--dir", str(self.workdir)]
        with open(self.workdir / "redis.log", "ab") as log:
            self.process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_until(
            lambda: port_answers(self.port), what="redis-server's port", process=self.process
        )

    def stop(self) -> None:
        """Stop it (SIGTERM; it saves nothing): every queued message is gone, as in a crash."""
        if self.process is None:
            return
        _end(self.process)
        self.process = None


class PostgresCluster:
    """A PostgreSQL cluster of its own in `root` (initdb'd, or copied from a template cluster),
    served on a free loopback port and a Unix socket in `root`."""

    def __init__(self, root: Path, *, template: Path | None = None) -> None:
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/triage"
        root.mkdir(parents=True, exist_ok=True)
        _chown_to_postgres(root)
        if template is not None:
            subprocess.run(["cp", "-a", str(template), str(self.data)], check=True)
        else:
            self._pg([_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"])

    def _pg(self, args: list[str]) -> None:
        result = subprocess.run(_as_postgres(args), capture_output=True, text=True, timeout=90)
        if result.returncode:
            log = self.root / "postgres.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {result.stdout}{result.stderr}\n{tail}")

    def _ctl(self, *action: str) -> None:
        # fsync off: a test cluster need not survive a power cut, and its writes are faster.
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "postgres.log")
        self._pg([_pg_bin("pg_ctl"), "-D", str(self.data), "-l", log, "-o", options, "-w", *action])

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every open connection is terminated, then it starts again."""
        self._ctl("-m", "fast", "restart")

    def stop(self) -> None:
        """Stop it if it runs; kill the postmaster when pg_ctl cannot."""
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return
        try:
            self._ctl("-m", "fast", "-t", "30", "stop")
        except (RuntimeError, subprocess.TimeoutExpired):
            if pid_file.exists():
                pid = int(pid_file.read_text().split()[0])
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def create_database(self) -> None:
        import psycopg

        url = self.url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE triage")


def _end(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """Terminate a process group we started (kill it after `timeout`) and reap it."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # stragglers of the group (forked workers)
    process.wait()
