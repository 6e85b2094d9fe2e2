"""GET /api/me: who the logged-in user is and which roles they hold."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from rest_framework.test import APIClient


def test_it_returns_the_user_name_and_roles(client_for: Callable[[str | None], APIClient]) -> None:
    response = client_for("radiologist").get("/api/me")
    assert response.status_code == 200
    assert response.json() == {"username": "radiologist-user", "roles": ["radiologist"]}


def test_it_lists_every_role_of_a_user_in_several(db: None) -> None:
    from accounts.services import user_create

    user = user_create(username="both", password="pw-for-tests", roles=["reviewer", "annotator"])
    client = APIClient()
    client.force_authenticate(user)
    assert client.get("/api/me").json()["roles"] == ["annotator", "reviewer"]


def test_it_works_with_the_browser_session(
    client: Client, make_user: Callable[..., object]
) -> None:
    client.force_login(make_user("annotator"))
    response = client.get("/api/me")
    assert response.status_code == 200
    assert response.json() == {"username": "annotator-user", "roles": ["annotator"]}


@pytest.mark.django_db
def test_anonymous_users_are_refused(client_for: Callable[[str | None], APIClient]) -> None:
    response = client_for(None).get("/api/me")
    # Bearer tokens come first in DRF's authenticators, so the refusal is a 401 with a challenge.
    assert response.status_code == 401
    assert "WWW-Authenticate" in response
