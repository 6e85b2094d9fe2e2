"""Who may do what with the archive; roles grant these permissions (accounts.roles)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class CanReadArchive(BasePermission):
    """QIDO-RS and WADO-RS show patient data: radiologists, reviewers and admins."""

    message = "Your role may not read the archive."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("archive.view_instance"))


class CanStoreInstances(BasePermission):
    """STOW-RS: admins and modality (sender) accounts."""

    message = "Your role may not store instances."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("archive.add_instance"))
