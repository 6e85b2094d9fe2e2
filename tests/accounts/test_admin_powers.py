"""Django's admin as a user of the product's `admin` role sees it: users and roles, never
Django's superuser powers (issue 13, access 1)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from accounts.roles import ROLES
from accounts.services import user_create


@pytest.fixture
def admin_client(db: None) -> Client:
    user_create(username="site-admin", password="pw-for-tests", roles=["admin"])
    client = Client()
    client.force_login(User.objects.get(username="site-admin"))
    return client


def change_form(user: User, **fields: object) -> dict[str, object]:
    """What the admin's user change form posts, with the user's current values."""
    data: dict[str, object] = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "groups": [g.pk for g in user.groups.all()],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "_save": "Save",
    }
    data.update(fields)
    return data


def test_an_admin_cannot_make_anyone_a_superuser_by_posting_the_fields(admin_client):
    target = user_create(username="reader", password="pw-for-tests", roles=["radiologist"])

    response = admin_client.post(
        f"/admin/auth/user/{target.pk}/change/",
        change_form(target, is_superuser="on", is_staff="on"),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    target.refresh_from_db()
    assert not target.is_superuser
    assert not target.is_staff


def test_an_admin_cannot_make_themselves_a_superuser_or_grant_themselves_permissions(
    admin_client,
):
    me = User.objects.get(username="site-admin")
    every_perm = list(Permission.objects.values_list("pk", flat=True))

    admin_client.post(
        f"/admin/auth/user/{me.pk}/change/",
        change_form(me, is_superuser="on", user_permissions=every_perm),
    )

    me.refresh_from_db()
    assert not me.is_superuser
    assert not me.user_permissions.exists()
    assert not me.has_perm("django_celery_beat.add_periodictask")


def test_the_change_form_offers_no_superuser_staff_or_permission_fields(admin_client):
    target = user_create(username="reader", password="pw-for-tests", roles=["radiologist"])

    page = admin_client.get(f"/admin/auth/user/{target.pk}/change/").content.decode()

    assert 'name="groups"' in page
    for field in ("is_superuser", "is_staff", "user_permissions"):
        assert f'name="{field}"' not in page


def test_an_admin_can_give_product_roles_only(admin_client):
    target = user_create(username="reader", password="pw-for-tests", roles=["radiologist"])
    wheel = Group.objects.create(name="wheel")
    wheel.permissions.set(Permission.objects.all())

    page = admin_client.get(f"/admin/auth/user/{target.pk}/change/").content.decode()
    refused = admin_client.post(
        f"/admin/auth/user/{target.pk}/change/", change_form(target, groups=[wheel.pk])
    )
    reviewer = Group.objects.get(name="reviewer")
    accepted = admin_client.post(
        f"/admin/auth/user/{target.pk}/change/", change_form(target, groups=[reviewer.pk])
    )

    assert "wheel" not in page
    assert refused.status_code == 200  # the form again, with the error
    assert accepted.status_code == 302
    assert list(target.groups.values_list("name", flat=True)) == ["reviewer"]
    assert set(ROLES) <= set(Group.objects.values_list("name", flat=True))


def test_giving_or_taking_the_admin_role_grants_or_ends_admin_site_access(admin_client):
    target = user_create(username="reader", password="pw-for-tests", roles=["radiologist"])
    admin_group = Group.objects.get(name="admin")

    admin_client.post(
        f"/admin/auth/user/{target.pk}/change/", change_form(target, groups=[admin_group.pk])
    )
    target.refresh_from_db()
    staff_with_role = target.is_staff
    admin_client.post(f"/admin/auth/user/{target.pk}/change/", change_form(target, groups=[]))
    target.refresh_from_db()

    assert staff_with_role
    assert not target.is_staff


def test_an_admin_neither_sees_nor_changes_a_superuser(admin_client):
    root = User.objects.create_superuser("root", password="pw-for-tests")

    listing = admin_client.get("/admin/auth/user/")
    opened = admin_client.get(f"/admin/auth/user/{root.pk}/change/")
    posted = admin_client.post(
        f"/admin/auth/user/{root.pk}/change/",
        change_form(root, is_active="", email="taken@example.org"),
    )
    password = admin_client.post(
        f"/admin/auth/user/{root.pk}/password/",
        {"password1": "a-new-passphrase-9", "password2": "a-new-passphrase-9"},
    )

    assert listing.status_code == 200
    assert "root" not in listing.content.decode()
    assert opened.status_code in (302, 404)
    assert posted.status_code in (302, 404)
    assert password.status_code in (302, 403, 404)
    root.refresh_from_db()
    assert root.is_active and root.email == "" and root.check_password("pw-for-tests")


@pytest.mark.parametrize(
    "url",
    [
        "/admin/auth/group/",
        "/admin/auth/group/add/",
        "/admin/django_celery_beat/periodictask/",
        "/admin/django_celery_beat/periodictask/add/",
        "/admin/django_celery_beat/crontabschedule/",
    ],
)
def test_roles_and_periodic_tasks_are_for_superusers_only(admin_client, url):
    assert admin_client.get(url).status_code == 403


def test_the_admin_index_lists_users_but_not_groups_or_periodic_tasks(admin_client):
    page = admin_client.get("/admin/").content.decode()

    assert "/admin/auth/user/" in page
    assert "/admin/auth/group/" not in page
    assert "/admin/django_celery_beat/" not in page


def test_a_password_set_in_the_admin_must_pass_the_validators(admin_client):
    target = user_create(username="reader", password="pw-for-tests", roles=["radiologist"])

    response = admin_client.post(
        f"/admin/auth/user/{target.pk}/password/",
        {"password1": "1", "password2": "1", "usable_password": "true"},
    )

    assert response.status_code == 200
    assert "too short" in response.content.decode()
    target.refresh_from_db()
    assert target.check_password("pw-for-tests")


def test_a_user_added_in_the_admin_must_have_a_password_that_passes_the_validators(
    admin_client,
):
    response = admin_client.post(
        "/admin/auth/user/add/",
        {"username": "newbie", "password1": "1", "password2": "1", "usable_password": "true"},
    )

    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()


def test_a_superuser_still_has_the_full_user_form(db):
    root = User.objects.create_superuser("root", password="pw-for-tests")
    target = user_create(username="reader", password="pw-for-tests", roles=["radiologist"])
    client = Client()
    client.force_login(root)

    page = client.get(f"/admin/auth/user/{target.pk}/change/").content.decode()

    assert 'name="is_superuser"' in page
