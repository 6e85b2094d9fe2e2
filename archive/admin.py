"""Django's admin for the DICOM devices the listener admits (the `admin` role's model permissions).

Saving and deleting go through the model's validation like `manage.py dicom_devices`, and each
change is audited as a Security Alert / Network Configuration event.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from archive.models import DicomDevice
from archive.services.devices import device_changed_audit


@admin.register(DicomDevice)
class DicomDeviceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "ae_title",
        "host",
        "port",
        "enabled",
        "may_store",
        "may_query",
        "may_retrieve",
        "is_move_destination",
        "description",
    )
    list_filter = ("enabled", "may_store", "may_query", "may_retrieve", "is_move_destination")
    search_fields = ("ae_title", "host", "description")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("ae_title", "description", "enabled")}),
        ("Network", {"fields": ("host", "port")}),
        ("May", {"fields": ("may_store", "may_query", "may_retrieve", "is_move_destination")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )

    def save_model(
        self, request: HttpRequest, obj: DicomDevice, form: ModelForm[Any], change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        device_changed_audit(
            device=obj,
            action="U" if change else "C",
            user=request.user,
            changed=sorted(form.changed_data),
        )

    def delete_model(self, request: HttpRequest, obj: DicomDevice) -> None:
        device_changed_audit(device=obj, action="D", user=request.user, changed=[])
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[DicomDevice]) -> None:
        for device in queryset:
            device_changed_audit(device=device, action="D", user=request.user, changed=[])
        super().delete_queryset(request, queryset)
