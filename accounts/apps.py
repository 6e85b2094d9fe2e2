from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Cache invalidation receivers; the token's OpenAPI description (drf-spectacular).
        from accounts import authentication, permissions, schema  # noqa: F401
        from accounts.roles import roles_ensure

        # Permissions exist only after every app has migrated, so roles are synced then.
        post_migrate.connect(roles_ensure, dispatch_uid="accounts.roles_ensure")
