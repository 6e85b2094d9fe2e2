"""What the audit knows of the request in progress, in a context variable the middleware sets.

Under ASGI each request's sync code runs in a thread with a copy of the request's context, so
signal receivers and services called by the view see the same request here.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

    from audit.services import AuditObjectSpec


# A request that touches more objects than this (an import of labels) lists the first ones and
# counts the rest, so rows stay small.
MAX_OBJECTS = 100


@dataclass
class PendingEvent:
    """The one row an audited request will write when it ends; services add to it meanwhile."""

    event: str
    action: str
    event_type: str = ""
    outcome: int = 0
    description: str = ""
    objects: list[AuditObjectSpec] = field(default_factory=list)
    omitted: int = 0

    def merge(
        self, *, event_type: str, outcome: int, description: str, objects: list[AuditObjectSpec]
    ) -> None:
        if event_type and not self.event_type:
            self.event_type = event_type
        self.outcome = max(self.outcome, outcome)
        if description:
            joined = [d for d in (self.description, description) if d]
            self.description = "; ".join(joined)
        for obj in objects:
            if obj in self.objects:
                continue
            if len(self.objects) >= MAX_OBJECTS:
                self.omitted += 1
            else:
                self.objects.append(obj)


@dataclass
class RequestAudit:
    request: HttpRequest
    source: str
    pending: PendingEvent | None = None
    extra: dict[str, Any] = field(default_factory=dict)


current: ContextVar[RequestAudit | None] = ContextVar("audit_request", default=None)
