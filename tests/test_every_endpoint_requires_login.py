"""Every endpoint refuses anonymous users: found by walking the URL configuration, so an
endpoint added later without authentication fails here.

What each role, by token and by session, may do with every method of every route (Django's admin
included) is tests/test_role_url_method_matrix.py's, against tests/role_url_method_table.py."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC = {"accounts/login/", "accounts/logout/"}  # logout is POST-only and harmless anonymously
SAMPLE_ARGS = {
    "study": "1.2.3",
    "series": "1.2.3.4",
    "instance": "1.2.3.4.5",
    "frames": "1",
    "tag": "7FE00010",
    "frame": "1",
}


def _routes(patterns, prefix: str = "") -> list[str]:
    routes = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes += _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            routes.append(route)
    return routes


def _concrete(route: str) -> str:
    route = route.lstrip("^").rstrip("$")
    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE_ARGS.get(m.group(1), "1"), route)
    return "/" + route.replace("\\", "")


ROUTES = sorted(
    {
        _concrete(r)
        for r in _routes(get_resolver().url_patterns)
        if r not in PUBLIC and not r.startswith("admin/") and "(?P" not in r
    }
)


def test_the_walk_finds_the_dicomweb_and_api_routes():
    assert "/dicomweb/studies" in ROUTES
    assert any(route.startswith("/api/") for route in ROUTES)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ROUTES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_users_are_refused(client, url, method):
    response = getattr(client, method)(url)

    if response.status_code == 302:
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code in (401, 403, 405), f"{method.upper()} {url}"
