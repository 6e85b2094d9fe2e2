from django.apps import AppConfig
from django.db.backends.signals import connection_created


class ProjectConfig(AppConfig):
    """The project's own wiring that needs the app registry (see config/db_pool.py,
    config/security.py)."""

    name = "config"
    verbose_name = "Project"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from config.db_pool import pool_recovery_install
        from config.security import session_clocks_start

        connection_created.connect(pool_recovery_install, dispatch_uid="config.pool_recovery")
        user_logged_in.connect(session_clocks_start, dispatch_uid="config.session_clocks")
