"""HTTP API of the audit log for admins (the audit page): filtered events, CSV export, codes.

Read-only: the log has no write API. Each use of the events or CSV endpoints is itself recorded
(110101 Audit Log Used) by the audit middleware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import user_has_perm
from audit.export import csv_lines
from audit.models import AuditEvent
from audit.selectors import AuditFilters, audit_events, audit_events_page
from audit.vocabulary import ACTIONS, EVENT_TYPES, EVENTS, OUTCOMES, display_of
from config.errors import DomainError


class CanViewAudit(BasePermission):
    """The audit log names every patient anyone looked at: admins only."""

    message = "Your role may not read the audit log."

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_has_perm(request.user, "audit.view_auditevent")


class FiltersSerializer(serializers.Serializer):
    user = serializers.CharField(required=False, allow_blank=True, max_length=150)
    patient = serializers.CharField(required=False, allow_blank=True, max_length=324)
    study = serializers.CharField(required=False, allow_blank=True, max_length=64)
    event = serializers.ChoiceField(
        choices=[code for code, _ in EVENTS.values()], required=False, allow_blank=True
    )
    outcome = serializers.ChoiceField(choices=list(OUTCOMES), required=False)
    since = serializers.CharField(required=False, allow_blank=True)
    until = serializers.CharField(required=False, allow_blank=True)

    def _time(self, value: str, name: str) -> datetime | None:
        if not value:
            return None
        parsed = parse_datetime(value.replace(" ", "+")) or _date(value)
        if parsed is None:
            raise serializers.ValidationError(
                f"{name} must be an ISO 8601 date or date-time, e.g. 2026-11-30T08:00:00Z"
            )
        return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)

    def validate_since(self, value: str) -> datetime | None:
        return self._time(value, "since")

    def validate_until(self, value: str) -> datetime | None:
        return self._time(value, "until")

    def filters(self) -> AuditFilters:
        data = self.validated_data
        outcome = data.get("outcome")
        return AuditFilters(
            user=data.get("user", ""),
            patient=data.get("patient", ""),
            study=data.get("study", ""),
            event=data.get("event", ""),
            outcome=None if outcome in (None, "") else int(outcome),
            since=data.get("since"),
            until=data.get("until"),
        )


def _date(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


class PageSerializer(FiltersSerializer):
    cursor = serializers.CharField(required=False, allow_blank=True, max_length=200)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)


def _filters(serializer_class: type[FiltersSerializer], request: Request) -> FiltersSerializer:
    serializer = serializer_class(data=request.query_params)
    if not serializer.is_valid():
        first = next(iter(serializer.errors.items()))
        raise DomainError(
            f"{first[0]}: {' '.join(str(m) for m in first[1])}", {"errors": serializer.errors}
        )
    return serializer


def event_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "time": event.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "event": {"code": event.event_id, "display": display_of(event.event_id)},
        "event_type": (
            {"code": event.event_type, "display": display_of(event.event_type)}
            if event.event_type
            else None
        ),
        "action": event.action,
        "outcome": event.outcome,
        "outcome_description": event.outcome_description,
        "user": (
            {"id": event.user_id, "username": event.username, "roles": event.role_list}
            if event.username or event.user_id is not None
            else None
        ),
        "peer": event.peer,
        "source": event.source,
        "method": event.method,
        "path": event.path,
        "status": event.status,
        "objects": [
            {"kind": o.kind, "identifier": o.identifier, "name": o.name, "extra": o.extra}
            for o in event.participants.all()
        ],
    }


_FILTER_PARAMETERS = [
    OpenApiParameter(name, str, description=text)
    for name, text in [
        ("user", "username substring"),
        ("patient", "patient id, or a substring of the patient's name"),
        ("study", "Study Instance UID"),
        ("event", "EventID code, e.g. 110103"),
        ("outcome", "0, 4, 8 or 12"),
        ("since", "ISO 8601 date-time (UTC when no offset)"),
        ("until", "ISO 8601 date-time (UTC when no offset)"),
    ]
]


class AuditEventListApi(APIView):
    """Audit events, newest first, filtered; `next` is the cursor of the next page."""

    permission_classes = [CanViewAudit]

    @extend_schema(
        operation_id="audit_events_list",
        parameters=[
            *_FILTER_PARAMETERS,
            OpenApiParameter("cursor", str),
            OpenApiParameter("limit", int, description="1 to 500, default 100"),
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        serializer = _filters(PageSerializer, request)
        try:
            page, next_cursor = audit_events_page(
                filters=serializer.filters(),
                cursor=serializer.validated_data.get("cursor", ""),
                limit=serializer.validated_data["limit"],
            )
        except ValueError as exc:
            raise DomainError(f"cursor: {exc}") from exc
        return Response({"results": [event_json(e) for e in page], "next": next_cursor})


def _stamp(value: datetime | None, default: str) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") if value else default


class AuditEventCsvApi(APIView):
    """Every matching event as CSV, streamed (no limit), newest first."""

    permission_classes = [CanViewAudit]

    @extend_schema(
        operation_id="audit_events_csv", parameters=_FILTER_PARAMETERS, responses={200: str}
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        filters = _filters(FiltersSerializer, request).filters()
        response = StreamingHttpResponse(
            csv_lines(audit_events(filters=filters)), content_type="text/csv; charset=utf-8"
        )
        name = (
            f"audit-{_stamp(filters.since, 'start')}-{_stamp(filters.until or timezone.now(), '')}"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response


class AuditVocabularyApi(APIView):
    """The EventID and EventTypeCode codes with their displays, actions and outcomes."""

    permission_classes = [CanViewAudit]

    @extend_schema(operation_id="audit_vocabulary", responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response(
            {
                "standard": "DICOM PS3.15 Annex A.5 audit messages (IHE ATNA, RFC 3881)",
                "events": [{"code": c, "display": d} for c, d in EVENTS.values()],
                "event_types": [{"code": c, "display": d} for c, d in EVENT_TYPES.values()],
                "actions": [{"code": c, "display": d} for c, d in ACTIONS.items()],
                "outcomes": [{"code": c, "display": d} for c, d in OUTCOMES.items()],
            }
        )
