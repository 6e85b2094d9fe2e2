from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Annotations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from annotations.services.schema import label_schemas_ensure

        # Migration 0003 seeds version 1 of each task's schema; this keeps it there for a task
        # registered later and after a flush (which empties tables but re-sends post_migrate).
        post_migrate.connect(label_schemas_ensure, dispatch_uid="annotations.label_schemas_ensure")
