"""Users, roles and tokens as an admin sets them up from the command line."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from accounts.roles import ROLES


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_create_user_puts_the_user_in_its_roles_and_prints_a_working_token(client):
    output = run(
        "create_user", "dr-house", "--role", "radiologist", "--password", "s3cret-pass", "--token"
    )

    token = output.strip().splitlines()[-1]
    user = User.objects.get(username="dr-house")
    assert list(user.groups.values_list("name", flat=True)) == ["radiologist"]
    assert user.check_password("s3cret-pass")
    assert user.has_perm("archive.view_instance") and not user.has_perm("archive.add_instance")
    response = client.get("/dicomweb/studies", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_token_only_account_cannot_log_in_with_a_password():
    run("create_user", "ct-scanner", "--role", "modality", "--no-password")

    assert not User.objects.get(username="ct-scanner").has_usable_password()


@pytest.mark.django_db
def test_create_token_issues_a_new_token_each_time_and_rotate_revokes_the_others(client):
    run("create_user", "pacs", "--role", "modality", "--no-password")
    first = run("create_token", "pacs").strip()
    second = run("create_token", "pacs").strip()
    both_work = [
        client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code
        for token in (first, second)
    ]

    third = run("create_token", "pacs", "--rotate").strip()

    assert first != second and both_work == [200, 200]  # a token cannot be read back
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 401
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {third}").status_code == 200


@pytest.mark.django_db
def test_create_token_for_an_unknown_user_says_so():
    with pytest.raises(CommandError, match="no user named"):
        run("create_token", "nobody")


@pytest.mark.django_db
def test_every_role_exists_after_migrate():
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)


@pytest.mark.django_db
def test_a_wrong_token_is_refused(client):
    response = client.get("/dicomweb/studies", HTTP_AUTHORIZATION="Bearer not-a-token")

    assert response.status_code == 401


@pytest.mark.django_db
def test_create_user_refuses_a_password_the_validators_reject_and_saves_nothing():
    # CommandError: manage.py prints it on stderr and exits with status 1.
    with pytest.raises(CommandError, match="password rejected: This password is too short"):
        run("create_user", "weak", "--role", "radiologist", "--password", "x")

    assert not User.objects.filter(username="weak").exists()


@pytest.mark.django_db
def test_create_user_refuses_a_common_password_for_an_existing_user_and_keeps_the_old_one():
    run("create_user", "dr-house", "--role", "radiologist", "--password", "s3cret-pass")

    with pytest.raises(CommandError, match="too common"):
        run("create_user", "dr-house", "--role", "radiologist", "--password", "password123")

    assert User.objects.get(username="dr-house").check_password("s3cret-pass")


@pytest.mark.django_db
def test_the_demo_account_of_scripts_run_passes_the_validators():
    # scripts/run: create_user demo --role radiologist --role admin --password triage-demo
    run(
        "create_user",
        "demo",
        "--role",
        "radiologist",
        "--role",
        "admin",
        "--password",
        "triage-demo",
    )

    assert User.objects.get(username="demo").check_password("triage-demo")


@pytest.mark.django_db
def test_create_user_refuses_the_password_1_with_every_reason():
    with pytest.raises(CommandError) as refused:
        run("create_user", "weak", "--role", "radiologist", "--password", "1")

    message = str(refused.value)
    assert "too short" in message and "too common" in message and "entirely numeric" in message
    assert not User.objects.filter(username="weak").exists()


@pytest.mark.django_db
def test_a_password_too_like_the_user_name_is_refused():
    with pytest.raises(CommandError, match="too similar to the username"):
        run(
            "create_user",
            "radiologist-smith",
            "--role",
            "radiologist",
            "--password",
            "smith-radiologist",
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username", ["demo", "annotator", "annotator2", "reviewer", "radiologist-user"]
)
def test_the_demo_and_test_passwords_pass_for_every_account_that_uses_them(username):
    for password in ("triage-demo", "pw-for-tests"):
        run("create_user", username, "--role", "radiologist", "--password", password)

        assert User.objects.get(username=username).check_password(password)
