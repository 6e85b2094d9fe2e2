"""Celery task of the annotation queue: choosing the next batch ahead, off the request path.

A batch choice over 100,000 candidates takes a second or two (bench/next_case.py); made inside
a request it would hold one web worker's only thread for sync views that long, and every request
queued behind it would wait. So a request that sees the free slots run low sends this instead.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from annotations.services.queue import batch_choose


@shared_task(
    name="annotations.batch_choose",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=2,
    retry_backoff_max=20,
)
def batch_choose_task(task: str, below: int) -> int | None:
    """Choose the task's next batch if fewer than `below` free slots are left. Safe to run
    twice or at once: the choice's row lock and the check under it make one batch."""
    batch = batch_choose(task=task, below=below)
    return batch.pk if batch is not None else None
