"""The home page serves the built front end to logged-in users only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client

from config.views import BUILD_COMMAND
from tests.frontend import ensure_frontend_built


@pytest.fixture(scope="session")
def frontend_dist() -> Path:
    return ensure_frontend_built()


def test_it_sends_anonymous_visitors_to_the_login_page(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_the_login_page_renders_a_form(client: Client, db: None) -> None:
    response = client.get("/accounts/login/?next=/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body
    assert 'name="password"' in body
    assert 'name="csrfmiddlewaretoken"' in body


def test_it_logs_in_through_the_form_and_lands_on_home(
    client: Client, make_user: Callable[..., object]
) -> None:
    make_user("radiologist")
    response = client.post(
        "/accounts/login/",
        {"username": "radiologist-user", "password": "pw-for-tests", "next": "/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_it_serves_the_built_index_to_logged_in_users(
    client: Client, make_user: Callable[..., object], frontend_dist: Path
) -> None:
    client.force_login(make_user("radiologist"))
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body == (frontend_dist / "index.html").read_text()
    assert 'src="/static/assets/' in body
    assert "csrftoken" in response.cookies, "the sign-out form needs the CSRF cookie"
    assert "no-cache" in response["Cache-Control"]


def test_it_explains_how_to_build_when_the_front_end_is_missing(
    client: Client,
    make_user: Callable[..., object],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr("config.views.frontend_index_path", lambda: tmp_path / "index.html")
    client.force_login(make_user("radiologist"))
    response = client.get("/")
    assert response.status_code == 503
    assert BUILD_COMMAND in response.content.decode()
    assert BUILD_COMMAND == "npm --prefix frontend ci && npm --prefix frontend run build"


def test_sign_out_is_a_post_that_ends_the_session(
    client: Client, make_user: Callable[..., object]
) -> None:
    client.force_login(make_user("radiologist"))
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302
