"""Django's admin for users and API tokens, as the product's `admin` role may use it.

The admin role manages people and their roles; Django's superuser powers stay out of its reach.
A staff user who is not a superuser edits users without the is_superuser, is_staff and
user_permissions fields (a POST carrying them is ignored: the form has no such fields), gives
only the product's roles (accounts/roles.py) as groups, and neither sees nor changes superusers.
Groups and django_celery_beat's periodic tasks have no permission in any role, so they stay
superuser-only. Passwords set here go through AUTH_PASSWORD_VALIDATORS (Django's forms run them).

API tokens are listed by prefix, name and dates and can be revoked; their text is stored nowhere,
so no page can show it. They are issued by `manage.py create_token` or /api/me/tokens, not here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from accounts.models import ApiToken
from accounts.roles import ADMIN, ROLES
from accounts.services import token_revoke

# What a staff user who is not a superuser may edit on a user.
_ROLE_FIELDSETS = (
    (None, {"fields": ("username", "password")}),
    ("Personal info", {"fields": ("first_name", "last_name", "email")}),
    ("Access", {"fields": ("is_active", "groups")}),
    ("Important dates", {"fields": ("last_login", "date_joined")}),
)


class ProductUserAdmin(UserAdmin):
    """Users for the admin role: product roles only, no superuser, staff or permission fields."""

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser or obj is None:  # adding: user name and password only
            return super().get_fieldsets(request, obj)
        return _ROLE_FIELDSETS

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ("last_login", "date_joined")

    def get_list_filter(self, request: HttpRequest) -> Any:
        if request.user.is_superuser:
            return super().get_list_filter(request)
        return ("is_active", "groups")

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        users: QuerySet[User] = super().get_queryset(request)
        if request.user.is_superuser:
            return users
        # Not listed, and their change, password and delete pages answer "does not exist".
        return users.filter(is_superuser=False)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "groups" and not request.user.is_superuser:
            # The choices are also what the form accepts: another group's id is refused.
            kwargs["queryset"] = Group.objects.filter(name__in=ROLES).order_by("name")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: Any, change: Any
    ) -> None:
        super().save_related(request, form, formsets, change)
        user = form.instance
        if request.user.is_superuser or user.is_superuser:
            return
        # Admin site access follows the admin role, as `manage.py create_user` sets it.
        is_staff = user.groups.filter(name=ADMIN).exists()
        if user.is_staff != is_staff:
            user.is_staff = is_staff
            user.save(update_fields=["is_staff"])


admin.site.unregister(User)
admin.site.register(User, ProductUserAdmin)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "prefix",
        "name",
        "user",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "user__username")
    readonly_fields = list_display
    fields = list_display
    actions = ["revoke"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        tokens: QuerySet[ApiToken] = super().get_queryset(request).select_related("user")
        if request.user.is_superuser:
            return tokens
        return tokens.filter(user__is_superuser=False)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a token is shown once, where it is issued: the command or the API

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(token=token)
