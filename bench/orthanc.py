"""Orthanc inside a network namespace that has only loopback, so it cannot be reached from outside.

Orthanc cannot bind to 127.0.0.1 only, so it binds 0.0.0.0 in namespace `bench`, where the only
interface is lo. Its clients run in the same namespace through `ip netns exec`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NETNS = "bench"
PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
AE_TITLE = "ORTHANC"


def netns_prefix() -> list[str]:
    return ["ip", "netns", "exec", NETNS]


def netns_ensure() -> None:
    """Create namespace `bench` with loopback up; it has no other interface."""
    existing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    if NETNS not in existing.stdout.split():
        subprocess.run(["ip", "netns", "add", NETNS], check=True)
    subprocess.run([*netns_prefix(), "ip", "link", "set", "lo", "up"], check=True)
    links = subprocess.run(
        [*netns_prefix(), "ip", "-o", "link"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    if len(links) != 1 or ": lo:" not in links[0]:
        raise RuntimeError(f"namespace {NETNS} must hold only loopback, has: {links}")


@dataclass
class Orthanc:
    work: Path
    http_port: int = 8042
    dicom_port: int = 4242
    process: subprocess.Popen[bytes] | None = None

    @property
    def dicomweb_root(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/dicom-web"

    @property
    def rest_root(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def config(self) -> dict[str, object]:
        return {
            "Name": "bench",
            "StorageDirectory": str(self.work / "storage"),
            "IndexDirectory": str(self.work / "index"),
            "HttpPort": self.http_port,
            "DicomPort": self.dicom_port,
            "DicomAet": AE_TITLE,
            # Remote access only inside the loopback-only namespace.
            "RemoteAccessAllowed": True,
            "AuthenticationEnabled": False,
            "Plugins": [PLUGIN],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
        }

    def start(self) -> None:
        """Start a fresh Orthanc (empty storage and index) and wait until it answers."""
        netns_ensure()
        self._wait_gone()
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        config = self.work / "config.json"
        config.write_text(json.dumps(self.config(), indent=2))
        log = (self.work / "orthanc.log").open("wb")
        # DCMTK (which Orthanc's DICOM server uses) leaves Nagle on unless TCP_NODELAY=1; with it
        # on, each C-STORE waits out a delayed ACK (~40 ms). storescu gets the same setting.
        env = {**os.environ, "TCP_NODELAY": "1"}
        self.process = subprocess.Popen(
            [*netns_prefix(), "Orthanc", str(config)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"Orthanc exited; see {self.work / 'orthanc.log'}")
            if self._probe("/system") is not None:
                return
            time.sleep(0.5)
        raise RuntimeError("Orthanc did not become ready")

    def _wait_gone(self, timeout: float = 30) -> None:
        """An Orthanc from an earlier run may still be shutting down on the same ports."""
        deadline = time.monotonic() + timeout
        while self._probe("/system") is not None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"something already answers on port {self.http_port} in netns")
            time.sleep(0.5)

    def _probe(self, path: str) -> dict[str, Any] | None:
        """GET a REST path from inside the namespace (this process lives outside it)."""
        result = subprocess.run(
            [*netns_prefix(), "curl", "-sf", "--max-time", "10", f"{self.rest_root}{path}"],
            capture_output=True,
            text=True,
        )
        return json.loads(result.stdout) if result.returncode == 0 else None

    def statistics(self) -> dict[str, int]:
        """Orthanc's counts: CountPatients, CountStudies, CountSeries, CountInstances."""
        stats = self._probe("/statistics")
        if stats is None:
            raise RuntimeError("Orthanc /statistics failed")
        return {k: int(v) for k, v in stats.items() if k.startswith("Count")}

    def versions(self) -> dict[str, str]:
        system = self._probe("/system") or {}
        plugin = self._probe("/plugins/dicom-web") or {}
        return {
            "orthanc": str(system.get("Version")),
            "dicomweb_plugin": str(plugin.get("Version")),
        }

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
