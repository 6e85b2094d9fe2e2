"""Token authentication that accepts both `Authorization: Token …` and `Bearer …`.

DICOMweb clients (OHIF, dicomweb-client, Cornerstone loaders) send bearer tokens, and a viewer
sends one per frame, so the token's user is cached briefly (PERMISSIONS_CACHE_SECONDS). Deleting
a token or changing its user is seen at once in this process, within that time in others.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.authtoken.models import Token
from rest_framework.request import Request


def _cache_key(key: str) -> str:
    # A digest, so the token itself never sits in a cache key.
    return "accounts:token:" + hashlib.sha256(key.encode()).hexdigest()


class BearerTokenAuthentication(TokenAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        auth = get_authorization_header(request).split()
        if auth and auth[0].lower() == b"bearer":
            self.keyword = "Bearer"
        else:
            self.keyword = "Token"
        return super().authenticate(request)

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        cached = cache.get(_cache_key(key))
        if cached is None:
            user, token = super().authenticate_credentials(key)
            cache.set(_cache_key(key), (user, token), settings.PERMISSIONS_CACHE_SECONDS)
            return user, token
        user, token = cached
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


@receiver(post_delete, sender=Token)
@receiver(post_save, sender=Token)
def _token_changed(instance: Token, **_: Any) -> None:
    cache.delete(_cache_key(instance.key))


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def _user_changed(instance: User, **_: Any) -> None:
    keys = Token.objects.filter(user_id=instance.pk).values_list("key", flat=True)
    cache.delete_many([_cache_key(key) for key in keys])
