"""Token authentication that accepts both `Authorization: Token …` and `Bearer …`.

DICOMweb clients (OHIF, dicomweb-client, Cornerstone loaders) send bearer tokens.
"""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.request import Request


class BearerTokenAuthentication(TokenAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        auth = get_authorization_header(request).split()
        if auth and auth[0].lower() == b"bearer":
            self.keyword = "Bearer"
        else:
            self.keyword = "Token"
        return super().authenticate(request)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
