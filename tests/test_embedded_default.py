"""Smoke test of the embedded default: SQLite, local files, a Celery worker on the SQLite broker
(no Redis, no PostgreSQL), as `scripts/run` starts it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.archive.stow_helpers import multipart_body_of_files, referenced_uids
from tests.conftest import SHARED_DICOM
from tests.processes import ROOT, free_port, running, wait_until


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
    worker = [
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
    ]
    web = [
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
    ]
    with (
        running(worker, log_name="embedded-worker.log", env=embedded_env),
        running(web, log_name="embedded-web.log", env=embedded_env) as web_process,
    ):
        body, content_type = multipart_body_of_files([SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"])
        response = wait_until(
            lambda: requests.post(
                f"http://127.0.0.1:{port}/dicomweb/studies",
                data=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
                timeout=30,
            ),
            what="the embedded web server's answer to STOW-RS",
            process=web_process,
            ignoring=(requests.ConnectionError,),
        )
        assert response.status_code == 200
        assert len(referenced_uids(response.json())) == 1
        assert (Path(embedded_env["VAR_DIR"]) / "db.sqlite3").exists()

        # The worker on the embedded (SQLite) broker marks the study stable once it is quiet.
        code = "from archive.models import Study; print(Study.objects.get().status)"
        wait_until(
            lambda: manage(embedded_env, "shell", "--no-imports", "-c", code).strip() == "stable",
            what="the study becoming stable",
            interval=0.5,
        )
