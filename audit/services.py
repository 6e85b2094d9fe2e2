"""Writing audit rows: `audit_record` for services, tasks and the DICOM listener; object helpers.

Inside an audited HTTP request, `audit_record` adds its objects, event type and description to
that request's one row (written by audit.middleware when the response is ready); anywhere else it
writes a row at once. A row that cannot be written is logged as `audit_write_failed` (no patient
data) and, for access to patient data, raises AuditUnavailable: an access that cannot be audited
must not pass silently.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db import DatabaseError

from audit import context
from audit.emit import emit_event
from audit.insert import rows_insert
from audit.models import AuditEvent, AuditObject
from audit.vocabulary import ACTIONS, OUTCOMES, event_code, event_type_code
from config.errors import DomainError

logger = logging.getLogger(__name__)

# Events about patient data: when their row cannot be written the access is refused.
PATIENT_DATA_EVENTS = frozenset(
    {
        "instances_accessed",
        "instances_transferred",
        "study_deleted",
        "export",
        "import",
        "patient_record",
        "query",
    }
)


class AuditUnavailable(DomainError):
    """The audit row of an access to patient data could not be written; the access is refused."""

    status = 503
    code = "audit_unavailable"
    transient = True


@dataclass(frozen=True)
class AuditObjectSpec:
    """A participant object: kind (see audit.vocabulary.OBJECT_KINDS), identifier, name, extra."""

    kind: str
    identifier: str
    name: str = ""
    extra: Mapping[str, Any] | None = field(default=None, hash=False, compare=False)


def patient(patient_id: str, name: str = "") -> AuditObjectSpec:
    return AuditObjectSpec("patient", patient_id, name)


def study(uid: str, **extra: Any) -> AuditObjectSpec:
    return AuditObjectSpec("study", uid, "", extra or None)


def case(pseudonym: str, **extra: Any) -> AuditObjectSpec:
    return AuditObjectSpec("case", pseudonym, "", {"deidentified": True, **extra})


def query(text: str, **extra: Any) -> AuditObjectSpec:
    """A query; its text is the identifier (cut to 128 characters, whole in extra when longer)."""
    whole = {"query": text, **extra} if len(text) > 128 or extra else None
    return AuditObjectSpec("query", text[:128], "", whole)


def user_object(user_id: int | None, username: str) -> AuditObjectSpec:
    return AuditObjectSpec("user", str(user_id) if user_id is not None else username, username)


def device(ae_title: str, host: str = "", **extra: Any) -> AuditObjectSpec:
    identifier = f"{ae_title}@{host}" if host else ae_title
    return AuditObjectSpec("device", identifier, ae_title, extra or None)


def model_version(version_id: int | str, name: str = "", **extra: Any) -> AuditObjectSpec:
    return AuditObjectSpec("model", str(version_id), name, extra or None)


def label(label_id: int | str, **extra: Any) -> AuditObjectSpec:
    return AuditObjectSpec("label", str(label_id), "", extra or None)


def run(run_id: int | str, **extra: Any) -> AuditObjectSpec:
    return AuditObjectSpec("run", str(run_id), "", extra or None)


def settings_object(name: str, **extra: Any) -> AuditObjectSpec:
    return AuditObjectSpec("settings", name, "", extra or None)


# --- patients of studies: one indexed query, remembered per process ----------------------------
# uid -> ((patient id, patient name), monotonic expiry). Entries are forgotten when this process
# saves or deletes the study or its patient (a corrected patient, a study deleted and received
# again), and after _PATIENT_CACHE_SECONDS in any case, for changes made by other processes.
_PATIENT_CACHE: OrderedDict[str, tuple[tuple[str, str], float]] = OrderedDict()
_PATIENT_CACHE_SIZE = 2048
_PATIENT_CACHE_SECONDS = 60.0
_cache_lock = threading.Lock()


def study_patient(uid: str) -> tuple[str, str] | None:
    """(patient id, patient name) of an archived study, or None when the archive lacks it.

    Found studies are remembered briefly; absent ones are asked again, since a study being
    received now will be there on the next request.
    """
    now = time.monotonic()
    with _cache_lock:
        hit = _PATIENT_CACHE.get(uid)
        if hit is not None and hit[1] > now:
            _PATIENT_CACHE.move_to_end(uid)
            return hit[0]
    from archive.models import Study

    row = (
        Study.objects.filter(study_instance_uid=uid)
        .values_list("patient__patient_id", "patient__patient_name")
        .first()
    )
    if row is None:
        return None
    with _cache_lock:
        _PATIENT_CACHE[uid] = (row, now + _PATIENT_CACHE_SECONDS)
        _PATIENT_CACHE.move_to_end(uid)
        if len(_PATIENT_CACHE) > _PATIENT_CACHE_SIZE:
            _PATIENT_CACHE.popitem(last=False)
    return row


def study_patient_forget(*, uid: str = "", everything: bool = False) -> None:
    """Forget the remembered patient of a study, or of every study."""
    with _cache_lock:
        if everything:
            _PATIENT_CACHE.clear()
        elif uid:
            _PATIENT_CACHE.pop(uid, None)


def study_objects(uid: str, **extra: Any) -> list[AuditObjectSpec]:
    """The study and, when the archive has it, its patient."""
    found = study_patient(uid)
    objects = [study(uid, **extra)]
    if found is not None:
        objects.insert(0, patient(*found))
    return objects


# --- recording ----------------------------------------------------------------------------------
def audit_record(
    *,
    event: str,
    action: str,
    outcome: int = 0,
    event_type: str = "",
    user: AbstractBaseUser | AnonymousUser | None = None,
    peer: str = "",
    source: str = "",
    objects: Iterable[AuditObjectSpec] = (),
    description: str = "",
) -> None:
    """Record an audit event (see the module docstring for where it goes).

    `event`/`event_type` are keys of audit.vocabulary EVENTS/EVENT_TYPES, `action` one of
    C/R/U/D/E, `outcome` 0/4/8/12. `peer` is a DICOM peer (CALLING_AE@host), `source` a network
    address. Raises ValueError on unknown vocabulary, AuditUnavailable when a patient-data row
    cannot be written.
    """
    _check(event=event, action=action, outcome=outcome, event_type=event_type)
    objects = list(objects)
    state = context.current.get()
    if state is not None and state.pending is not None and not peer:
        # The request's user is the actor; its row is written when the response is ready.
        state.pending.merge(
            event_type=event_type, outcome=outcome, description=description, objects=objects
        )
        return
    record_now(
        event=event,
        action=action,
        outcome=outcome,
        event_type=event_type,
        user=user,
        peer=peer,
        source=source,
        objects=objects,
        description=description,
    )


def record_now(*, username: str = "", **fields: Any) -> None:
    """Write a row at once, with the current request's user, address, method and path when
    there is a request (for receivers of events that are their own row, such as a login)."""
    state = context.current.get()
    if state is not None:
        request = state.request
        fields.setdefault("method", request.method or "")
        fields.setdefault("path", request.path[:512])
        fields["source"] = fields.get("source") or state.source
        if fields.get("user") is None:
            fields["user"] = getattr(request, "user", None)
    event_write(username=username, **fields)


def _check(*, event: str, action: str, outcome: int, event_type: str) -> None:
    event_code(event)
    event_type_code(event_type)
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; use one of {', '.join(ACTIONS)}")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}; use one of 0, 4, 8, 12")


def _roles_key(user_id: int) -> str:
    return f"audit:roles:{user_id}"


def user_roles(user_id: int) -> list[str]:
    """The user's role names, from a short-lived per-process cache (a query saved per request;
    a change of roles is seen at once in this process, receivers forget it)."""
    roles = cache.get(_roles_key(user_id))
    if roles is None:
        from django.contrib.auth.models import Group

        roles = sorted(Group.objects.filter(user=user_id).values_list("name", flat=True))
        cache.set(_roles_key(user_id), roles, settings.PERMISSIONS_CACHE_SECONDS)
    return list(roles)


def user_roles_forget(user_ids: Iterable[int]) -> None:
    cache.delete_many([_roles_key(pk) for pk in user_ids])


def user_snapshot(user: Any) -> dict[str, Any]:
    """user_id, username and roles of a user now (nothing for None or anonymous)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    roles = user_roles(user.pk)
    if user.is_superuser:
        roles.append("superuser")
    return {"user_id": user.pk, "username": user.get_username(), "roles": ",".join(roles)[:200]}


def event_write(
    *,
    event: str,
    action: str,
    outcome: int = 0,
    event_type: str = "",
    user: Any = None,
    peer: str = "",
    source: str = "",
    objects: Iterable[AuditObjectSpec] = (),
    description: str = "",
    method: str = "",
    path: str = "",
    status: int | None = None,
    duration_ms: int | None = None,
    username: str = "",
) -> AuditEvent | None:
    """Write one event and its objects, and emit its JSON line. Returns the row, or None when the
    database refused it and the event is not about patient data (AuditUnavailable when it is).

    `username` is recorded when there is no user: the name a failed login tried."""
    row = AuditEvent(
        event_id=event_code(event)[0],
        event_type=event_type_code(event_type)[0],
        action=action,
        outcome=outcome,
        outcome_description=description[:200],
        peer=peer[:128],
        source=source[:64],
        method=method,
        path=path[:512],
        status=status,
        duration_ms=duration_ms,
        **(user_snapshot(user) or ({"username": username[:150]} if username else {})),
    )
    participants = [
        AuditObject(
            kind=o.kind,
            identifier=o.identifier[:128],
            name=o.name[:324],
            extra=dict(o.extra) if o.extra else None,
        )
        for o in objects
    ]
    try:
        rows_insert(row, participants)
    except DatabaseError as exc:
        logger.error(
            "audit_write_failed event=%s action=%s error=%s",
            row.event_id,
            action,
            type(exc).__name__,
        )
        if event in PATIENT_DATA_EVENTS:
            raise AuditUnavailable("the audit log cannot be written; try again later") from exc
        return None
    emit_event(row, participants)
    return row
