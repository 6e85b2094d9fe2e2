"""ASGI entry point: gunicorn with uvicorn workers (`-k uvicorn_worker.UvicornWorker`).

The web server is ASGI so that the worklist's live updates (long-lived Server-Sent Events
streams) cost a coroutine each, not a thread.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()

# Parts a killed worker of this server left spooled are removed when a worker starts (the
# storage sweep removes them too, where the worker host shares this folder).
from django.conf import settings  # noqa: E402

from archive.services.storage_sweep import temp_files_sweep  # noqa: E402

temp_files_sweep(grace_seconds=settings.ARCHIVE_ORPHAN_GRACE_SECONDS)
