"""A task for the burst test only: the worker imports it with --include, so its done-marker files
show which messages the embedded broker delivered."""

from pathlib import Path

from celery import shared_task


@shared_task(name="tests.burst_mark_done")
def burst_mark_done(folder: str, number: int) -> None:
    (Path(folder) / f"{number}.done").touch()


@shared_task(name="tests.mark_started_then_wait", acks_late=True)
def mark_started_then_wait(folder: str, run: str) -> None:
    """Say it started, then wait to be killed; a worker that runs it again marks it done."""
    import time

    started = Path(folder) / "started"
    if started.exists():
        (Path(folder) / "done").touch()
        return
    started.touch()
    time.sleep(600)
