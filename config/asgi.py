"""ASGI entry point: gunicorn with uvicorn workers (`-k uvicorn_worker.UvicornWorker`).

The web server is ASGI so that the worklist's live updates (long-lived Server-Sent Events
streams) cost a coroutine each, not a thread.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()
