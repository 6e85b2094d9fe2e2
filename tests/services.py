"""Start the local PostgreSQL and Redis when they are down (commands from the machine's docs)."""

from __future__ import annotations

import glob
import os
import socket
import subprocess
import time

START_COMMANDS = {
    5432: "pg_ctlcluster --skip-systemctl-redirect {pg_version} main start",
    6379: (
        'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" '
        "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log"
    ),
}


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def ensure_services() -> None:
    """Start PostgreSQL and Redis if nothing listens on their ports; wait until they do."""
    versions = sorted(os.path.basename(p) for p in glob.glob("/etc/postgresql/*"))
    for port, command in START_COMMANDS.items():
        if port_open(port):
            continue
        cmd = command.format(pg_version=versions[-1] if versions else "15")
        subprocess.run(cmd, shell=True, check=False, capture_output=True)
        deadline = time.monotonic() + 60
        while not port_open(port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"service on port {port} did not start: {cmd}")
            time.sleep(0.2)
