"""The audit log cannot be changed or deleted through the application: not by the ORM, not by
a queryset, not by raw SQL (database triggers)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent, AuditLogImmutable, AuditObject
from audit.services import audit_record, study

pytestmark = pytest.mark.django_db


@pytest.fixture
def row() -> AuditEvent:
    audit_record(event="query", action="R", objects=[study("1.2.3")])
    return AuditEvent.objects.order_by("-id").first()


def test_a_saved_row_cannot_be_saved_again(row):
    row.outcome = 4
    with pytest.raises(AuditLogImmutable):
        row.save()
    assert AuditEvent.objects.get(pk=row.pk).outcome == 0


def test_a_row_cannot_be_deleted(row):
    with pytest.raises(AuditLogImmutable):
        row.delete()
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.filter(pk=row.pk).delete()
    with pytest.raises(AuditLogImmutable):
        AuditObject.objects.filter(event=row).delete()
    assert AuditEvent.objects.filter(pk=row.pk).exists()


def test_querysets_refuse_update(row):
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.filter(pk=row.pk).update(outcome=12)
    with pytest.raises(AuditLogImmutable):
        AuditObject.objects.filter(event=row).update(identifier="x")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET outcome = 12 WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
        "UPDATE audit_auditobject SET identifier = 'x' WHERE event_id = %s",
        "DELETE FROM audit_auditobject WHERE event_id = %s",
    ],
)
def test_raw_sql_cannot_change_or_delete_rows(row, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [row.pk])
    fresh = AuditEvent.objects.get(pk=row.pk)
    assert fresh.outcome == 0
    assert [o.identifier for o in fresh.participants.all()] == ["1.2.3"]


def test_deleting_a_user_leaves_their_rows(make_user):
    user = make_user("reviewer")
    audit_record(event="query", action="R", user=user)
    row = AuditEvent.objects.filter(user_id=user.pk, event_id="110112").get()
    user.delete()
    assert AuditEvent.objects.get(pk=row.pk).username == "reviewer-user"


def test_the_admin_site_offers_no_way_to_edit_the_log():
    from django.contrib import admin

    assert AuditEvent not in admin.site._registry
    assert AuditObject not in admin.site._registry
