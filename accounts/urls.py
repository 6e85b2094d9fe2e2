"""Account URLs under /api/."""

from __future__ import annotations

from django.urls import path

from accounts.apis import MeApi, MeTokenRevokeApi, MeTokensApi, PreferencesApi

urlpatterns = [
    path("me", MeApi.as_view(), name="me"),
    path("me/preferences", PreferencesApi.as_view(), name="me-preferences"),
    path("me/tokens", MeTokensApi.as_view(), name="me-tokens"),
    path("me/tokens/<int:token_id>", MeTokenRevokeApi.as_view(), name="me-token"),
]
