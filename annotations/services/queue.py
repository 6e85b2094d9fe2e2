"""The active-learning queue: settings per task, choosing a batch, giving out and skipping cases.

A case is one image (frame) that `labels_required` (k) annotators label, one CaseSlot each.
Slots are taken with one conditional UPDATE (free, or locked with an expired lock), as worklist
claims are, so two annotators racing for a slot cannot both win; the unique (case, annotator)
constraint keeps one annotator from holding two slots of a case. When no slot is left for a
caller, a new batch is chosen by the task's strategy (ml.core.active_learning) from the pool
scores of the active model, one process at a time (a row lock on the task's QueueSettings).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from annotations.models import (
    AnnotationBatch,
    AnnotationCase,
    CaseSkip,
    CaseSlot,
    Label,
    QueueSettings,
)
from annotations.selectors import (
    PoolRows,
    one_statement,
    pool_rows,
    slot_case_read,
    slot_held,
    slot_with_case,
    slots_takeable,
)
from archive.models import Instance
from config.errors import Conflict, DomainError, NotFound
from ml.core.active_learning.pool import EmptyPoolError, PoolInput, PoolScores
from ml.core.active_learning.registry import batch_select, strategy_get
from ml.core.tasks import TASKS, task_get

logger = logging.getLogger(__name__)

# Slots tried per look at the queue: callers asking at once all see the same first slots, so
# each tries a few before looking again.
CANDIDATES = 8
# Looks at the queue before telling the caller to try again (only under heavy contention).
ATTEMPTS = 10
# The next batch is chosen ahead once fewer free slots than this, or than one batch's slots if
# more, are left: a choice takes a second or two (bench/next_case.py), and annotators asking
# flat out (16 at once, submitting at once) take a batch's 100 slots in about three seconds.
LOW_WATER_SLOTS = 16


def task_default() -> str:
    """The task a request names none of: the first registered one."""
    return next(iter(TASKS))


def queue_settings_get(*, task: str) -> QueueSettings:
    """The task's queue settings, created with the defaults on first use. ValueError for an
    unregistered task (the API checks first)."""
    task_get(task)
    settings_row, _created = QueueSettings.objects.get_or_create(task=task)
    return settings_row


SETTINGS_SQL = "SELECT {} FROM annotations_queuesettings WHERE task = %s".format(  # noqa: S608
    ", ".join(f'"{field.column}"' for field in QueueSettings._meta.concrete_fields)
)


def _queue_settings_read(task: str) -> QueueSettings:
    """queue_settings_get by one precompiled SELECT (next case reads it every time)."""
    task_get(task)
    with connection.cursor() as cursor:
        cursor.execute(SETTINGS_SQL, [task])
        row = cursor.fetchone()
    if row is None:
        return queue_settings_get(task=task)
    names = [field.attname for field in QueueSettings._meta.concrete_fields]
    return QueueSettings.from_db(connection.alias, names, row)


def queue_settings_update(*, task: str, actor: AbstractBaseUser, **changes: Any) -> QueueSettings:
    """Change the task's strategy, labels_required, batch_size or lock_seconds. A strategy must
    be registered (ml.core.active_learning.registry); DomainError naming the known ones
    otherwise, with nothing changed. Batches already chosen keep their k and strategy."""
    unknown = set(changes) - {"strategy", "labels_required", "batch_size", "lock_seconds"}
    if unknown:
        raise ValueError(f"not queue settings: {sorted(unknown)}")
    if "strategy" in changes:
        try:
            strategy_get(changes["strategy"])
        except ValueError as error:
            raise DomainError(str(error), {"field": "strategy"}) from None
    with transaction.atomic():
        row = queue_settings_get(task=task)
        row = QueueSettings.objects.select_for_update().get(pk=row.pk)
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_by = actor  # type: ignore[assignment]
        row.full_clean()
        row.save()
    logger.info("queue_settings_updated task=%s fields=%s", task, sorted(changes))
    return row


def case_next(*, user: AbstractBaseUser, task: str) -> CaseSlot | None:
    """Give `user` a slot of `task`: the one they hold (its lock renewed), else the first they
    may take in (batch, rank) order, choosing a new batch when none is left for them. None when
    the pool has nothing left. Conflict only if other callers won every race ATTEMPTS times.
    """
    if one_statement():
        settings_row = _queue_settings_read(task)
        return _case_next_one_statement(user=user, task=task, settings_row=settings_row)
    settings_row = queue_settings_get(task=task)
    return case_next_portable(user=user, task=task, settings_row=settings_row)


def case_next_portable(
    *, user: AbstractBaseUser, task: str, settings_row: QueueSettings
) -> CaseSlot | None:
    """case_next with the ORM on any database (SQLite, the embedded default): candidates are
    read first, then tried one conditional UPDATE each."""
    lock = dt.timedelta(seconds=settings_row.lock_seconds)
    held = slot_held(user=user, task=task)
    if held is not None and _renew(held, user=user, lock=lock):
        return held
    chose_batch = False
    for _attempt in range(ATTEMPTS):
        now = timezone.now()
        candidates = slots_takeable(user=user, task=task, now=now, limit=CANDIDATES)
        if not candidates:
            if chose_batch or not batch_choose(task=task, for_user=user):
                return None
            chose_batch = True
            continue
        for slot_id in candidates:
            slot = _take(slot_id, user=user, now=now, lock=lock)
            if slot is not None:
                _choose_ahead(task=task, settings_row=settings_row)
                logger.info(
                    "case_given case_id=%s slot=%s user_id=%s", slot.case_id, slot.number, user.pk
                )
                return slot
    raise Conflict("Other annotators are taking cases right now; try again.")


# PostgreSQL: renew the lock of the slot the caller holds, if any, in one statement.
RENEW_SQL = """
UPDATE annotations_caseslot SET locked_until = %(until)s
WHERE annotator_id = %(user_id)s AND status = 'locked' AND id = (
    SELECT s.id FROM annotations_caseslot s
    JOIN annotations_annotationcase c ON c.id = s.case_id
    WHERE s.annotator_id = %(user_id)s AND s.status = 'locked'
      AND c.task = %(task)s AND c.status = 'open'
    ORDER BY s.started_at, s.id
    LIMIT 1)
RETURNING id
"""
# PostgreSQL: take the first slot the caller may take, in (batch, rank, number) order, in one
# statement. SKIP LOCKED passes over slots other takers are taking this instant, so concurrent
# callers neither wait for nor collide with each other; the row is re-checked once locked.
TAKE_SQL = """
UPDATE annotations_caseslot AS t
SET status = 'locked', annotator_id = %(user_id)s,
    previous_annotator_id = COALESCE(t.annotator_id, t.previous_annotator_id),
    locked_until = %(until)s, started_at = %(now)s, submitted_at = NULL, seconds_spent = NULL
WHERE t.id = (
    SELECT s.id FROM annotations_caseslot s
    JOIN annotations_annotationcase c ON c.id = s.case_id
    WHERE c.task = %(task)s AND c.status = 'open' AND s.status IN ('free', 'locked')
      AND (s.status = 'free' OR s.locked_until < %(now)s)
      AND NOT EXISTS (SELECT 1 FROM annotations_caseslot m
                      WHERE m.case_id = s.case_id AND m.annotator_id = %(user_id)s)
      AND NOT EXISTS (SELECT 1 FROM annotations_caseskip k
                      WHERE k.case_id = s.case_id AND k.annotator_id = %(user_id)s)
    ORDER BY c.batch_id, c.rank, s.number
    LIMIT 1
    FOR UPDATE OF s SKIP LOCKED)
RETURNING t.id, t.previous_annotator_id
"""


def _case_next_one_statement(
    *, user: AbstractBaseUser, task: str, settings_row: QueueSettings
) -> CaseSlot | None:
    """case_next on PostgreSQL: renew the held slot, else take one, each one precompiled
    statement (no candidates read first, no retries for races), then read the {case} in one
    SELECT (selectors.slot_case_read). Django's query compilation, not the database, was most
    of next case's cost (bench/README.md)."""
    lock = dt.timedelta(seconds=settings_row.lock_seconds)
    low_water = _low_water(settings_row)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(RENEW_SQL, {"until": now + lock, "user_id": user.pk, "task": task})
        renewed = cursor.fetchone()
    if renewed is not None:
        return slot_case_read(slot_id=renewed[0])
    chose_batch = False
    for _attempt in range(ATTEMPTS):
        try:
            slot = _take_first(user=user, task=task, lock=lock, low_water=low_water)
        except IntegrityError:
            continue  # the same user took another slot of this case at this very moment
        if slot is None:
            if chose_batch or not batch_choose(task=task, for_user=user):
                return None
            chose_batch = True
            continue
        _choose_ahead(task=task, settings_row=settings_row, free=slot.free_slots)  # type: ignore[attr-defined]
        logger.info("case_given case_id=%s slot=%s user_id=%s", slot.case_id, slot.number, user.pk)
        return slot
    raise Conflict("Other annotators are taking cases right now; try again.")


def _take_first(
    *, user: AbstractBaseUser, task: str, lock: dt.timedelta, low_water: int
) -> CaseSlot | None:
    """TAKE_SQL, then the {case} read, in one transaction; the late holder's drafts go with it
    (see _take). None when there is no slot the user may take."""
    now = timezone.now()
    params = {"user_id": user.pk, "task": task, "now": now, "until": now + lock}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(TAKE_SQL, params)
        taken = cursor.fetchone()
        if taken is None:
            return None
        slot = slot_case_read(slot_id=taken[0], free_limit=low_water)
        if slot is None:  # pragma: no cover - the row was just updated in this transaction
            return None
        slot.just_taken = True  # type: ignore[attr-defined]  # no labels yet (case_data)
        if slot.previous_annotator_id is not None:
            _drafts_remove(slot)
    return slot


def _low_water(settings_row: QueueSettings) -> int:
    return max(LOW_WATER_SLOTS, settings_row.batch_size * settings_row.labels_required)


def _choose_ahead(*, task: str, settings_row: QueueSettings, free: int | None = None) -> None:
    """Have the next batch chosen before the free slots run out, by a Celery task
    (annotations/queue_tasks.py says why not here), so that callers do not wait for the choice.
    If the broker is down, callers who find nothing left choose it themselves. `free`: the free
    slots, counted up to the low-water mark, when the caller read them already."""
    low_water = _low_water(settings_row)
    if free is None:
        free = _free_slots(task, limit=low_water)
    if free >= low_water:
        return

    def send() -> None:
        from annotations.queue_tasks import batch_choose_task

        try:
            batch_choose_task.apply_async(kwargs={"task": task, "below": low_water}, retry=False)
        except Exception:  # noqa: BLE001 - any broker failure: callers choose when they must
            logger.warning("batch_choice_not_sent task=%s (broker unavailable)", task)

    transaction.on_commit(send)


def _free_slots(task: str, *, limit: int) -> int:
    """Free slots of the task's open cases, counted up to `limit`."""
    return CaseSlot.objects.filter(
        case__task=task, case__status=AnnotationCase.Status.OPEN, status=CaseSlot.Status.FREE
    )[:limit].count()


def _renew(slot: CaseSlot, *, user: AbstractBaseUser, lock: dt.timedelta) -> bool:
    until = timezone.now() + lock
    renewed = CaseSlot.objects.filter(
        pk=slot.pk, annotator=user, status=CaseSlot.Status.LOCKED
    ).update(locked_until=until)
    slot.locked_until = until
    return bool(renewed)


def _take(
    slot_id: int, *, user: AbstractBaseUser, now: dt.datetime, lock: dt.timedelta
) -> CaseSlot | None:
    """The one conditional UPDATE that gives a slot; None when someone else got it first.

    Taking over an expired lock records the late holder as previous_annotator in the same
    UPDATE, and in the same transaction removes their labels on the case: they were drafts of
    a slot they lost, and review and agreement must not count them. Their later saves are
    refused with 409 (annotations.services.labels)."""
    takeable = Q(status=CaseSlot.Status.FREE) | Q(
        status=CaseSlot.Status.LOCKED, locked_until__lt=now
    )
    try:
        with transaction.atomic():
            taken = (
                CaseSlot.objects.filter(takeable, pk=slot_id)
                .exclude(annotator=user)
                .update(
                    status=CaseSlot.Status.LOCKED,
                    annotator=user,
                    previous_annotator=Coalesce(F("annotator"), F("previous_annotator")),
                    locked_until=now + lock,
                    started_at=now,
                    submitted_at=None,
                    seconds_spent=None,
                )
            )
            if not taken:
                return None
            slot = slot_with_case(pk=slot_id)
            if slot is None:  # pragma: no cover - the row was just updated in this transaction
                return None
            slot.just_taken = True  # type: ignore[attr-defined]  # no labels yet (case_data)
            if slot.previous_annotator_id is not None:
                _drafts_remove(slot)
    except IntegrityError:
        return None  # the same user took another slot of this case at this very moment
    return slot


def _drafts_remove(slot: CaseSlot) -> None:
    """Delete the previous holder's annotator labels on the slot's case, unless they hold
    another slot of it again (a free slot taken after a skip keeps its last loser on record)."""
    holds_again = CaseSlot.objects.filter(
        case_id=slot.case_id, annotator_id=slot.previous_annotator_id
    ).exists()
    if holds_again:
        return
    removed, _ = Label.objects.filter(
        case_id=slot.case_id, author_id=slot.previous_annotator_id, source=Label.Source.ANNOTATOR
    ).delete()
    if removed:
        logger.info(
            "slot_taken_over case_id=%s previous_user_id=%s drafts_removed=%s",
            slot.case_id,
            slot.previous_annotator_id,
            removed,
        )


def batch_choose(
    *,
    task: str,
    for_user: AbstractBaseUser | None = None,
    wait: bool = True,
    below: int | None = None,
) -> AnnotationBatch | None:
    """Choose the task's next batch with its strategy and give each pick k free slots.

    One process at a time: the task's QueueSettings row is locked for the choice. A caller that
    waited for the lock and now finds a slot it may take (`for_user`) chooses nothing. Returns
    the batch, or None when there is nothing to choose (no pool scores, or none left). With
    `wait` False (PostgreSQL only) it returns None at once when another process is choosing;
    with `below`, it chooses only while fewer free slots than that are left (checked under the
    lock, so two callers choosing ahead make one batch).
    """
    settings_row = queue_settings_get(task=task)
    with transaction.atomic():
        locked = QueueSettings.objects.select_for_update(skip_locked=not wait)
        settings_row = locked.filter(pk=settings_row.pk).first()
        if settings_row is None:
            return None  # another process is choosing (wait=False)
        if for_user is not None and slots_takeable(
            user=for_user, task=task, now=timezone.now(), limit=1
        ):
            return _latest_batch(task)  # another caller chose one meanwhile
        if below is not None and _free_slots(task, limit=below) >= below:
            return None
        pool = pool_rows(task=task)
        if not pool.rows:
            return None
        try:
            selection = batch_select(
                settings_row.strategy,
                _pool_scores(pool, strategy=settings_row.strategy),
                settings_row.batch_size,
                np.random.default_rng(),
            )
        except EmptyPoolError:
            return None
        except ValueError as error:  # the pool lacks what the strategy needs
            raise DomainError(f"The queue cannot be chosen: {error}") from None
        return _batch_store(task=task, settings_row=settings_row, pool=pool, selection=selection)


def _latest_batch(task: str) -> AnnotationBatch | None:
    return AnnotationBatch.objects.filter(task=task).order_by("-pk").first()


def _pool_scores(pool: PoolRows, *, strategy: str) -> PoolScores:
    """The strategy's inputs. MC-dropout passes are not stored, only their mean and variance:
    a strategy that needs passes gets two, mean -/+ standard deviation, which have the stored
    mean and variance (BALD from them ranks like the stored BALD, not equal to it; the pick
    records the stored figure)."""
    mc = None
    if PoolInput.MC_PROBABILITIES in strategy_get(strategy).needs and pool.mc_mean is not None:
        spread = np.sqrt(np.maximum(pool.mc_variance, 0.0))  # type: ignore[arg-type]
        mc = np.clip(np.stack([pool.mc_mean - spread, pool.mc_mean + spread], axis=1), 0.0, 1.0)
    return PoolScores(
        probabilities=pool.probabilities,
        mc_probabilities=mc,
        embeddings=pool.embeddings,
        labelled_embeddings=pool.chosen_embeddings if len(pool.chosen_embeddings) else None,
    )


def _batch_store(
    *, task: str, settings_row: QueueSettings, pool: PoolRows, selection: Any
) -> AnnotationBatch:
    picked = [pool.rows[record["index"]] for record in selection.records()]
    studies = dict(
        Instance.objects.filter(pk__in={row["instance_id"] for row in picked}).values_list(
            "pk", "series__study_id"
        )
    )
    batch = AnnotationBatch.objects.create(
        task=task,
        strategy=settings_row.strategy,
        model_version_id=picked[0]["model_version_id"] if picked else None,
        pool_size=len(pool.rows),
        size=len(picked),
        labels_required=settings_row.labels_required,
    )
    cases = AnnotationCase.objects.bulk_create(
        AnnotationCase(
            task=task,
            pseudonym=secrets.token_hex(8),
            batch=batch,
            rank=record["rank"],
            study_id=studies[row["instance_id"]],
            instance_id=row["instance_id"],
            frame_number=row["frame_number"],
            strategy=settings_row.strategy,
            pick={**record, "image_score": _figures(row)},
            labels_required=settings_row.labels_required,
        )
        for record, row in zip(selection.records(), picked, strict=True)
    )
    CaseSlot.objects.bulk_create(
        CaseSlot(case=case, number=number)
        for case in cases
        for number in range(1, settings_row.labels_required + 1)
    )
    logger.info(
        "batch_chosen task=%s batch_id=%s strategy=%s pool_size=%s size=%s",
        task,
        batch.pk,
        batch.strategy,
        batch.pool_size,
        batch.size,
    )
    return batch


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    """The ImageScore figures kept with a pick (not the embedding)."""
    names = ("probability", "entropy", "margin", "mc_mean", "mc_variance", "bald")
    return {
        "image_score_id": row["pk"],
        "model_version_id": row["model_version_id"],
        **{name: row[name] for name in names},
    }


def case_skip(*, user: AbstractBaseUser, pseudonym: str, reason: str) -> CaseSlot | None:
    """`user` passes on the case, saying why: the skip is recorded, their slot freed for
    someone else (their unsubmitted labels on the case go with it) and they are never given
    the case again. Returns their next slot (or None). DomainError for an empty reason,
    NotFound for a case they do not hold, Conflict for one they already submitted."""
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why you skip the case.", {"field": "reason"})
    with transaction.atomic():
        slot = (
            CaseSlot.objects.select_for_update()
            .select_related("case")
            .filter(case__pseudonym=pseudonym, annotator=user)
            .first()
        )
        if slot is None:
            raise NotFound("No such case among the cases given to you.")
        if slot.status == CaseSlot.Status.SUBMITTED:
            raise Conflict("You submitted this case; it can no longer be skipped.")
        CaseSkip.objects.create(case=slot.case, annotator=user, reason=reason[:500])
        Label.objects.filter(case=slot.case, author=user).delete()
        CaseSlot.objects.filter(pk=slot.pk).update(
            status=CaseSlot.Status.FREE,
            annotator=None,
            locked_until=None,
            started_at=None,
            seconds_spent=None,
        )
    logger.info("case_skipped case_id=%s user_id=%s", slot.case_id, user.pk)
    return case_next(user=user, task=slot.case.task)
