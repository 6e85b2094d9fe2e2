"""CPU time used by a server's processes, read from /proc: a cost that other load barely skews.

Ours is gunicorn (master and workers), the DICOM listener, and the PostgreSQL backends connected
to the benchmark database; Orthanc is one process with its SQLite index inside. PostgreSQL's
shared background processes (WAL writer, checkpointer) are left out.
"""

from __future__ import annotations

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # fields after the command name, from "state"


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


def postgres_backends(database: str) -> list[int]:
    """PostgreSQL backend processes serving `database` ("postgres: <ver>: <user> <db> ...")."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if cmdline.startswith("postgres:") and f" {database} " in cmdline:
            pids.append(int(entry.name))
    return pids


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """user+system CPU seconds per process (gone processes are left out)."""
    times: dict[int, float] = {}
    for pid in pids:
        fields = _stat_fields(pid)
        if fields:
            times[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    return times


def used_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two snapshots; processes that appeared in between count from zero."""
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())
