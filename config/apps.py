from django.apps import AppConfig
from django.db.backends.signals import connection_created


class ProjectConfig(AppConfig):
    """The project's own wiring that needs the app registry (see config/db_pool.py)."""

    name = "config"
    verbose_name = "Project"

    def ready(self) -> None:
        from config.db_pool import pool_recovery_install

        connection_created.connect(pool_recovery_install, dispatch_uid="config.pool_recovery")
