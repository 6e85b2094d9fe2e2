"""Shared fixtures: services up, users per role, DICOM test files, a real Celery worker."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.processes import celery_worker_args, free_port, product_env, running, wait_until
from tests.services import ensure_services

SHARED_DICOM = Path(__file__).resolve().parents[2] / "shared" / "data" / "dicom"
ROLES = ["radiologist", "annotator", "reviewer", "admin", "modality"]


def pytest_sessionstart(session: pytest.Session) -> None:
    ensure_services()
    var = Path(settings.VAR_DIR)
    for sub in ("storage", "tmp"):
        shutil.rmtree(var / sub, ignore_errors=True)
        (var / sub).mkdir(parents=True, exist_ok=True)
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


def readable_dicom_files() -> list[Path]:
    """Every file of ../shared/data/dicom that is a valid instance (not malformed, not DICOMDIR)."""
    files = []
    for path in sorted(SHARED_DICOM.rglob("*")):
        if not path.is_file() or path.suffix in {".csv", ".md"} or path.name == "DICOMDIR":
            continue
        if "malformed" in path.parts:
            continue
        files.append(path)
    return files


def malformed_dicom_files() -> list[Path]:
    return sorted((SHARED_DICOM / "malformed").iterdir())


@pytest.fixture
def make_user(db: None) -> Callable[..., object]:
    from accounts.services import user_create

    def make(role: str, username: str | None = None) -> object:
        return user_create(
            username=username or f"{role}-user", password="pw-for-tests", roles=[role]
        )

    return make


@pytest.fixture
def client_for(make_user: Callable[..., object]) -> Callable[[str | None], APIClient]:
    """An API client authenticated by token as a user of the given role (None: anonymous)."""
    from accounts.services import token_issue

    def make(role: str | None) -> APIClient:
        client = APIClient()
        if role is not None:
            user = make_user(role)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(username=user.username)}")
        return client

    return make


@pytest.fixture
def ingest_file(db: None) -> Callable[[Path], object]:
    """Store one file through the ingest service, as every door does."""
    from archive.services.ingest import instance_ingest

    def ingest(path: Path) -> object:
        with open(path, "rb") as fp:
            return instance_ingest(fp=fp, source="test")

    return ingest


@pytest.fixture(scope="session")
def celery_worker(
    django_db_setup: None, django_db_blocker: object
) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process on Redis, using the test database.

    Tests that rely on it must commit their data: use `transactional_db`.
    """
    from config.celery import app

    args = celery_worker_args(queues="default", concurrency=4)
    with running(args, log_name="celery-worker.log", env=product_env()) as proc:
        wait_until(
            lambda: app.control.ping(timeout=0.5), what="the Celery worker's ping", process=proc
        )
        yield proc


@pytest.fixture(scope="session")
def viewer_origin() -> str:
    """The origin a viewer on another origin (OHIF, tests/e2e/test_ohif.py) is served from,
    chosen before the web server starts so that the server allows it for DICOMweb (CORS)."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def app_server(
    django_db_setup: None, django_db_blocker: object, viewer_origin: str
) -> Iterator[str]:
    """The product's web server as production runs it (gunicorn, uvicorn ASGI workers) on the
    test database; its base URL.

    Unlike live_server it speaks ASGI, so the worklist's live stream works, and it decodes
    chunked request bodies, which DICOMweb clients send for large STOW-RS requests. It serves
    frontend/dist as it is at each request (browser tests build it first). Tests using it must
    commit their data: use `transactional_db`.
    """
    import requests

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "gunicorn", "config.asgi", "-b", f"127.0.0.1:{port}"]
    args += ["-k", "uvicorn_worker.UvicornWorker", "-w", "2", "--timeout", "120"]
    env = {**product_env(), "WHITENOISE_USE_FINDERS": "1", "WHITENOISE_AUTOREFRESH": "1"}
    env["DICOMWEB_CORS_ALLOWED_ORIGINS"] = viewer_origin
    with running(args, log_name="gunicorn.log", env=env) as proc:
        wait_until(
            lambda: requests.get(f"{url}/accounts/login/", timeout=10),
            what="gunicorn's first answer",
            process=proc,
            ignoring=(requests.RequestException,),
        )
        yield url


@pytest.fixture(scope="session")
def archive_server(app_server: str) -> str:
    """The web server, named for the DICOMweb tests that use it."""
    return app_server


@pytest.fixture(autouse=True)
def _fresh_archive_files() -> None:
    """Each test starts with an empty file store (the database is rolled back by pytest-django)."""
    shutil.rmtree(Path(settings.VAR_DIR) / "storage" / "dicom", ignore_errors=True)
