"""HTTP API for the logged-in user."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.preferences import preferences_get, preferences_shortcuts_set


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
        return Response({"shortcuts": preferences_get(user=request.user).shortcuts})

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def put(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        preferences = preferences_shortcuts_set(
            user=request.user, shortcuts=body.validated_data["shortcuts"]
        )
        return Response({"shortcuts": preferences.shortcuts})
