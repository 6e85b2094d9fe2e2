"""CPU time used by a server's processes, read from /proc: a cost that other load barely skews.

Ours is gunicorn (master and workers), the DICOM listener, and the PostgreSQL backends connected
to the benchmark database; Orthanc is one process with its SQLite index inside. PostgreSQL's
shared background processes (WAL writer, checkpointer) are left out.

A backend can end during a measurement (the listener closes its connection when an association
ends), taking its CPU count with it, so a Meter samples in the background and keeps the last
value it saw of every process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_S = 0.02


def cpu_seconds_of(pid: int) -> float | None:
    """user+system CPU seconds of a live process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()  # the fields after the command name
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def process_tree(pids: list[int]) -> list[int]:
    """The given processes and all their descendants that are alive now."""
    seen: list[int] = []
    todo = list(pids)
    while todo:
        pid = todo.pop()
        if pid not in seen and Path(f"/proc/{pid}").exists():
            seen.append(pid)
            todo += _children(pid)
    return seen


def _postmaster() -> int | None:
    for pid_file in Path("/var/run/postgresql").glob("*.pid"):
        return int(pid_file.read_text().split()[0])
    return None


def postgres_backends(database: str) -> list[int]:
    """Backends serving `database`: children of the postmaster named "postgres: ... <db> ..."."""
    postmaster = _postmaster()
    pids = []
    for pid in _children(postmaster) if postmaster else []:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if f" {database} " in cmdline:
            pids.append(pid)
    return pids


class Meter:
    """CPU used by the processes `pids()` names (asked again every few samples) while running."""

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self._pids = pids
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Meter:
        self._sample(self._pids(), first=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample(self._pids())

    @property
    def seconds(self) -> float:
        return sum(last - self._first.get(pid, 0.0) for pid, last in self._last.items())

    def _run(self) -> None:
        pids = self._pids()
        ticks = 0
        while not self._stop.wait(SAMPLE_S):
            ticks += 1
            if ticks % 10 == 0:
                pids = self._pids()
            self._sample(pids)

    def _sample(self, pids: list[int], *, first: bool = False) -> None:
        for pid in pids:
            seconds = cpu_seconds_of(pid)
            if seconds is None:
                continue
            if first:
                self._first[pid] = seconds
            self._last[pid] = seconds
