"""Each audit row as one syslog-ready JSON line in the PS3.15 A.5 / RFC 3881 message structure,
on the `audit.events` logger (its own handler, never the application console)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings

from audit.vocabulary import ACTIONS, CODE_SYSTEM, OBJECT_KINDS, display_of

if TYPE_CHECKING:
    from audit.models import AuditEvent, AuditObject

events_logger = logging.getLogger("audit.events")


def _coded(code: str) -> dict[str, str]:
    return {"csd-code": code, "codeSystemName": CODE_SYSTEM, "originalText": display_of(code)}


def event_message(row: AuditEvent, participants: Sequence[AuditObject]) -> dict[str, Any]:
    """The A.5 message of a row as a JSON-ready dict."""
    identification: dict[str, Any] = {
        "EventID": _coded(row.event_id),
        "EventActionCode": row.action,
        "EventDateTime": row.time.isoformat(),
        "EventOutcomeIndicator": row.outcome,
    }
    if row.event_type:
        identification["EventTypeCode"] = [_coded(row.event_type)]
    if row.outcome_description:
        identification["EventOutcomeDescription"] = row.outcome_description
    participants_json: list[dict[str, Any]] = []
    if row.username or row.source:
        participants_json.append(
            {
                "UserID": row.username,
                "AlternativeUserID": "" if row.user_id is None else str(row.user_id),
                "UserIsRequestor": True,
                "RoleIDCode": [r for r in row.roles.split(",") if r],
                "NetworkAccessPointID": row.source,
                "NetworkAccessPointTypeCode": "2",  # an IP address
            }
        )
    if row.peer:
        ae_title, _, host = row.peer.partition("@")
        participants_json.append(
            {
                "UserID": ae_title,
                "AlternativeUserID": f"AETITLES={ae_title}",
                "UserIsRequestor": True,
                "NetworkAccessPointID": host,
                "NetworkAccessPointTypeCode": "2",
            }
        )
    participants_json.append(
        {
            "UserID": settings.AUDIT_SOURCE_ID,
            "UserIsRequestor": False,
            "RoleIDCode": [
                {"csd-code": "110150", "codeSystemName": CODE_SYSTEM, "originalText": "Application"}
            ],
        }
    )
    message: dict[str, Any] = {
        "EventIdentification": identification,
        "ActiveParticipant": participants_json,
        "AuditSourceIdentification": {
            "AuditSourceID": settings.AUDIT_SOURCE_ID,
            "AuditEnterpriseSiteID": settings.AUDIT_ENTERPRISE_SITE_ID,
            "AuditSourceTypeCode": "4",  # application server process
        },
        "ParticipantObjectIdentification": [_object(o) for o in participants],
        "id": row.pk,
    }
    if row.method:
        message["HTTP"] = {
            "method": row.method,
            "path": row.path,
            "status": row.status,
            "duration_ms": row.duration_ms,
        }
    message["action"] = ACTIONS.get(row.action, row.action)
    return message


def _object(obj: AuditObject) -> dict[str, Any]:
    type_code, role, (id_code, id_system, id_display) = OBJECT_KINDS.get(
        obj.kind, (2, 4, ("12", "RFC-3881", "URI"))
    )
    out: dict[str, Any] = {
        "ParticipantObjectTypeCode": type_code,
        "ParticipantObjectTypeCodeRole": role,
        "ParticipantObjectIDTypeCode": {
            "csd-code": id_code,
            "codeSystemName": id_system,
            "originalText": id_display,
        },
        "ParticipantObjectID": obj.identifier,
        "kind": obj.kind,
    }
    if obj.name:
        out["ParticipantObjectName"] = obj.name
    if obj.extra:
        out["ParticipantObjectDetail"] = obj.extra
    return out


def emit_event(row: AuditEvent, participants: Sequence[AuditObject]) -> None:
    """Log the row's message as one JSON line; a failing handler never fails the request."""
    if not events_logger.isEnabledFor(logging.INFO):
        return
    line = json.dumps(event_message(row, participants), separators=(",", ":"), default=str)
    events_logger.info(line)
