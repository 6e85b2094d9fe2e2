"""Who may do what with the archive; roles grant these permissions (accounts.roles)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.permissions import user_has_perm


class CanReadArchive(BasePermission):
    """QIDO-RS and WADO-RS show patient data: radiologists, reviewers and admins."""

    message = "Your role may not read the archive."

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_has_perm(request.user, "archive.view_instance")


class CanStoreInstances(BasePermission):
    """STOW-RS: admins and modality (sender) accounts."""

    message = "Your role may not store instances."

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_has_perm(request.user, "archive.add_instance")
