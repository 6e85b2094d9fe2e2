"""Creating users in roles and issuing API tokens."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.roles import ROLES, roles_ensure
from config.errors import DomainError


class PasswordRejected(DomainError):
    """The password fails the site's AUTH_PASSWORD_VALIDATORS; the message lists every reason."""

    code = "password_rejected"


@transaction.atomic
def user_create(*, username: str, password: str | None, roles: list[str], email: str = "") -> User:
    """Create (or update) a user in the given roles. A None password leaves login by token only.

    A password must pass AUTH_PASSWORD_VALIDATORS (checked against the user's own name and
    e-mail), else PasswordRejected and nothing is saved.
    """
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ValueError(f"unknown role(s) {', '.join(unknown)}; choose from {', '.join(ROLES)}")
    user = User.objects.filter(username=username).first() or User(username=username, email=email)
    if password:
        password_check(password=password, user=user)
    roles_ensure()
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.is_staff = "admin" in roles
    user.full_clean()
    user.save()
    user.groups.set(Group.objects.filter(name__in=roles))
    return user


def password_check(*, password: str, user: User | None = None) -> None:
    """Raise PasswordRejected unless `password` passes AUTH_PASSWORD_VALIDATORS for `user`."""
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise PasswordRejected(
            "password rejected: " + " ".join(exc.messages), {"reasons": exc.messages}
        ) from exc


def token_issue(*, username: str, rotate: bool = False) -> str:
    """Return the user's API token, creating it (or replacing it when rotate) as needed."""
    user = User.objects.get(username=username)
    if rotate:
        Token.objects.filter(user=user).delete()
    token, _ = Token.objects.get_or_create(user=user)
    return token.key
