"""`scripts/run`'s processes are kept running: one that dies is started again, and the console
says so, instead of the whole product stopping (issue 9: the worker died and took the rest)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.embedded.test_worker_burst import embedded_env
from tests.processes import ROOT, free_port, wait_until

SUPERVISORD = Path(sys.executable).parent / "supervisord"
SUPERVISORCTL = Path(sys.executable).parent / "supervisorctl"
CONF = ROOT / "config" / "supervisord.conf"


def status(env: dict[str, str]) -> dict[str, tuple[str, int | None]]:
    """Each program's state and pid, as supervisorctl reports them."""
    out = subprocess.run(
        [str(SUPERVISORCTL), "-c", str(CONF), "status"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    states: dict[str, tuple[str, int | None]] = {}
    for line in out.splitlines():
        name, state, *rest = line.split()
        pid = int(rest[1].rstrip(",")) if rest[:1] == ["pid"] else None
        states[name] = (state, pid)
    return states


@pytest.mark.slow
def test_a_process_that_dies_is_started_again_and_the_console_says_so(tmp_path):
    env = embedded_env(tmp_path / "var")
    env.update(PORT=str(free_port()), DICOM_PORT=str(free_port()))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True
    )
    (tmp_path / "var" / "log").mkdir()
    console = tmp_path / "console.log"
    # Append mode, as a shell's >> gives: supervisord writes its log to /dev/stdout, which it
    # opens again (a second offset into the same file).
    with open(console, "ab") as out:
        supervisor = subprocess.Popen(
            [str(SUPERVISORD), "-c", str(CONF), *(["--user", "root"] if os.getuid() == 0 else [])],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=out,
        )
    try:
        wait_until(
            lambda: requests.get(f"http://127.0.0.1:{env['PORT']}/accounts/login/", timeout=5),
            what="the web server",
            timeout=120,
            process=supervisor,
            # While every program starts at once on a busy machine, the first answer can take
            # longer than a request's own limit: still starting, not failed.
            ignoring=(requests.ConnectionError, requests.Timeout),
        )
        running = wait_until(
            lambda: (s := status(env)) and all(state == "RUNNING" for state, _ in s.values()) and s,
            what="every program running",
            timeout=60,
            process=supervisor,
        )
        assert set(running) == {"worker", "beat", "dicom-listener", "web"}
        worker_pid = running["worker"][1]
        assert worker_pid

        os.kill(worker_pid, signal.SIGKILL)

        again = wait_until(
            lambda: (s := status(env))["worker"][0] == "RUNNING" and s["worker"][1] != worker_pid,
            what="the worker started again",
            timeout=60,
            process=supervisor,
        )
        assert again
        text = console.read_text()
        assert "exited: worker (terminated by SIGKILL; not expected)" in text
        assert text.count("spawned: 'worker'") == 2
        assert "CRIT" not in text
        # The rest of the product never stopped.
        assert supervisor.poll() is None
        assert requests.get(f"http://127.0.0.1:{env['PORT']}/accounts/login/", timeout=5).ok
    finally:
        supervisor.terminate()
        supervisor.wait(timeout=60)
    # Nothing of the product outlives supervisord, not even a child of the killed worker.
    assert not processes_of(env["VAR_DIR"])


def processes_of(var_dir: str) -> list[int]:
    """Pids of the processes started with this VAR_DIR in their environment."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if f"VAR_DIR={var_dir}".encode() in environ and proc.name.isdigit():
            found.append(int(proc.name))
    return found
