"""Creating users in roles and issuing API tokens."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.roles import ROLES, roles_ensure


@transaction.atomic
def user_create(*, username: str, password: str | None, roles: list[str], email: str = "") -> User:
    """Create (or update) a user in the given roles. A None password leaves login by token only."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ValueError(f"unknown role(s) {', '.join(unknown)}; choose from {', '.join(ROLES)}")
    roles_ensure()
    user, _ = User.objects.get_or_create(username=username, defaults={"email": email})
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.is_staff = "admin" in roles
    user.full_clean()
    user.save()
    user.groups.set(Group.objects.filter(name__in=roles))
    return user


def token_issue(*, username: str, rotate: bool = False) -> str:
    """Return the user's API token, creating it (or replacing it when rotate) as needed."""
    user = User.objects.get(username=username)
    if rotate:
        Token.objects.filter(user=user).delete()
    token, _ = Token.objects.get_or_create(user=user)
    return token.key
