"""API token authentication that accepts both `Authorization: Token …` and `Bearer …`.

Tokens are looked up by their SHA-256 digest (accounts.models.ApiToken). DICOMweb clients (OHIF,
dicomweb-client, Cornerstone loaders) send bearer tokens, and a viewer sends one per frame, so the
token and its user are cached briefly (PERMISSIONS_CACHE_SECONDS) under the digest. Revoking or
deleting a token, or changing its user, is seen at once in this process, within that time in
others; expiry is checked on every request. The time of last use is written at most once a
minute per token, not on every request.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from accounts.models import ApiToken
from accounts.services import token_digest

KEYWORDS = (b"bearer", b"token")
LAST_USED_EVERY = dt.timedelta(minutes=1)


def _cache_key(digest: str) -> str:
    # The digest, so the token itself never sits in a cache key.
    return "accounts:token:" + digest


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: HttpRequest) -> tuple[Any, ApiToken] | None:  # type: ignore[override]
        header = request.META.get("HTTP_AUTHORIZATION", b"")
        if isinstance(header, str):
            header = header.encode("iso-8859-1")  # as DRF's get_authorization_header
        auth = header.split()
        if not auth or auth[0].lower() not in KEYWORDS:
            return None
        if len(auth) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header: one token, no spaces.")
        try:
            text = auth[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token header.") from exc
        return self.authenticate_credentials(text)

    def authenticate_credentials(self, text: str) -> tuple[Any, ApiToken]:
        digest = token_digest(text)
        cached = cache.get(_cache_key(digest))
        if cached is None:
            token = ApiToken.objects.select_related("user").filter(digest=digest).first()
            if token is None:
                raise exceptions.AuthenticationFailed("Invalid token.")
            cached = (token.user, token)
            cache.set(_cache_key(digest), cached, settings.PERMISSIONS_CACHE_SECONDS)
        user, token = cached
        now = timezone.now()
        if not token.is_usable(now):
            raise exceptions.AuthenticationFailed("Token revoked or expired.")
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if token.last_used_at is None or token.last_used_at < now - LAST_USED_EVERY:
            _note_use(token, now)
        return user, token

    def authenticate_header(self, request: HttpRequest) -> str:  # type: ignore[override]
        return 'Bearer realm="api"'


def _used_key(digest: str) -> str:
    return "accounts:token-used:" + digest


def _note_use(token: ApiToken, now: dt.datetime) -> None:
    """Record the use at most once a minute per process (the cached row may be older than the
    write), and not at all when another process did within the minute: a conditional UPDATE."""
    if not cache.add(_used_key(token.digest), True, LAST_USED_EVERY.total_seconds()):
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_EVERY)
    ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)


@receiver(post_delete, sender=ApiToken)
@receiver(post_save, sender=ApiToken)
def _token_changed(instance: ApiToken, **_: Any) -> None:
    cache.delete_many([_cache_key(instance.digest), _used_key(instance.digest)])


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def _user_changed(instance: User, **_: Any) -> None:
    digests = ApiToken.objects.filter(user_id=instance.pk).values_list("digest", flat=True)
    cache.delete_many([_cache_key(digest) for digest in digests])
