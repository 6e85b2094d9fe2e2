"""The fault scenarios, each on a running Harness, sized for CI by the tests and larger by
`python -m bench.faults`. Each returns its Figures; an empty `problems` means nothing was lost."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.conf import settings

from tests.faults.checks import Figures, record, verify
from tests.faults.clients import (
    ACKNOWLEDGED,
    CSTORE,
    STOW,
    Ledger,
    Outcome,
    Sender,
    cstore_send,
    stow_send,
)
from tests.faults.harness import Harness
from tests.faults.studies import FaultStudy, fault_studies, write_files
from tests.processes import wait_until


@dataclass(frozen=True)
class Sizes:
    studies_per_door: int = 6  # each of `radiographs` DX instances and one CT
    radiographs: int = 2
    killed_request_parts: int = 100  # instances in the STOW-RS request cut short
    recovery_timeout: float = 75.0


# Scenarios whose recovery must come from the product's defaults, not from the harness's short
# resend: a message that a killed worker held is given back by the broker (issue 10, item 5).
SCENARIO_ENV = {"worker_killed": {"TRIAGE_SCORING_RESEND_SECONDS": "600"}}


def _senders(h: Harness, ledger: Ledger, sizes: Sizes, pauses: tuple[int, ...]) -> list[Sender]:
    """A STOW-RS and a C-STORE sender of their own new studies, pausing before the given ones."""
    count, n = sizes.studies_per_door, sizes.radiographs
    session = h.session()
    by_stow = fault_studies(count, radiographs=n)
    by_cstore = fault_studies(count, radiographs=n)
    files = write_files(by_cstore, h.root / "sent")
    send_cstore = partial(cstore_send, h.dicom_port, settings.DICOM_AE_TITLE, files=files)
    senders = [
        Sender(STOW, by_stow, ledger, send=partial(stow_send, session, h.base_url), pauses=pauses),
        Sender(CSTORE, by_cstore, ledger, send=send_cstore, pauses=pauses),
    ]
    for sender in senders:
        sender.start()
    return senders


def _all_paused(senders: list[Sender]) -> None:
    wait_until(lambda: all(s.paused.is_set() for s in senders), what="the senders paused")


def redis_stopped(h: Harness, sizes: Sizes) -> Figures:
    """Redis stopped (its queued messages gone with it) while both doors store studies, then
    started again. Ingest must not depend on the broker: nothing is refused or left unanswered."""
    ledger = Ledger()
    third = sizes.studies_per_door // 3
    senders = _senders(h, ledger, sizes, pauses=(third, 2 * third))
    _all_paused(senders)
    h.redis.stop()
    for sender in senders:
        sender.go_on()
    _all_paused(senders)  # a third of the studies were sent while Redis was down
    h.redis.start()
    fault_end = time.monotonic()
    for sender in senders:
        sender.go_on()
    for sender in senders:
        sender.finish()
    figures = Figures(scenario="Redis stopped during STOW-RS and C-STORE")
    not_stored = [o for o in ledger.of() if o.answer != ACKNOWLEDGED]
    if not_stored:
        figures.problems.append(
            f"{len(not_stored)} instances were not acknowledged while Redis was down "
            f"(ingest must not depend on the broker): {_described(not_stored)}"
        )
    verify(h, ledger, figures, fault_end=fault_end, recovery_timeout=sizes.recovery_timeout)
    return record(h, figures)


def postgres_restarted(h: Harness, sizes: Sizes) -> Figures:
    """`pg_ctl restart -m fast` while both doors store studies: every pooled connection dies.
    Whatever was in flight may be refused, but once PostgreSQL is back every request and
    association must succeed, the first one included (issue 10, item 4)."""
    ledger = Ledger()
    third = sizes.studies_per_door // 3
    senders = _senders(h, ledger, sizes, pauses=(third, 2 * third))
    _all_paused(senders)
    answered = len(ledger.of())
    for sender in senders:
        sender.go_on()
    # Restart while requests stream, after at least one more answer.
    wait_until(lambda: len(ledger.of()) > answered, what="one more answer", interval=0.01)
    h.postgres.restart()
    fault_end = time.monotonic()
    _all_paused(senders)
    for sender in senders:
        sender.go_on()  # the last third starts after PostgreSQL is back
    for sender in senders:
        sender.finish()
    figures = Figures(scenario="PostgreSQL restarted during STOW-RS and C-STORE")
    after = [o for o in ledger.of() if o.started >= fault_end and o.answer != ACKNOWLEDGED]
    if after:
        figures.problems.append(
            f"{len(after)} instances sent after PostgreSQL was back were not acknowledged "
            f"(a dead pooled connection was used): {_described(after)}"
        )
    verify(h, ledger, figures, fault_end=fault_end, recovery_timeout=sizes.recovery_timeout)
    return record(h, figures)


def web_killed(h: Harness, sizes: Sizes) -> Figures:
    """The web server's workers SIGKILLed while one STOW-RS request is being ingested (some of its
    instances indexed, more spooled as parts); gunicorn's master starts new ones. The cut
    request's stored instances must be whole, its spooled parts and any unindexed file swept."""
    ledger = Ledger()
    session = h.session()
    for study in fault_studies(2, radiographs=sizes.radiographs):
        ledger.add(stow_send(session, h.base_url, study))
    [cut] = fault_studies(1, radiographs=sizes.killed_request_parts, with_ct=False)
    request = threading.Thread(target=lambda: ledger.add(stow_send(session, h.base_url, cut)))
    request.start()
    figures = Figures(scenario="web workers SIGKILLed mid STOW-RS request")
    try:
        # Django's ASGI handler reads the whole body before the view runs; the view then streams
        # its parts to spooled files and indexes them 32 at a time: cut it after the first 32.
        wait_until(
            lambda: _indexed(h, cut) >= 32 and any((h.var_dir / "tmp").glob("stow-*.part")),
            what="the request half ingested",
            timeout=60,
            interval=0.005,
        )
    except AssertionError:
        figures.problems.append("the request was answered before it could be cut (make it larger)")
    fault_end = time.monotonic()
    h.kill_web_workers()
    request.join(60)
    figures.answering_seconds = _answering(h, fault_end)
    for study in fault_studies(2, radiographs=sizes.radiographs):
        ledger.add(stow_send(h.session(), h.base_url, study))
    after = [o for o in ledger.of() if o.started >= fault_end and o.answer != ACKNOWLEDGED]
    if after:
        figures.problems.append(
            f"{len(after)} instances sent after the restart were not acknowledged: "
            f"{_described(after)}"
        )
    verify(h, ledger, figures, fault_end=fault_end, recovery_timeout=sizes.recovery_timeout)
    return record(h, figures)


def worker_killed(h: Harness, sizes: Sizes) -> Figures:
    """The Celery worker SIGKILLed while it scores (a scoring claimed, the model loading or
    predicting), then started again. Recovery is the product's: the stale-claim sweep, and the
    broker giving back every message the dead worker held within the run (issue 10, item 5),
    with the product's 10-minute resend, which must not be needed."""
    ledger = Ledger()
    session = h.session()
    # As many instances as the two doors send in the other scenarios.
    for study in fault_studies(2 * sizes.studies_per_door, radiographs=sizes.radiographs):
        ledger.add(stow_send(session, h.base_url, study))
    wait_until(
        lambda: h.sql("SELECT 1 FROM triage_studyscoring WHERE status = 'running'"),
        what="the worker scoring a study",
        timeout=60,
        interval=0.01,
    )
    h.kill("worker")
    fault_end = time.monotonic()
    held = _unacknowledged(h)  # what the dead worker had been handed: running, prefetched, ETA
    given_back = Watch(lambda: not held & _unacknowledged(h), timeout=sizes.recovery_timeout)
    h.start("worker")
    figures = Figures(scenario="Celery worker SIGKILLed mid scoring")
    verify(h, ledger, figures, fault_end=fault_end, recovery_timeout=sizes.recovery_timeout)
    figures.given_back_seconds = given_back.result(since=fault_end)
    if figures.given_back_seconds is None:
        figures.problems.append(
            f"{len(held & _unacknowledged(h))} messages the killed worker held were still unacked "
            f"{sizes.recovery_timeout:.0f} s later: Redis gives them back only after the "
            "visibility timeout"
        )
    return record(h, figures)


class Watch(threading.Thread):
    """Polls a condition in the background and notes when it first held."""

    def __init__(self, condition: Callable[[], bool], *, timeout: float) -> None:
        super().__init__(daemon=True)
        self.condition, self.deadline, self.held_at = condition, time.monotonic() + timeout, 0.0
        self.start()

    def run(self) -> None:
        while time.monotonic() < self.deadline:
            if self.condition():
                self.held_at = time.monotonic()
                return
            time.sleep(0.2)  # a polling interval, not a wait for an outcome

    def result(self, *, since: float) -> float | None:
        """Seconds from `since` to when it held; None if it did not before the timeout."""
        self.join(max(self.deadline - time.monotonic(), 0) + 1)
        return self.held_at - since if self.held_at else None


def _unacknowledged(h: Harness) -> set[bytes]:
    """Delivery tags of the messages handed to a worker and not acknowledged (kombu's Redis
    transport keeps them in the `unacked` hash until the visibility timeout gives them back)."""
    import redis

    client = redis.Redis.from_url(h.redis.url)
    try:
        return set(client.hkeys("unacked"))
    finally:
        client.close()


def _indexed(h: Harness, study: FaultStudy) -> int:
    return h.sql(
        "SELECT count(*) FROM archive_instance i JOIN archive_series se ON se.id = i.series_id"
        " JOIN archive_study s ON s.id = se.study_id WHERE s.study_instance_uid = %s",
        study.uid,
    )[0][0]


def _answering(h: Harness, since: float) -> float:
    h.wait_web_answers(timeout=60)
    return time.monotonic() - since


def _described(outcomes: list[Outcome]) -> str:
    counts: dict[str, int] = {}
    for o in outcomes:
        key = f"{o.door} {o.answer} ({o.detail})"
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{n} {key}" for key, n in sorted(counts.items()))


SCENARIOS = {
    "redis_stopped": redis_stopped,
    "postgres_restarted": postgres_restarted,
    "web_killed": web_killed,
    "worker_killed": worker_killed,
}
