"""manage.py dicom_listener: run the DICOM listener (C-ECHO, C-STORE, C-FIND, C-MOVE, C-GET)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from archive.dimse.listener import listener_start, listener_stop
from archive.services.storage_sweep import temp_files_sweep


class Command(BaseCommand):
    help = (
        "Run the DICOM listener (C-ECHO, C-STORE, C-FIND, C-MOVE and C-GET SCP) in the "
        "foreground. It admits the known devices only (manage.py dicom_devices), accepts every "
        "storage SOP class in every transfer syntax and stores instances as received. "
        "AE title, bind address and port come from DICOM_AE_TITLE, DICOM_BIND_ADDRESS and "
        "DICOM_PORT. SIGINT or SIGTERM stops accepting, lets open associations finish (up to "
        "--grace seconds) and exits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, help=f"TCP port (default {settings.DICOM_PORT})")
        parser.add_argument(
            "--bind", help=f"address to listen on (default {settings.DICOM_BIND_ADDRESS})"
        )
        parser.add_argument(
            "--ae-title", help=f"this listener's AE title (default {settings.DICOM_AE_TITLE})"
        )
        parser.add_argument(
            "--grace", type=float, default=30.0, help="seconds open associations get to finish"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Data sets a killed listener left spooled; the storage sweep removes them too.
        temp_files_sweep(grace_seconds=settings.ARCHIVE_ORPHAN_GRACE_SECONDS)
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        server = listener_start(
            port=options["port"], bind_address=options["bind"], ae_title=options["ae_title"]
        )
        host, port = server.server_address[:2]
        self.stdout.write(f"DICOM listener {server.ae.ae_title} on {host}:{port}; Ctrl-C stops it")
        self.stdout.flush()
        while not stop.wait(0.5):
            pass
        self.stdout.write("Stopping the DICOM listener")
        listener_stop(server, grace_seconds=options["grace"])
