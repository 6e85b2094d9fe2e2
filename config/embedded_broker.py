"""The embedded default's Celery broker: kombu's SQLAlchemy transport on a SQLite file.

A message is a row written in one transaction, so a worker never reads half of one, and SQLite
needs no server. Two changes to kombu's transport: how often the worker polls the table (kombu
passes every transport option on to SQLAlchemy's create_engine, so `polling_interval` cannot be
given as an option and is set on the class), and the first start of several processes at once,
which kombu's transport does not expect: two of them creating the same table or queue row.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

from celery import shared_task
from django.conf import settings
from kombu.transport import sqlalchemy
from sqlalchemy.exc import IntegrityError, OperationalError


class Channel(sqlalchemy.Channel):
    def _open(self) -> Any:
        try:
            return super()._open()
        except OperationalError:
            # Another process created the tables between kombu's check and its CREATE TABLE.
            return super()._open()

    # (kombu's type stubs leave out this private method of the SQLAlchemy channel.)
    def _get_or_create(self, queue: str) -> Any:
        try:
            return super()._get_or_create(queue)  # type: ignore[misc]
        except IntegrityError:
            # Another process inserted the queue's row between kombu's look-up and its insert.
            self.session.rollback()
            return super()._get_or_create(queue)  # type: ignore[misc]


class Transport(sqlalchemy.Transport):
    Channel = Channel
    # 1 s (kombu's default) would eat half the 2 s budget from a study's arrival to its place on
    # the worklist, twice over (stability check, then scoring). A poll of an empty queue is a read.
    polling_interval = 0.1


@shared_task(name="config.embedded_broker_prune")
def embedded_broker_prune() -> int:
    """Delete delivered messages, and say how many.

    The transport keeps every message it has handed to a worker (visible = 0) for good. Deleting
    them is safe at any time: a worker that has not yet acknowledged one puts it back from its
    own memory if it stops.
    """
    path = settings.CELERY_BROKER_URL.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path, timeout=60)) as db, db:
        return db.execute("DELETE FROM kombu_message WHERE visible = 0").rowcount
