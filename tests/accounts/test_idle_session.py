"""A browser session ends after 30 minutes without a request and 12 hours after signing in;
API tokens do not time out.

No test waits: the session's clocks (what config.security keeps in it) are written back in time,
as if the user had been away.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

# Seconds since the epoch that config/security.py keeps in the session.
LAST_ACTIVITY = "_last_activity"
SIGNED_IN_AT = "_signed_in_at"
MINUTE = 60

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client: Client, make_user: Callable[..., object]) -> Client:
    """A radiologist signed in through the login form, as a browser does."""
    make_user("radiologist", "idle-reader")
    response = client.post(
        "/accounts/login/", {"username": "idle-reader", "password": "pw-for-tests", "next": "/"}
    )
    assert response.status_code == 302
    return client


def away(client: Client, seconds: float, *, key: str = LAST_ACTIVITY) -> None:
    """As if the session's clock `key` had been set `seconds` earlier."""
    session = client.session
    session[key] = session.get(key, time.time()) - seconds
    session.save()


def session_writes(client: Client, path: str, times: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        for _ in range(times):
            assert client.get(path).status_code == 200
    return sum(
        1
        for q in queries.captured_queries
        if "django_session" in q["sql"]
        and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    )


def test_after_31_idle_minutes_the_api_answers_401_and_says_why(browser: Client) -> None:
    assert browser.get("/api/me").status_code == 200

    away(browser, 31 * MINUTE)
    response = browser.get("/api/me")
    again = browser.get("/api/me")

    assert response.status_code == 401
    assert "signed out after 30 minutes without activity" in response.json()["detail"]
    assert again.status_code in (401, 403)  # the session is gone: a plain unauthenticated request


def test_dicomweb_answers_401_to_an_idle_session(browser: Client) -> None:
    away(browser, 31 * MINUTE)

    response = browser.get("/dicomweb/studies", HTTP_ACCEPT="application/dicom+json")

    assert response.status_code == 401


def test_an_idle_page_goes_to_the_login_page_which_says_why(browser: Client) -> None:
    away(browser, 31 * MINUTE)

    response = browser.get("/worklist")
    login_page = browser.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/worklist"
    assert "signed out after 30 minutes without activity" in login_page.content.decode()


def test_activity_keeps_the_session_open(browser: Client) -> None:
    away(browser, 29 * MINUTE)
    assert browser.get("/api/me").status_code == 200

    away(browser, 29 * MINUTE)  # 58 minutes since sign-in, 29 since the last request

    assert browser.get("/api/me").status_code == 200


def test_a_session_ends_12_hours_after_sign_in_however_active(browser: Client) -> None:
    away(browser, 12 * 60 * MINUTE + 1, key=SIGNED_IN_AT)

    response = browser.get("/api/me")

    assert response.status_code == 401
    assert "at most 12 hours" in response.json()["detail"]


def test_a_viewer_s_many_requests_write_the_session_at_most_once_a_minute(
    browser: Client,
) -> None:
    assert session_writes(browser, "/api/me", 20) == 0  # signed in moments ago

    away(browser, MINUTE + 1)

    assert session_writes(browser, "/api/me", 20) == 1


def test_a_signed_in_session_lasts_12_hours_at_most_and_its_cookie_says_so(
    client: Client, make_user: Callable[..., object]
) -> None:
    make_user("radiologist", "cookie-reader")

    response = client.post(
        "/accounts/login/", {"username": "cookie-reader", "password": "pw-for-tests", "next": "/"}
    )

    assert response.cookies["sessionid"]["max-age"] == 12 * 3600


def test_api_tokens_do_not_time_out(
    browser: Client, client_for: Callable[[str | None], object]
) -> None:
    token_client = client_for("reviewer")
    away(browser, 31 * MINUTE)
    assert browser.get("/api/me").status_code == 401

    assert token_client.get("/api/me").status_code == 200  # type: ignore[attr-defined]


@pytest.mark.parametrize("header", ["Basic aWRsZTpyZWFkZXI=", "Digest x", "anything"])
def test_an_authorization_header_that_is_no_token_does_not_keep_an_idle_session_alive(
    browser: Client, header: str
) -> None:
    """Only a token scheme exempts a request from the session's limits: any other header would
    fall through to the session cookie, and a stolen idle cookie would work again."""
    away(browser, 31 * MINUTE)

    response = browser.get("/api/me", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"
