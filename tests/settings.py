"""Test settings: the production shape on localhost (PostgreSQL, Redis), files in var/test/.

Environment variables still win, so CI can point elsewhere.
"""

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/triage")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("VAR_DIR", str(_ROOT / "var" / "test"))
os.environ.setdefault("DICOM_PORT", "11199")
os.environ.setdefault("ARCHIVE_STABILITY_SECONDS", "1.0")
# Idle live streams say something every second, so a test's client can hang up promptly.
os.environ.setdefault("TRIAGE_EVENTS_KEEPALIVE_SECONDS", "1.0")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
