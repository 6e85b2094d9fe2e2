"""Account URLs under /api/."""

from __future__ import annotations

from django.urls import path

from accounts.apis import MeApi, PreferencesApi

urlpatterns = [
    path("me", MeApi.as_view(), name="me"),
    path("me/preferences", PreferencesApi.as_view(), name="me-preferences"),
]
