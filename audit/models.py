"""The append-only audit log: one AuditEvent per request (or per non-HTTP action), with the
patients, studies and other things it touched as AuditObject rows.

Rows are never changed or deleted by the application: save() refuses updates, the querysets refuse
update() and delete(), and database triggers (migration 0002) refuse UPDATE and DELETE from any
SQL the application sends. Users are kept as a plain id plus a snapshot of name and roles, not a
foreign key, so deleting a user neither cascades into nor blocks the log.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils import timezone

from audit.vocabulary import ACTIONS, OUTCOMES


class AuditLogImmutable(Exception):
    """An attempt to change or delete an audit row; the log is append-only."""


def _refuse(what: str) -> NoReturn:
    raise AuditLogImmutable(f"the audit log is append-only: {what} is not allowed")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        _refuse("update")

    def delete(self) -> NoReturn:
        _refuse("delete")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse("bulk_update")

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse("update_or_create")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            _refuse("changing a saved row")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse("delete")


class AuditEvent(AppendOnlyModel):
    """Who did what, when, from where, with what outcome (PS3.15 A.5 EventIdentification and the
    requesting ActiveParticipant)."""

    time = models.DateTimeField(default=timezone.now, db_index=True)
    event_id = models.CharField(max_length=8)  # DCM code, e.g. 110103
    event_type = models.CharField(max_length=8, blank=True)
    action = models.CharField(max_length=1, choices=list(ACTIONS.items()))
    outcome = models.PositiveSmallIntegerField(choices=list(OUTCOMES.items()), default=0)
    outcome_description = models.CharField(max_length=200, blank=True)
    user_id = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)
    roles = models.CharField(max_length=200, blank=True)  # comma-joined role names then
    source = models.CharField(max_length=64, blank=True)  # the client's network address
    peer = models.CharField(max_length=128, blank=True)  # a DICOM peer: CALLING_AE@host
    method = models.CharField(max_length=8, blank=True)
    path = models.CharField(max_length=512, blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["event_id", "time"], name="audit_event_id_time_idx"),
            models.Index(fields=["username", "time"], name="audit_event_user_time_idx"),
        ]

    def __str__(self) -> str:
        return f"AuditEvent {self.pk} {self.event_id}"

    @property
    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]


class AuditObject(AppendOnlyModel):
    """A participant object of an event (A.5 ParticipantObjectIdentification): a patient, a study,
    an annotation case, a query, a user, a device, a model, a label, a run."""

    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="participants")
    kind = models.CharField(max_length=16)
    identifier = models.CharField(max_length=128)
    name = models.CharField(max_length=324, blank=True)
    extra = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "identifier"], name="audit_object_kind_id_idx"),
        ]

    def __str__(self) -> str:
        return f"AuditObject {self.pk} {self.kind}"
