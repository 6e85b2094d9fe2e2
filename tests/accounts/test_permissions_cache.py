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
