"""A task for the burst test only: the worker imports it with --include, so its done-marker files
show which messages the embedded broker delivered."""

from pathlib import Path

from celery import shared_task


@shared_task(name="tests.burst_mark_done")
def burst_mark_done(folder: str, number: int) -> None:
    (Path(folder) / f"{number}.done").touch()
