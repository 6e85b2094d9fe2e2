"""Permission checks are cached, yet a change of role is seen at once."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.permissions import user_has_perm
from accounts.services import user_create


@pytest.mark.django_db
def test_a_second_check_asks_the_database_nothing():
    user = user_create(username="rad", password="pw-for-tests", roles=["radiologist"])
    assert user_has_perm(user, "archive.view_instance")

    with CaptureQueriesContext(connection) as queries:
        assert user_has_perm(user, "archive.view_instance")
        assert not user_has_perm(user, "archive.add_instance")

    assert len(queries) == 0


@pytest.mark.django_db
def test_a_user_moved_to_another_role_loses_the_old_rights_at_once(client_for):
    user = user_create(username="rad", password="pw-for-tests", roles=["radiologist"])
    assert user_has_perm(user, "archive.view_instance")

    user.groups.set([Group.objects.get(name="annotator")])

    assert not user_has_perm(user, "archive.view_instance")


@pytest.mark.django_db
def test_a_role_losing_a_permission_is_seen_at_once():
    user = user_create(username="rad", password="pw-for-tests", roles=["radiologist"])
    assert user_has_perm(user, "archive.view_instance")

    Group.objects.get(name="radiologist").permissions.clear()

    assert not user_has_perm(user, "archive.view_instance")


@pytest.mark.django_db
def test_a_deactivated_user_has_no_permission():
    user = user_create(username="rad", password="pw-for-tests", roles=["radiologist"])
    user.is_active = False
    user.save()

    assert not user_has_perm(user, "archive.view_instance")


@pytest.mark.django_db
def test_a_token_is_looked_up_once_then_served_from_cache(client_for):
    client = client_for("radiologist")
    assert client.get("/dicomweb/studies").status_code == 200

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/dicomweb/studies").status_code == 200

    assert not any("accounts_apitoken" in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db
def test_a_deleted_token_is_refused_at_once(client_for):
    from accounts.models import ApiToken

    client = client_for("radiologist")
    assert client.get("/dicomweb/studies").status_code == 200

    ApiToken.objects.all().delete()

    assert client.get("/dicomweb/studies").status_code == 401


@pytest.mark.django_db
def test_a_deactivated_users_token_is_refused_at_once(client_for):
    from django.contrib.auth.models import User

    client = client_for("radiologist")
    assert client.get("/dicomweb/studies").status_code == 200

    User.objects.filter(username="radiologist-user").update(is_active=False)  # no signal
    user = User.objects.get(username="radiologist-user")
    user.save()  # an admin saving the user sends it

    assert client.get("/dicomweb/studies").status_code == 401


@pytest.mark.django_db
def test_a_user_removed_from_the_group_side_loses_the_rights_at_once():
    user = user_create(username="rad", password="pw-for-tests", roles=["radiologist"])
    assert user_has_perm(user, "archive.view_instance")

    Group.objects.get(name="radiologist").user_set.remove(user)

    assert not user_has_perm(user, "archive.view_instance")
