"""HTTP API for the logged-in user."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class MeApi(APIView):
    """Who am I: the user name and the roles (group names) the front end shows and adapts to."""

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        roles = serializers.ListField(child=serializers.CharField())

    def get(self, request: Request) -> Response:
        user = request.user
        roles = sorted(user.groups.values_list("name", flat=True))
        data = self.OutputSerializer({"username": user.get_username(), "roles": roles}).data
        return Response(data)
