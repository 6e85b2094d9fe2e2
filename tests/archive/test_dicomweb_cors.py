"""CORS on DICOMweb: a viewer served from another origin (OHIF) reads the archive with a bearer
token; other origins, cookies and the rest of the site stay closed to cross-origin pages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.processes import free_port, product_env, running, wait_until

VIEWER = "http://127.0.0.1:3000"
PREFLIGHT = {
    "Origin": VIEWER,
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "authorization,accept",
}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def server(django_db_setup: None) -> Iterator[str]:
    """The product's web server with one allowed viewer origin, as an operator configures it."""
    import sys

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "gunicorn", "config.asgi", "-b", f"127.0.0.1:{port}"]
    args += ["-k", "uvicorn_worker.UvicornWorker", "-w", "1"]
    env = {**product_env(), "DICOMWEB_CORS_ALLOWED_ORIGINS": f"{VIEWER}, https://ohif.example"}
    with running(args, log_name="gunicorn-cors.log", env=env) as proc:
        wait_until(
            lambda: requests.get(f"{url}/accounts/login/", timeout=10),
            what="gunicorn's first answer",
            process=proc,
            ignoring=(requests.RequestException,),
        )
        yield url


def test_a_preflight_from_the_allowed_viewer_is_answered(server):
    response = requests.options(f"{server}/dicomweb/studies", headers=PREFLIGHT, timeout=10)

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == VIEWER
    allowed_headers = response.headers["Access-Control-Allow-Headers"].lower()
    assert {"authorization", "accept", "content-type"} <= set(allowed_headers.split(", "))
    assert {"GET", "POST", "OPTIONS"} <= set(
        response.headers["Access-Control-Allow-Methods"].split(", ")
    )
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_a_preflight_from_another_origin_is_not_allowed(server):
    headers = {**PREFLIGHT, "Origin": "http://evil.example"}
    response = requests.options(f"{server}/dicomweb/studies", headers=headers, timeout=10)

    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_search_from_the_viewer_exposes_the_headers_clients_read(server, make_user):
    from accounts.services import token_issue

    make_user("radiologist", "cors-reader")
    headers = {"Origin": VIEWER, "Authorization": f"Bearer {token_issue(username='cors-reader')}"}

    response = requests.get(f"{server}/dicomweb/studies", headers=headers, timeout=10)

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == VIEWER
    exposed = set(response.headers["Access-Control-Expose-Headers"].lower().split(", "))
    assert {"content-type", "content-length", "warning"} <= exposed


def test_the_rest_of_the_site_answers_no_cross_origin_request(server):
    headers = {**PREFLIGHT, "Access-Control-Request-Method": "POST"}
    for path in ("/api/worklist/", "/accounts/login/"):
        response = requests.options(f"{server}{path}", headers=headers, timeout=10)

        assert "Access-Control-Allow-Origin" not in response.headers
