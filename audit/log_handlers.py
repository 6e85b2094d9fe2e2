"""The handler of the `audit.events` logger, chosen by AUDIT_LOG_TARGET (used from LOGGING,
before apps load, so standard library only)."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path


def audit_handler(target: str) -> logging.Handler:
    """`file:<path>` (a WatchedFileHandler, so logrotate can move the file), `stdout`,
    `syslog:/dev/log` or `syslog:<host>:<port>` (UDP)."""
    kind, _, rest = target.partition(":")
    if kind == "file" and rest:
        return _file_handler(Path(rest))
    if kind == "stdout":
        return logging.StreamHandler(sys.stdout)
    if kind == "syslog" and rest:
        if rest.startswith("/"):
            return logging.handlers.SysLogHandler(address=rest)
        host, _, port = rest.rpartition(":")
        if host and port.isdigit():
            return logging.handlers.SysLogHandler(address=(host, int(port)))
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"AUDIT_LOG_TARGET={target!r}: use file:<path>, stdout, syslog:/dev/log or "
        "syslog:<host>:<port>"
    )


def _file_handler(path: Path) -> logging.Handler:
    # The directory and file are the owner's only: the lines name patients.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    return logging.handlers.WatchedFileHandler(path, encoding="utf-8")
