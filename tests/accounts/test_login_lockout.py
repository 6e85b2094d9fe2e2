"""Both login forms lock a user name out, from one address, after AXES_FAILURE_LIMIT wrong
passwords for AXES_COOLOFF minutes (issue 13, access 3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client

from accounts.services import user_create

LOGIN_FORMS = ["/accounts/login/", "/admin/login/"]
PASSWORD = "pw-for-tests"


@pytest.fixture
def users(db: None) -> None:
    user_create(username="site-admin", password=PASSWORD, roles=["admin"])
    user_create(username="reader", password=PASSWORD, roles=["admin"])


def sign_in(client: Client, url: str, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in_as(client: Client) -> str | None:
    me = client.get("/api/me")
    return me.json()["username"] if me.status_code == 200 else None


@pytest.mark.parametrize("url", LOGIN_FORMS)
def test_thirty_wrong_passwords_then_the_right_one_does_not_sign_in(users, url):
    client = Client()

    wrong = [sign_in(client, url, "site-admin", f"guess-{n}").status_code for n in range(30)]
    right = sign_in(client, url, "site-admin", PASSWORD)

    assert wrong[:4] == [200] * 4  # the form again, with its error
    assert set(wrong[5:]) == {429}
    assert right.status_code == 429
    assert signed_in_as(client) is None


@pytest.mark.parametrize("url", LOGIN_FORMS)
def test_the_lockout_page_says_when_to_try_again(users, url):
    client = Client()
    for n in range(5):
        sign_in(client, url, "site-admin", f"guess-{n}")

    page = sign_in(client, url, "site-admin", PASSWORD)

    assert page.status_code == 429
    assert page["Content-Type"].startswith("text/html")
    text = page.content.decode()
    assert "Too many failed sign-ins" in text
    assert "Try again in 15 minutes" in text
    assert "Traceback" not in text and "axes" not in text.lower()


def test_a_json_client_gets_a_json_429(users):
    client = Client()
    for n in range(5):
        sign_in(client, "/accounts/login/", "site-admin", f"guess-{n}")

    answer = client.post(
        "/accounts/login/",
        {"username": "site-admin", "password": PASSWORD},
        HTTP_ACCEPT="application/json",
        REMOTE_ADDR="10.0.0.1",
    )

    assert answer.status_code == 429
    assert answer.json()["detail"].startswith("Too many failed sign-ins")
    assert answer.json()["retry_after_seconds"] == 15 * 60
    assert answer["Retry-After"] == str(15 * 60)


def test_a_lockout_holds_one_user_name_from_one_address_only(users):
    for n in range(5):
        sign_in(Client(), "/accounts/login/", "site-admin", f"guess-{n}")
    same, other_user, other_address = Client(), Client(), Client()

    sign_in(same, "/accounts/login/", "site-admin", PASSWORD)
    sign_in(other_user, "/accounts/login/", "reader", PASSWORD)
    sign_in(other_address, "/accounts/login/", "site-admin", PASSWORD, address="10.0.0.2")

    assert signed_in_as(same) is None
    assert signed_in_as(other_user) == "reader"
    assert signed_in_as(other_address) == "site-admin"


def test_a_successful_sign_in_clears_the_failures(users):
    client = Client()
    for _round in range(3):
        for n in range(4):
            sign_in(client, "/accounts/login/", "site-admin", f"guess-{n}")
        assert sign_in(client, "/accounts/login/", "site-admin", PASSWORD).status_code == 302
        client.post("/accounts/logout/")

    assert signed_in_as(client) is None
    sign_in(client, "/accounts/login/", "site-admin", PASSWORD)
    assert signed_in_as(client) == "site-admin"


def test_the_right_password_signs_in_again_after_the_cool_off(users):
    from axes.models import AccessAttempt

    client = Client()
    for n in range(5):
        sign_in(client, "/accounts/login/", "site-admin", f"guess-{n}")
    assert sign_in(client, "/accounts/login/", "site-admin", PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    response = sign_in(client, "/accounts/login/", "site-admin", PASSWORD)

    assert response.status_code == 302
    assert signed_in_as(client) == "site-admin"


def test_the_test_clients_login_without_a_request_still_works(users):
    client = Client()

    assert client.login(username="reader", password=PASSWORD)
    assert User.objects.get(username="reader").last_login is not None
