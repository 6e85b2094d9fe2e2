"""Training runs: request, send, claim, cancel, finish, sweep (the run itself: ml/training_execute).

The TrainingRun row is the source of truth, not the broker. One run per task runs at a time
(a database constraint); later requests wait queued, oldest first, and the next one is sent when
a run finishes. A worker claims a run with one conditional UPDATE that also takes a lease; it
renews the lease while it works, so a second delivery of the message (Redis hands a message out
again after its visibility timeout, shorter than a training) finds the lease alive and does
nothing. A run whose lease lapsed lost its worker: the sweep sends it again to resume from its
checkpoint, or fails it with the reason after TRAINING_MAX_ATTEMPTS, so no run stays running.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce, Concat
from django.utils import timezone

from config.errors import Conflict, DomainError
from ml.core.tasks import task_get
from ml.models import TrainingRun, TrainingSettings

logger = logging.getLogger(__name__)

UNFINISHED = (TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING)


def training_settings_of(task: str) -> TrainingSettings:
    """The task's settings row (created with the defaults when there is none yet)."""
    row, _ = TrainingSettings.objects.get_or_create(task=task)
    return row


def training_run_request(
    *,
    task: str,
    mode: str | None = None,
    trigger: str = TrainingRun.Trigger.MANUAL,
    actor: AbstractBaseUser | None = None,
) -> TrainingRun:
    """Queue a retraining of `task` (mode: fine_tune, scratch, or None for the task's default).

    Sent to the training queue after commit when no other run of the task is ahead of it;
    otherwise it waits (training_run_message says behind which) and is sent when that one
    finishes. Not idempotent: every call queues a run.
    """
    try:
        task_get(task)
    except ValueError as error:
        raise DomainError(str(error), {"task": [str(error)]}) from None
    mode = mode or training_settings_of(task).default_mode
    if mode not in TrainingRun.Mode.values:
        raise DomainError(f"Unknown mode {mode!r}.", {"mode": [f"{mode!r} is not a mode."]})
    with transaction.atomic():
        run = TrainingRun(
            task=task, mode=mode, trigger=trigger, requested_by=actor, requested_at=timezone.now()
        )
        run.full_clean()
        run.save()
        run_log(run.pk, f"requested ({run.get_trigger_display()}, {run.get_mode_display()})")
        transaction.on_commit(lambda: training_runs_dispatch(task=task))
    logger.info("training_run_requested run_id=%s task=%s trigger=%s", run.pk, task, trigger)
    return TrainingRun.objects.get(pk=run.pk)


def training_run_cancel(*, run: TrainingRun, actor: AbstractBaseUser | None = None) -> TrainingRun:
    """Cancel a run: a queued one at once; a running one stops after its current epoch (its
    worker sees cancel_requested). A finished run cannot be cancelled (Conflict)."""
    who = getattr(actor, "username", None) or "the system"
    with transaction.atomic():
        if TrainingRun.objects.filter(pk=run.pk, status=TrainingRun.Status.QUEUED).update(
            status=TrainingRun.Status.CANCELLED, finished_at=timezone.now(), cancel_requested=True
        ):
            run_log(run.pk, f"cancelled by {who} before it started")
            transaction.on_commit(lambda: training_runs_dispatch(task=run.task))
        elif TrainingRun.objects.filter(pk=run.pk, status=TrainingRun.Status.RUNNING).update(
            cancel_requested=True
        ):
            run_log(run.pk, f"cancel requested by {who}; stopping after the current epoch")
        else:
            current = TrainingRun.objects.get(pk=run.pk)
            raise Conflict(f"Run {run.pk} has already {current.status}; it cannot be cancelled.")
    return TrainingRun.objects.get(pk=run.pk)


def training_runs_dispatch(*, task: str, force: bool = False) -> TrainingRun | None:
    """Send the task's oldest queued run when none runs and its message is not out yet (or,
    with `force`, after a run ended: a message it got while another ran was turned away)."""
    if TrainingRun.objects.filter(task=task, status=TrainingRun.Status.RUNNING).exists():
        return None
    run = TrainingRun.objects.filter(task=task, status=TrainingRun.Status.QUEUED).order_by("id")
    first = run.first()
    if first is None or (first.sent_at is not None and not force):
        return None
    training_run_send(run_id=first.pk)
    return first


def training_run_send(*, run_id: int) -> bool:
    """Hand the run to the training queue; False (logged) when the broker is down (the sweep
    sends it later). A duplicate message is harmless: the claim lets one through."""
    from ml.tasks import training_run_task

    TrainingRun.objects.filter(pk=run_id).update(sent_at=timezone.now())
    try:
        training_run_task.apply_async(kwargs={"run_id": run_id}, retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: the sweep sends it again
        logger.warning("training_run_not_sent run_id=%s (broker unavailable)", run_id)
        return False
    return True


def lease_owner_new() -> str:
    """hostname:pid:uuid, unique to one attempt of one worker."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _lease_until() -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=settings.TRAINING_LEASE_SECONDS)


def training_run_claim(*, run_id: int, owner: str) -> bool:
    """Take the run (queued, or running with a lapsed lease) in one conditional UPDATE, with a
    lease for `owner`. False when it is finished, cancelled, leased by a live worker, or
    another run of its task runs (it stays queued and is sent when that one finishes)."""
    now = timezone.now()
    claimable = Q(status=TrainingRun.Status.QUEUED, cancel_requested=False) | Q(
        status=TrainingRun.Status.RUNNING, lease_expires_at__lt=now
    )
    try:
        with transaction.atomic():
            changed = (
                TrainingRun.objects.filter(claimable, pk=run_id)
                .filter(Q(status=TrainingRun.Status.RUNNING) | Q(_nothing_ahead()))
                .update(
                    status=TrainingRun.Status.RUNNING,
                    lease_owner=owner,
                    lease_expires_at=_lease_until(),
                    heartbeat_at=now,
                    attempts=F("attempts") + 1,
                    started_at=Coalesce(F("started_at"), now),
                )
            )
    except IntegrityError:
        return False  # another run of the task is running
    return bool(changed)


def _nothing_ahead() -> Exists:
    """No older unfinished run of the same task (a queued run waits its turn)."""
    return ~Exists(
        TrainingRun.objects.filter(
            task=OuterRef("task"), status__in=UNFINISHED, pk__lt=OuterRef("pk")
        )
    )


def training_run_renew(*, run_id: int, owner: str) -> bool:
    """Extend the lease and note the heartbeat; False when the run is no longer this owner's
    (the sweep gave it to another worker, or it finished)."""
    now = timezone.now()
    return bool(
        TrainingRun.objects.filter(
            pk=run_id, status=TrainingRun.Status.RUNNING, lease_owner=owner
        ).update(lease_expires_at=_lease_until(), heartbeat_at=now)
    )


def training_run_finish(
    *, run_id: int, owner: str, status: str, error: str = "", line: str = ""
) -> bool:
    """Leave running for `status` (succeeded, failed, cancelled), release the lease and send
    the task's next queued run. False when the run was not this owner's any more."""
    with transaction.atomic():
        changed = TrainingRun.objects.filter(
            pk=run_id, status=TrainingRun.Status.RUNNING, lease_owner=owner
        ).update(
            status=status,
            error=error[:2000],
            finished_at=timezone.now(),
            lease_owner="",
            lease_expires_at=None,
            phase="done" if status == TrainingRun.Status.SUCCEEDED else F("phase"),
        )
        if changed and line:
            run_log(run_id, line)
        task = TrainingRun.objects.values_list("task", flat=True).get(pk=run_id)
        transaction.on_commit(lambda: training_runs_dispatch(task=task, force=True))
    logger.info("training_run_finished run_id=%s status=%s", run_id, status)
    return bool(changed)


def run_log(run_id: int, line: str) -> None:
    """Append a timestamped line to the run's log (no patient data ever goes here)."""
    stamp = timezone.now().strftime("%Y-%m-%d %H:%M:%S")
    TrainingRun.objects.filter(pk=run_id).update(log=Concat(F("log"), Value(f"{stamp} {line}\n")))


def training_runs_sweep() -> dict[str, int]:
    """Recover lost work; run periodically (beat). The database decides:

    - a running run whose lease lapsed lost its worker: sent again to resume from its
      checkpoint while attempts < TRAINING_MAX_ATTEMPTS, else failed with the reason
      (cancelled instead, when an admin had asked to cancel it);
    - a queued run whose message went out longer ago than TRAINING_RESEND_SECONDS (or never)
      and that nothing claimed is sent again, when no run of its task runs.
    """
    now = timezone.now()
    resend_before = now - dt.timedelta(seconds=settings.TRAINING_RESEND_SECONDS)
    report = {"resumed": 0, "failed": 0, "cancelled": 0, "resent": 0}
    lapsed = TrainingRun.objects.filter(status=TrainingRun.Status.RUNNING, lease_expires_at__lt=now)
    for run in lapsed:
        if run.cancel_requested:
            if _end_lapsed(run, TrainingRun.Status.CANCELLED, "cancelled (its worker was lost)"):
                report["cancelled"] += 1
        elif run.attempts >= settings.TRAINING_MAX_ATTEMPTS:
            reason = f"worker lost; gave up after {run.attempts} attempts"
            if _end_lapsed(run, TrainingRun.Status.FAILED, reason):
                report["failed"] += 1
        elif run.sent_at is None or run.sent_at < max(resend_before, run.lease_expires_at):
            run_log(run.pk, f"worker lost at epoch {run.checkpoint_epoch}, resuming")
            training_run_send(run_id=run.pk)
            report["resumed"] += 1
    queued = TrainingRun.objects.filter(status=TrainingRun.Status.QUEUED).filter(
        Q(sent_at__isnull=True) | Q(sent_at__lt=resend_before)
    )
    for task in set(queued.values_list("task", flat=True)):
        TrainingRun.objects.filter(
            task=task, status=TrainingRun.Status.QUEUED, sent_at__lt=resend_before
        ).update(sent_at=None)
        if training_runs_dispatch(task=task) is not None:
            report["resent"] += 1
    if any(report.values()):
        logger.info("training_runs_swept %s", " ".join(f"{k}={v}" for k, v in report.items()))
    return report


def _end_lapsed(run: TrainingRun, status: str, reason: str) -> bool:
    with transaction.atomic():
        changed = TrainingRun.objects.filter(
            pk=run.pk, status=TrainingRun.Status.RUNNING, lease_expires_at__lt=timezone.now()
        ).update(
            status=status,
            error=reason if status == TrainingRun.Status.FAILED else "",
            finished_at=timezone.now(),
            lease_owner="",
            lease_expires_at=None,
        )
        if changed:
            run_log(run.pk, reason)
            transaction.on_commit(lambda: training_runs_dispatch(task=run.task, force=True))
    return bool(changed)


def training_run_message(run: TrainingRun, waiting_behind: int | None = None) -> str:
    """A sentence for the admin page: what the run is doing or why it stopped."""
    status = run.status
    if status == TrainingRun.Status.QUEUED:
        if waiting_behind is not None:
            return f"Waiting for run {waiting_behind} to finish"
        return "Queued: waiting for a training worker"
    if status == TrainingRun.Status.RUNNING:
        if run.cancel_requested:
            return "Cancelling after the current epoch"
        if run.phase == "training" and run.epochs:
            return f"Epoch {run.epoch} of {run.epochs}"
        return {
            "snapshot": "Collecting the labelled images",
            "preprocessing": "Preparing the images",
            "training": "Starting training",
            "registering": "Registering the trained version",
            "evaluating": "Evaluating on the fixed test set",
        }.get(run.phase, "Starting")
    if status == TrainingRun.Status.FAILED:
        return f"Failed: {run.error}"
    if status == TrainingRun.Status.CANCELLED:
        return "Cancelled"
    label = f" version {run.candidate.version}" if run.candidate_id and run.candidate else ""
    return f"Finished: registered{label}"


def training_run_waiting_behind(run: TrainingRun) -> int | None:
    """The run this queued run waits for: the task's running run, else the oldest queued one
    ahead of it; None when it is next (or not queued)."""
    if run.status != TrainingRun.Status.QUEUED:
        return None
    ahead = (
        TrainingRun.objects.filter(task=run.task, status__in=UNFINISHED, pk__lt=run.pk)
        .order_by("-status", "id")  # "running" sorts after "queued": descending puts it first
        .values_list("pk", flat=True)
        .first()
    )
    return ahead
