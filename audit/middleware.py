"""One audit row per request to an audited route (audit/catalog.py), written when the response is
ready so it carries the outcome, the user (also a token's, which DRF authenticates in the view)
and whatever the services added meanwhile (audit.services.audit_record merges into it).

Failed requests are recorded with outcome 4 (minor failure) when a user was logged in or a
credential was presented. Anonymous requests that present nothing are not recorded: they never
reach patient data (the role matrix tests say so), and recording them would let anyone on the
network grow an append-only table without limit. Failed logins are recorded by the receivers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from audit import catalog, context
from audit.objects import objects_for
from audit.services import AuditUnavailable, event_write

logger = logging.getLogger(__name__)


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the address a trusted proxy (AUDIT_TRUSTED_PROXIES) forwarded for."""
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.AUDIT_TRUSTED_PROXIES
    if not trusted or remote not in trusted:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if address not in trusted:
            return address[:64]
    return remote


def _request_user(request: HttpRequest) -> Any:
    """The request's user: DRF views set it from a token too; plain views that read a token
    themselves (the worklist's live stream) leave it anonymous, so the token is looked up here."""
    user = getattr(request, "user", None)
    if (user is None or not user.is_authenticated) and "HTTP_AUTHORIZATION" in request.META:
        from rest_framework.exceptions import AuthenticationFailed

        from accounts.authentication import BearerTokenAuthentication

        try:
            found = BearerTokenAuthentication().authenticate(request)
        except AuthenticationFailed:
            return user
        if found is not None:
            return found[0]
    return user


def _outcome(status: int) -> tuple[int, str]:
    if status < 400:
        return 0, ""
    if status < 500:
        return 4, f"HTTP {status}"
    return 8, f"HTTP {status}"


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = context.RequestAudit(request=request, source=client_address(request))
        token = context.current.set(state)
        started = time.monotonic()
        try:
            response = self.get_response(request)
        finally:
            context.current.reset(token)
        if state.pending is None:
            return response
        return self._write(request, response, state, started)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: dict[str, Any]
    ) -> None:
        state = context.current.get()
        match = request.resolver_match
        if state is None or match is None or request.method == "OPTIONS":
            return None  # a CORS preflight or OPTIONS carries no data of anyone
        key = catalog.route_key(match.url_name, match.namespace, match.route)
        audited = catalog.lookup(key, request.method or "GET")
        if audited is not None:
            state.pending = context.PendingEvent(
                event=audited.event,
                action=audited.action_for(request.method or "GET"),
                event_type=audited.event_type,
            )
            state.extra = {"audited": audited, "kwargs": kwargs}
        return None

    def _write(
        self,
        request: HttpRequest,
        response: HttpResponse,
        state: context.RequestAudit,
        started: float,
    ) -> HttpResponse:
        user = _request_user(request)
        authenticated = bool(user is not None and user.is_authenticated)
        if not authenticated and "HTTP_AUTHORIZATION" not in request.META:
            return response
        pending = state.pending
        assert pending is not None
        outcome, description = _outcome(response.status_code)
        objects = objects_for(state.extra["audited"], state.extra["kwargs"], request)
        pending.merge(event_type="", outcome=outcome, description=description, objects=objects)
        if pending.omitted:
            pending.merge(
                event_type="",
                outcome=outcome,
                description=f"{pending.omitted} more objects not listed",
                objects=[],
            )
        try:
            event_write(
                event=pending.event,
                action=pending.action,
                outcome=pending.outcome,
                event_type=pending.event_type,
                user=user if authenticated else None,
                source=state.source,
                objects=pending.objects,
                description=pending.description,
                method=request.method or "",
                path=request.path,
                status=response.status_code,
                duration_ms=round((time.monotonic() - started) * 1000),
            )
        except AuditUnavailable as exc:
            if hasattr(response, "close"):
                response.close()
            return JsonResponse({"detail": exc.message, "code": exc.code}, status=exc.status)
        return response
