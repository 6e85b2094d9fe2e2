"""HTTPS=true, as docker-compose.yml sets it, passes Django's deployment checks for HTTPS:
HSTS, the redirect from plain HTTP, and cookies sent over TLS only.

Settings are read once at start, so each case runs the product's own settings (config.settings,
not the tests') in a process of its own with the environment production gives it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTTPS_WARNINGS = ["security.W004", "security.W008", "security.W012", "security.W016"]

# Runs in the product's settings: what a browser gets over plain HTTP, over TLS, and over TLS
# that ended at a trusted proxy. No database: none of these requests reads one.
PROBE = """
import json
from django.conf import settings
from django.test import Client

def seen(response):
    return {
        "status": response.status_code,
        "location": response.get("Location"),
        "hsts": response.get("Strict-Transport-Security"),
        "secure_cookies": {n: bool(c["secure"]) for n, c in response.cookies.items()},
    }

plain = Client().get("/accounts/login/")
tls = Client().get("/accounts/login/", secure=True)
proxied = Client().get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "plain": seen(plain), "tls": seen(tls), "proxied": seen(proxied),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
}))
"""


def product_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY="a-production-secret-" + "x7Qp2mZr9LwT4vBn" * 4,
        DEBUG="false",
        ALLOWED_HOSTS="testserver,triage.example.org",
        **extra,
    )
    env.pop("CELERY_BROKER_URL", None)  # the embedded broker file: nothing to reach
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def deploy_warnings(env: dict[str, str]) -> list[str]:
    result = manage(env, "check", "--deploy")
    output = result.stdout + result.stderr
    return sorted({w for w in output.split() if w.startswith("(") and w.endswith(")")})


@pytest.mark.parametrize("https", ["true", None], ids=["HTTPS=true", "HTTPS unset"])
def test_check_deploy_has_no_https_warnings_when_https_is_on(tmp_path: Path, https: str) -> None:
    env = product_env(tmp_path, **({"HTTPS": https} if https else {}))

    found = deploy_warnings(env)

    https_warnings = [w for w in found if w.strip("()") in HTTPS_WARNINGS]
    if https:
        assert https_warnings == [], found
    else:  # the embedded default serves plain HTTP on the loopback interface
        assert https_warnings == [f"({w})" for w in HTTPS_WARNINGS], found


def test_over_https_browsers_are_told_to_stay_on_it_and_cookies_never_go_plain(
    tmp_path: Path,
) -> None:
    env = product_env(tmp_path, HTTPS="true", TRUSTED_PROXY="true")

    result = manage(env, "shell", "-c", PROBE)

    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain"]["status"] == 301
    assert seen["plain"]["location"] == "https://testserver/accounts/login/"
    for over_tls in (seen["tls"], seen["proxied"]):
        assert over_tls["status"] == 200
        assert over_tls["hsts"] == "max-age=31536000; includeSubDomains"
        assert over_tls["secure_cookies"]["csrftoken"] is True
    assert seen["session_cookie_secure"] is True


def test_without_a_trusted_proxy_its_header_does_not_make_a_request_secure(
    tmp_path: Path,
) -> None:
    env = product_env(tmp_path, HTTPS="true")

    result = manage(env, "shell", "-c", PROBE)

    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["proxied"]["status"] == 301  # anyone can send X-Forwarded-Proto
