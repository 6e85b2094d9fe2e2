"""API tokens: kept as SHA-256 digests, shown once when issued, revocable, never readable back
(issue 13, access 1)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import token_issue, user_create


def rows_containing(text: str) -> list[str]:
    """Every table's rows, as JSON, that contain `text` anywhere."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(
                f'SELECT row_to_json(t)::text FROM "{table}" t '  # our own table names
                "WHERE strpos(row_to_json(t)::text, %s) > 0",
                [text],
            )
            found += [f"{table}: {row}" for (row,) in cursor.fetchall()]
    return found


def api(token: str, keyword: str = "Bearer") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {token}")
    return client


@pytest.mark.django_db
def test_the_database_holds_no_api_token_in_plaintext():
    user_create(username="reader", password="pw-for-tests", roles=["radiologist"])

    token = token_issue(username="reader")

    assert api(token).get("/api/me").status_code == 200
    assert rows_containing(token) == []


@pytest.mark.django_db
def test_no_admin_page_shows_a_token_even_to_a_superuser():
    user_create(username="reader", password="pw-for-tests", roles=["radiologist"])
    token = token_issue(username="reader")
    root = User.objects.create_superuser("root", password="pw-for-tests")
    client = Client()
    client.force_login(root)

    pages = []
    for model in admin.site._registry:
        meta = model._meta
        if "token" not in meta.model_name:
            continue
        base = f"/admin/{meta.app_label}/{meta.model_name}/"
        pages.append(client.get(base))
        pages += [client.get(f"{base}{obj.pk}/change/") for obj in model.objects.all()]

    assert pages and all(page.status_code == 200 for page in pages)
    assert not [page for page in pages if token in page.content.decode()]
    assert any(token[:8] in page.content.decode() for page in pages)  # the prefix tells it apart


@pytest.mark.django_db
@pytest.mark.parametrize("keyword", ["Bearer", "Token"])
def test_create_token_prints_a_token_once_that_authenticates(keyword):
    user_create(username="scanner", password=None, roles=["modality"])
    out = io.StringIO()

    call_command("create_token", "scanner", "--name", "CT 2", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]

    me = api(token, keyword).get("/api/me")
    assert me.status_code == 200 and me.json()["username"] == "scanner"
    from accounts.models import ApiToken

    stored = ApiToken.objects.get(user__username="scanner")
    assert stored.name == "CT 2" and stored.prefix == token[:8]
    assert len(token) >= 43  # 256 random bits


@pytest.mark.django_db
def test_a_new_token_leaves_the_others_working_and_rotate_revokes_them():
    user_create(username="scanner", password=None, roles=["modality"])
    first = token_issue(username="scanner")
    second = token_issue(username="scanner")
    first_works = api(first).get("/api/me").status_code

    third = token_issue(username="scanner", rotate=True)

    assert first_works == 200 and first != second
    assert api(first).get("/api/me").status_code == 401
    assert api(second).get("/api/me").status_code == 401
    assert api(third).get("/api/me").status_code == 200


@pytest.mark.django_db
def test_a_revoked_token_is_refused_at_once_and_an_expired_one_too():
    from accounts.models import ApiToken
    from accounts.services import token_create

    user = user_create(username="scanner", password=None, roles=["modality"])
    revoked = token_issue(username="scanner")
    assert api(revoked).get("/api/me").status_code == 200
    now = timezone.now()
    _row, expired = token_create(user=user, expires_at=now - dt.timedelta(seconds=1))
    _row, expiring = token_create(user=user, expires_at=now + dt.timedelta(hours=1))

    token = ApiToken.objects.get(prefix=revoked[:8])
    token.revoked_at = timezone.now()
    token.save()

    assert api(revoked).get("/api/me").status_code == 401
    assert api(expired).get("/api/me").status_code == 401
    assert api(expiring).get("/api/me").status_code == 200


@pytest.mark.django_db
def test_last_use_is_recorded_at_most_once_a_minute():
    from accounts.models import ApiToken

    user_create(username="scanner", password=None, roles=["modality"])
    token = token_issue(username="scanner")
    stored = ApiToken.objects.get(prefix=token[:8])
    assert stored.last_used_at is None

    api(token).get("/api/me")
    first_use = ApiToken.objects.get(pk=stored.pk).last_used_at
    api(token).get("/api/me")
    unchanged = ApiToken.objects.get(pk=stored.pk).last_used_at
    stored.refresh_from_db()
    stored.last_used_at = timezone.now() - dt.timedelta(minutes=2)  # as if a minute had passed
    stored.save()
    api(token).get("/api/me")
    later = ApiToken.objects.get(pk=stored.pk).last_used_at

    assert first_use is not None and unchanged == first_use
    assert later > timezone.now() - dt.timedelta(seconds=30)


@pytest.mark.django_db
def test_an_admin_revokes_a_token_in_the_admin_without_seeing_it():
    from accounts.models import ApiToken

    user_create(username="scanner", password=None, roles=["modality"])
    token = token_issue(username="scanner")
    user_create(username="site-admin", password="pw-for-tests", roles=["admin"])
    client = Client()
    client.force_login(User.objects.get(username="site-admin"))
    stored = ApiToken.objects.get(prefix=token[:8])

    listing = client.get("/admin/accounts/apitoken/")
    revoked = client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [stored.pk], "index": 0},
    )

    assert listing.status_code == 200 and token[:8] in listing.content.decode()
    assert token not in listing.content.decode()
    assert revoked.status_code == 302
    assert api(token).get("/api/me").status_code == 401


@pytest.mark.django_db
def test_users_manage_their_own_tokens_and_see_each_only_once():
    user_create(username="reader", password="pw-for-tests", roles=["radiologist"])
    user_create(username="other", password="pw-for-tests", roles=["radiologist"])
    others = token_issue(username="other")
    client = APIClient()
    client.force_login(User.objects.get(username="reader"))

    from accounts.models import ApiToken

    created = client.post("/api/me/tokens", {"name": "my script"}, format="json")
    listing = client.get("/api/me/tokens")
    token = created.json()["token"]
    worked = api(token).get("/api/me").status_code
    not_mine = client.delete(f"/api/me/tokens/{ApiToken.objects.get(user__username='other').pk}")
    deleted = client.delete(f"/api/me/tokens/{created.json()['id']}")

    assert created.status_code == 201 and worked == 200
    assert [t["name"] for t in listing.json()] == ["my script"]
    assert token not in listing.content.decode()
    assert listing.json()[0]["prefix"] == token[:8]
    assert not_mine.status_code == 404
    assert deleted.status_code == 204
    assert api(token).get("/api/me").status_code == 401
    assert api(others).get("/api/me").status_code == 200


@pytest.mark.django_db
def test_tokens_issued_in_plaintext_before_keep_working_and_their_text_is_gone():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("accounts.migrations.0003_api_token_from_authtoken")
    user = user_create(username="scanner", password=None, roles=["modality"])
    old = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"  # DRF authtoken's 40 hex digits
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created timestamp with time zone NOT NULL, user_id integer NOT NULL)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)", [old, user.pk])

    with connection.schema_editor() as editor:
        migration.tokens_from_authtoken(apps, editor)

    assert api(old).get("/api/me").status_code == 200
    assert api(old, "Token").get("/api/me").json()["username"] == "scanner"
    assert "authtoken_token" not in connection.introspection.table_names()
    assert rows_containing(old) == []
