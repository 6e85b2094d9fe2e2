"""Turnaround of read studies, by clinical priority class and by AI result (the dashboard).

Wait: received -> first opened. Read: first opened -> read. Turnaround: received -> read.
Medians and 90th percentiles are taken in Python: exact, and the same on PostgreSQL and SQLite.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.utils import timezone

from triage.models import WorklistEntry
from triage.priority import ClinicalPriority

METRICS = ("wait", "read", "turnaround")


def turnaround_summary(*, days: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """Figures for studies read in the last `days` days, grouped two ways."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    rows = WorklistEntry.objects.filter(
        status=WorklistEntry.Status.READ, read_at__gte=since, read_at__lte=now
    ).values_list("clinical_priority", "ai_status", "received_at", "first_opened_at", "read_at")
    by_priority: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    by_ai: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for priority, ai_status, received, opened, read in rows.iterator():
        opened = opened or read
        times = (
            (opened - received).total_seconds(),
            (read - opened).total_seconds(),
            (read - received).total_seconds(),
        )
        by_priority[priority].append(times)
        by_ai[ai_status].append(times)
    priorities = [(str(p), str(p)) for p in ClinicalPriority]
    ai_results = [(str(s.value), str(s.label)) for s in WorklistEntry.AiStatus]
    return {
        "from": since,
        "to": now,
        "studies_read": sum(len(v) for v in by_priority.values()),
        "waiting_now": WorklistEntry.objects.filter(status=WorklistEntry.Status.WAITING).count(),
        "by_priority": [_group(key, label, by_priority[key]) for key, label in priorities],
        "by_ai": [_group(key, label, by_ai[key]) for key, label in ai_results],
    }


def _group(key: str, label: str, times: Sequence[tuple[float, float, float]]) -> dict[str, Any]:
    group: dict[str, Any] = {"key": key, "label": label, "count": len(times)}
    array = np.asarray(times, dtype=float).reshape(-1, 3)
    for index, metric in enumerate(METRICS):
        column = array[:, index]
        group[metric] = {
            "median": round(float(np.median(column)), 1) if len(column) else None,
            "p90": round(float(np.percentile(column, 90)), 1) if len(column) else None,
        }
    return group
