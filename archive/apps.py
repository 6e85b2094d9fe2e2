import logging

from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import pydicom  # noqa: F401 - pydicom sets its logger's level on import

        # pydicom logs every decoder failure with a traceback; ingest reports them as refusals
        # with their reason, so the traceback is noise (and could carry header values).
        logging.getLogger("pydicom").setLevel(logging.CRITICAL)
