"""Django admin: model versions are shown read-only (they are immutable); audit entries too."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ml.models import ModelAuditEntry, ModelVersion


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["task", "version", "is_active", "threshold", "created_at", "load_error"]
    list_filter = ["task", "is_active"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ModelAuditEntry)
class ModelAuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "version", "action", "actor"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
