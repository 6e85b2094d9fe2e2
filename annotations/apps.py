from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Annotations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Migration 0003 seeds version 1 of each task's schema; this keeps it there for a task
        # registered later and after a flush (which empties tables but re-sends post_migrate).
        post_migrate.connect(_label_schemas_ensure, dispatch_uid="annotations.label_schemas_ensure")


def _label_schemas_ensure(*, apps: Any = None, **_: Any) -> None:
    """post_migrate: seed with the migrated state's model (migrate passes `apps`; flush does
    not, and leaves every table there), and not at all when a partial migrate (e.g. to an
    earlier migration of another app) left the table uncreated."""
    from annotations.services.schema import label_schemas_ensure

    try:
        model = (apps or global_apps).get_model("annotations", "LabelSchema")
    except LookupError:
        return
    label_schemas_ensure(schema_model=model)
