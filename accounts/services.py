"""Creating users in roles and issuing API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiToken
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


def token_digest(text: str) -> str:
    """The digest a token is stored and looked up by (accounts.models.ApiToken says why SHA-256)."""
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def token_create(
    *, user: User, name: str = "", expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a new token for `user`; returns the row and the token's text, which is stored
    nowhere: show it to the user now, it cannot be read back. The user's other tokens stay."""
    text = secrets.token_urlsafe(32)  # 256 random bits, 43 URL-safe characters
    token = ApiToken(
        user=user, name=name, prefix=text[:8], digest=token_digest(text), expires_at=expires_at
    )
    token.full_clean()
    token.save()
    return token, text


def token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's tokens that are not revoked, newest first (expired ones included)."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at")


def token_revoke(*, token: ApiToken) -> None:
    """Refuse the token from now on: at once in this process, within PERMISSIONS_CACHE_SECONDS
    in others (accounts/authentication.py)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


@transaction.atomic
def token_issue(*, username: str, rotate: bool = False, name: str = "") -> str:
    """Issue a new API token for the user and return its text (shown once, stored as a digest).

    With rotate, the user's other tokens are revoked first. Raises User.DoesNotExist.
    """
    user = User.objects.get(username=username)
    if rotate:
        for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
            token_revoke(token=token)
    _token, text = token_create(user=user, name=name)
    return text
