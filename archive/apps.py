import logging

from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import pydicom  # pydicom sets its logger's level on import

        # pydicom logs every decoder failure with a traceback; ingest reports them as refusals
        # with their reason, so the traceback is noise (and could carry header values).
        logging.getLogger("pydicom").setLevel(logging.CRITICAL)
        # Real files bend value rules in attributes the archive only keeps and passes on (a
        # referenced UID with a leading zero, say): pydicom would warn on the console each time
        # such a value is read. The archive keeps them as sent and checks the attributes it
        # relies on itself (archive/dicom/parse.py), refusing a file with the reason.
        pydicom.config.settings.reading_validation_mode = pydicom.config.IGNORE
