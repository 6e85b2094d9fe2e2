"""Who may see and work the worklist; roles grant these permissions (accounts.roles)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.permissions import user_has_perm


class CanViewWorklist(BasePermission):
    """The worklist shows patient data and findings: radiologists, reviewers and admins."""

    message = "Your role may not see the worklist."

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_has_perm(request.user, "triage.view_worklistentry")


class CanReadStudies(BasePermission):
    """Opening a study to report and marking it read: radiologists."""

    message = "Your role may not read studies."

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_has_perm(request.user, "triage.change_worklistentry")
