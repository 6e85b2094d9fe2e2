"""A user's preferences (keyboard shortcuts): read and replace, validated here."""

from __future__ import annotations

import re

from django.contrib.auth.models import User

from accounts.models import UserPreferences
from config.errors import DomainError

# Action ids are the front end's ("worklist.nextUrgent"); keys are KeyboardEvent.key values with
# optional modifiers ("Shift+N"). The server checks the shape; the front end knows the actions.
ACTION_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,63}$")
MAX_KEY_LENGTH = 32
MAX_SHORTCUTS = 100


def preferences_get(*, user: User) -> UserPreferences:
    preferences, _created = UserPreferences.objects.get_or_create(user=user)
    return preferences


def preferences_shortcuts_set(*, user: User, shortcuts: dict[str, str]) -> UserPreferences:
    """Replace the user's shortcut choices; DomainError names the first bad entry."""
    if len(shortcuts) > MAX_SHORTCUTS:
        raise DomainError(f"At most {MAX_SHORTCUTS} shortcuts can be set.")
    for action, key in shortcuts.items():
        if not ACTION_ID.match(action):
            raise DomainError(f"{action!r} is not a shortcut action.")
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise DomainError(f"The key for {action} must be 1 to {MAX_KEY_LENGTH} characters.")
    preferences = preferences_get(user=user)
    preferences.shortcuts = shortcuts
    preferences.save(update_fields=["shortcuts"])
    return preferences
