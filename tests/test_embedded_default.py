"""Smoke test of the embedded default: SQLite, local files, a Celery worker on the filesystem
broker (no Redis, no PostgreSQL), as `scripts/run` starts it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.archive.stow_helpers import multipart_body_of_files, referenced_uids
from tests.conftest import SHARED_DICOM, free_port

ROOT = Path(__file__).resolve().parent.parent


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return result.stdout


@pytest.fixture
def embedded_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        VAR_DIR=str(tmp_path / "var"),
        ARCHIVE_STABILITY_SECONDS="0.5",
        LOG_LEVEL="WARNING",
    )
    return env


@pytest.mark.slow
def test_the_embedded_default_stores_and_settles_a_study(embedded_env, tmp_path):
    manage(embedded_env, "migrate", "--noinput", "-v0")
    token = (
        manage(embedded_env, "create_user", "sender", "--role", "admin", "--no-password", "--token")
        .strip()
        .splitlines()[-1]
    )
    port = free_port()
    logs = open(tmp_path / "processes.log", "wb")  # noqa: SIM115
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-B",
                "--pool=threads",
                "--concurrency=2",
                "-Q",
                "default",
                f"--schedule={tmp_path / 'beat-schedule'}",
            ],
            env=embedded_env,
            cwd=ROOT,
            stdout=logs,
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                "1",
                "--threads",
                "4",
            ],
            env=embedded_env,
            cwd=ROOT,
            stdout=logs,
            stderr=subprocess.STDOUT,
        ),
    ]
    try:
        body, content_type = multipart_body_of_files([SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"])
        response = _post_when_up(
            f"http://127.0.0.1:{port}/dicomweb/studies",
            body,
            {
                "Authorization": f"Bearer {token}",
                "Content-Type": content_type,
            },
        )
        assert response.status_code == 200
        assert len(referenced_uids(response.json())) == 1
        assert (Path(embedded_env["VAR_DIR"]) / "db.sqlite3").exists()

        status = _wait_for_status(embedded_env, "stable")
        assert status == "stable"
    finally:
        for proc in processes:
            proc.terminate()
        for proc in processes:
            proc.wait(timeout=30)
        logs.close()


def _post_when_up(url: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    deadline = time.monotonic() + 60
    while True:
        try:
            return requests.post(url, data=body, headers=headers, timeout=30)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _wait_for_status(env: dict[str, str], wanted: str) -> str:
    """Poll the study's status, set by the worker, up to a deadline."""
    code = "from archive.models import Study; print(Study.objects.get().status)"
    deadline = time.monotonic() + 60
    status = ""
    while time.monotonic() < deadline:
        status = manage(env, "shell", "--no-imports", "-c", code).strip()
        if status == wanted:
            break
        time.sleep(0.5)
    return status
