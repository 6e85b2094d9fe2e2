"""The product as production runs it, for browser and API benchmarks: a fresh PostgreSQL
database, `manage.py` against it, and gunicorn with uvicorn (ASGI) workers on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class AsgiProduct:
    database: str  # PostgreSQL database name on 127.0.0.1:5432, user postgres
    work: Path  # VAR_DIR parent and logs

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:5432/{self.database}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG")}
        env.update(
            DATABASE_URL=self.database_url,
            VAR_DIR=str(self.work / "var"),
            LOG_LEVEL="WARNING",
            WHITENOISE_USE_FINDERS="1",  # serve frontend/dist without collectstatic
        )
        return env

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env(), check=True)

    def recreate(self, *, user: str, password: str) -> None:
        """Drop and create the database, migrate it, and add a radiologist."""
        import psycopg

        admin = "postgresql://postgres@127.0.0.1:5432/postgres"
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")
            db.execute(f"CREATE DATABASE {self.database}")
        self.manage("migrate", "--noinput", "-v0")
        self.manage("create_user", user, "--role", "radiologist", "--password", password)

    def django_setup(self) -> None:
        """Use the product's models from this process, on this database."""
        os.environ.update(self.env())
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        import django

        django.setup()

    def start(self, port: int, *, workers: int, extra: list[str] = ()) -> subprocess.Popen[bytes]:
        """gunicorn on 127.0.0.1:`port`, returned once it answers; logs in work/gunicorn.log."""
        args = [sys.executable, "-m", "gunicorn", "config.asgi", "-b", f"127.0.0.1:{port}"]
        args += ["-k", "uvicorn_worker.UvicornWorker", "-w", str(workers), "--timeout", "120"]
        log = (self.work / "gunicorn.log").open("wb")
        proc = subprocess.Popen([*args, *extra], cwd=ROOT, env=self.env(), stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
                return proc
            except requests.RequestException:
                time.sleep(0.2)
        proc.kill()
        raise RuntimeError(f"gunicorn did not answer; see {self.work / 'gunicorn.log'}")
