"""Per-user settings that follow a user to any workstation, and users' API tokens."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone


class UserPreferences(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    # Keyboard shortcuts the user changed: {action id: key}; defaults live in the front end.
    shortcuts = models.JSONField(default=dict)

    class Meta:
        verbose_name_plural = "user preferences"

    def __str__(self) -> str:
        return f"Preferences of user {self.user_id}"


class ApiToken(models.Model):
    """An API token, kept as the SHA-256 digest of its text: the text is shown once, when issued.

    A token is 256 random bits, so a fast hash is enough: nobody can guess one to test against a
    stolen digest, and a slow, salted password hash would only cost every request its time. The
    digest's unique index is what a request looks the token up by.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True, help_text="what the token is for")
    # The token's first characters: enough to tell a user's tokens apart, useless to guess with.
    prefix = models.CharField(max_length=8)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Written at most once a minute (accounts/authentication.py), not on every request.
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or 'unnamed'})"

    def is_usable(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
