"""What the browser is told to refuse and not to keep: Content-Security-Policy on every page, and
`Cache-Control: no-store` on every answer that may carry patient data (the JSON API, DICOMweb).

The e2e suite (tests/e2e/conftest.py) fails any browser test whose page reported a violation of
the policy, so the pages are checked to work under it there; this file checks what is sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from django.test import Client

from tests.archive.dicomweb_helpers import CORNERSTONE_ACCEPT, reader_session, uids
from tests.conftest import SHARED_DICOM
from tests.frontend import ensure_frontend_built

CT_SMALL = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"


def directives(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: [sources]}."""
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


@pytest.fixture
def admin_client(client: Client, make_user: Callable[..., object]) -> Client:
    client.force_login(make_user("admin"))
    return client


def test_the_login_page_carries_the_policy(client: Client, db: None) -> None:
    response = client.get("/accounts/login/")

    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'", "'wasm-unsafe-eval'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert policy["worker-src"] == ["'self'", "blob:"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


@pytest.mark.parametrize("path", ["/", "/worklist", "/admin/", "/admin/auth/user/", "/api/me"])
def test_every_page_carries_a_policy_that_runs_no_inline_or_evaluated_script(
    admin_client: Client, path: str
) -> None:
    ensure_frontend_built()

    response = admin_client.get(path)

    assert response.status_code == 200
    script_src = directives(response["Content-Security-Policy"])["script-src"]
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src


def test_the_api_schema_page_runs_its_one_inline_script_by_nonce(admin_client: Client) -> None:
    response = admin_client.get("/api/schema/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    script_src = directives(response["Content-Security-Policy"])["script-src"]
    nonces = [s for s in script_src if s.startswith("'nonce-")]
    assert len(nonces) == 1
    nonce = nonces[0].removeprefix("'nonce-").removesuffix("'")
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.content.decode())
    assert inline, "Swagger UI's starter script is inline"
    assert all(f'nonce="{nonce}"' in attributes for attributes in inline)


def test_two_schema_pages_get_different_nonces(admin_client: Client) -> None:
    first = admin_client.get("/api/schema/", HTTP_ACCEPT="text/html")
    second = admin_client.get("/api/schema/", HTTP_ACCEPT="text/html")

    assert first["Content-Security-Policy"] != second["Content-Security-Policy"]


# --- Cache-Control: no-store on patient data, against the live server ---------------------------


@pytest.fixture
def session_for(app_server: str, make_user: Callable[..., object]) -> requests.Session:
    from accounts.services import token_issue

    make_user("admin", "no-store-admin")
    return reader_session(token_issue(username="no-store-admin"))


@pytest.mark.django_db(transaction=True)
def test_patient_data_of_every_kind_is_sent_with_no_store(
    app_server: str, session_for: requests.Session, ingest_file: Callable[[Path], object]
) -> None:
    ingest_file(CT_SMALL)
    study, series, sop = uids(CT_SMALL)
    instance = f"{app_server}/dicomweb/studies/{study}/series/{series}/instances/{sop}"
    samples = {
        "API JSON": (f"{app_server}/api/worklist", "application/json"),
        "API JSON detail": (f"{app_server}/api/me", "application/json"),
        "QIDO DICOM JSON": (f"{app_server}/dicomweb/studies", "application/dicom+json"),
        "WADO metadata": (
            f"{app_server}/dicomweb/studies/{study}/metadata",
            "application/dicom+json",
        ),
        "WADO multipart instances": (
            instance,
            'multipart/related; type="application/dicom"; transfer-syntax=*',
        ),
        "WADO frames": (f"{instance}/frames/1", CORNERSTONE_ACCEPT),
        "rendered JPEG": (f"{instance}/rendered", "image/jpeg"),
        "thumbnail": (f"{instance}/thumbnail", "image/jpeg"),
    }

    for kind, (url, accept) in samples.items():
        response = session_for.get(url, headers={"Accept": accept})
        assert response.status_code == 200, (kind, response.status_code, response.text[:200])
        assert response.headers.get("Cache-Control") == "no-store", kind


@pytest.mark.django_db(transaction=True)
def test_errors_are_no_store_and_static_assets_stay_cacheable(
    app_server: str, session_for: requests.Session
) -> None:
    dist = ensure_frontend_built()

    missing = session_for.get(f"{app_server}/dicomweb/studies/1.2.3/metadata")
    asset = re.search(r'src="(/static/assets/[^"]+\.js)"', (dist / "index.html").read_text())
    assert asset is not None
    script = requests.get(f"{app_server}{asset.group(1)}", timeout=10)

    assert missing.status_code == 404
    assert missing.headers["Cache-Control"] == "no-store"  # says a study is absent: still private
    assert script.status_code == 200
    assert "no-store" not in script.headers.get("Cache-Control", "")
