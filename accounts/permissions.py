"""A user's permissions, cached briefly: every DICOMweb request checks one, and asking the
database each time costs two queries per request (user and group permissions).

A change of roles is seen at once in this process and within PERMISSIONS_CACHE_SECONDS elsewhere.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, User
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


def _key(user_id: int) -> str:
    return f"accounts:perms:{user_id}"


def user_has_perm(user: AbstractBaseUser | AnonymousUser, perm: str) -> bool:
    """Like `user.has_perm(perm)` for active users, from a short-lived cache."""
    if not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_superuser", False):
        return True
    perms = cache.get(_key(user.pk))
    if perms is None:
        for stale in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
            user.__dict__.pop(stale, None)  # ModelBackend's per-object copy
        perms = frozenset(user.get_all_permissions())  # type: ignore[attr-defined]
        cache.set(_key(user.pk), perms, settings.PERMISSIONS_CACHE_SECONDS)
    return perm in perms


def permissions_forget(*, user_ids: list[int]) -> None:
    cache.delete_many([_key(pk) for pk in user_ids])


@receiver(m2m_changed, sender=User.groups.through)
@receiver(m2m_changed, sender=User.user_permissions.through)
@receiver(m2m_changed, sender=Group.permissions.through)
def _rights_changed(sender: Any, instance: Any, pk_set: set[int] | None, **_: Any) -> None:
    """Forget the users whose rights a membership or permission change touches.

    Runs on the pre_ and post_ signals alike: before a removal or clear the group still lists
    the users who lose access; after an addition pk_set names the users who gain it.
    """
    if isinstance(instance, User):
        permissions_forget(user_ids=[instance.pk])
        return
    user_ids = set(instance.user_set.values_list("pk", flat=True))
    if sender is User.groups.through and pk_set:
        user_ids |= pk_set  # changed from the group's side: pk_set holds user ids
    permissions_forget(user_ids=list(user_ids))


@receiver(post_save, sender=User)
def _user_saved(instance: User, **_: Any) -> None:
    permissions_forget(user_ids=[instance.pk])


# The OpenAPI schema maps every API a sending device or an annotator could probe, so it is for
# those who manage accounts and hand out API tokens: the admin role's own permission (no other
# role holds it; accounts/roles.py).
SCHEMA_PERMISSION = "auth.change_user"


class ReadsApiSchema(BasePermission):
    """DRF permission of /api/schema/ (SPECTACULAR_SETTINGS SERVE_PERMISSIONS): admins only."""

    message = "The API schema is for administrators."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return user_has_perm(request.user, SCHEMA_PERMISSION)
