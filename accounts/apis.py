"""HTTP API for the logged-in user."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.preferences import preferences_get, preferences_shortcuts_set
from accounts.services import token_create, token_list, token_revoke


class MeApi(APIView):
    """Who am I: the user name and the roles (group names) the front end shows and adapts to."""

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        roles = serializers.ListField(child=serializers.CharField())

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        user = request.user
        roles = sorted(user.groups.values_list("name", flat=True))
        data = self.OutputSerializer({"username": user.get_username(), "roles": roles}).data
        return Response(data)


class PreferencesApi(APIView):
    """The user's own preferences: keyboard shortcuts they changed from the defaults."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        shortcuts = serializers.DictField(
            child=serializers.CharField(max_length=32),
            help_text="action name to key, only those changed from the defaults",
        )

    class OutputSerializer(serializers.Serializer):
        shortcuts = serializers.DictField(child=serializers.CharField())

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        return Response({"shortcuts": preferences_get(user=_signed_in(request)).shortcuts})

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def put(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        preferences = preferences_shortcuts_set(
            user=_signed_in(request), shortcuts=body.validated_data["shortcuts"]
        )
        return Response({"shortcuts": preferences.shortcuts})


class TokenOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="the token's first characters, to tell it apart")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True, help_text="to within a minute")
    expires_at = serializers.DateTimeField(allow_null=True)


class MeTokensApi(APIView):
    """The user's own API tokens: list them (never their text) or issue one (shown once)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100, allow_blank=True, default="")
        expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    class CreatedSerializer(TokenOutputSerializer):
        token = serializers.CharField(help_text="shown this once: it is stored as a digest only")

    @extend_schema(responses=TokenOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        tokens = token_list(user=_signed_in(request))
        return Response(TokenOutputSerializer(tokens, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: CreatedSerializer})
    def post(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        token, text = token_create(user=_signed_in(request), **body.validated_data)
        data = self.CreatedSerializer({**TokenOutputSerializer(token).data, "token": text}).data
        return Response(data, status=201)


class MeTokenRevokeApi(APIView):
    """DELETE /api/me/tokens/<id>: revoke one of the user's own tokens (404 for anyone else's)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, token_id: int) -> Response:
        token = get_object_or_404(token_list(user=_signed_in(request)), pk=token_id)
        token_revoke(token=token)
        return Response(status=204)


def _signed_in(request: Request) -> User:
    """The request's user, for views whose permission (IsAuthenticated) rules out anonymous."""
    return cast(User, request.user)
