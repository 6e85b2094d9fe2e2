"""Per-user settings that follow a user to any workstation."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
