"""Inserting an event and its objects in one statement on PostgreSQL.

An audited request pays for its row before the answer leaves, so the write is one round trip: a
data-modifying CTE inserts the event and its objects together, in autocommit, instead of
BEGIN, INSERT, INSERT, COMMIT (three round trips; on a busy database each costs a few
milliseconds). Other databases (the embedded default's SQLite) insert through the ORM in one
transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import nullcontext

from django.db import connection, transaction

from audit.models import AuditEvent, AuditObject


def rows_insert(row: AuditEvent, participants: Sequence[AuditObject]) -> None:
    """Insert `row` and `participants` (whose `event` is set here); sets their primary keys."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            row.save()
            for participant in participants:
                participant.event = row
            AuditObject.objects.bulk_create(participants)
        return
    event_fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    # Only table and column names from the models are formatted in; every value is a parameter.
    sql = (
        f"WITH e AS (INSERT INTO {quote(AuditEvent._meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(f.column) for f in event_fields)}) "
        f"VALUES ({', '.join(['%s'] * len(event_fields))}) RETURNING id)"
    )
    params: list[object] = [
        f.get_db_prep_save(f.pre_save(row, True), connection) for f in event_fields
    ]
    if participants:
        sql += (
            f" INSERT INTO {quote(AuditObject._meta.db_table)} "  # noqa: S608
            '("event_id", "kind", "identifier", "name", "extra") '
            "SELECT e.id, v.kind, v.identifier, v.name, v.extra FROM e, (VALUES "
            + ", ".join(["(%s, %s, %s, %s::jsonb, %s::int)"] * len(participants))
            + ") AS v(kind, identifier, name, extra, position) ORDER BY v.position "
            "RETURNING event_id"
        )
        for position, p in enumerate(participants):
            extra = json.dumps(p.extra) if p.extra is not None else None
            params += [p.kind, p.identifier, p.name, extra, position]
    else:
        sql += " SELECT id FROM e"
    # Inside a caller's transaction a savepoint keeps a refused insert from aborting the caller's
    # work; in autocommit (a request) the one statement is its own transaction.
    with (
        transaction.atomic() if connection.in_atomic_block else nullcontext(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
        row.pk = cursor.fetchone()[0]
    row._state.adding = False
    row._state.db = connection.alias
    for participant in participants:
        participant.event = row
        participant._state.adding = False
