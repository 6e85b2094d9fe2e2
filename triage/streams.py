"""Live worklist updates: a Server-Sent Events stream of the worklist's change feed.

Each stream polls the WorklistEvent table (one indexed query every TRIAGE_EVENTS_POLL_SECONDS)
and sends what is new; browsers re-fetch the page they show. The table is the source, not an
in-memory bus, so changes made by Celery workers in other processes reach every web process, and
a browser that reconnects with Last-Event-ID gets what it missed.

Ids are allocated before commit, so a slow transaction can commit an id lower than one already
sent; a stream therefore also looks back over the last few seconds and sends any id it has not.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe
from rest_framework.exceptions import AuthenticationFailed

from accounts.authentication import BearerTokenAuthentication
from accounts.permissions import user_has_perm
from triage.models import WorklistEvent
from triage.selectors import worklist_event_last_id

logger = logging.getLogger(__name__)

# Longer than any transaction that writes an event: ids committed late are still sent.
LATE_COMMIT_SECONDS = 10.0
MAX_BATCH = 500


@require_safe
async def worklist_events(request: HttpRequest) -> HttpResponse:
    """GET /api/worklist/events: `ready` with the last id, then one `worklist` event per change."""
    try:
        user = await _stream_user(request)
    except AuthenticationFailed as exc:
        return JsonResponse({"detail": str(exc.detail)}, status=401)
    if not user.is_authenticated:
        return JsonResponse({"detail": "Sign in to follow the worklist."}, status=401)
    if not await sync_to_async(user_has_perm)(user, "triage.view_worklistentry"):
        return JsonResponse({"detail": "Your role may not see the worklist."}, status=403)
    if not isinstance(request, ASGIRequest):
        # A WSGI server would buffer the endless stream; the product runs ASGI (config/asgi.py).
        return JsonResponse(
            {"detail": "Live updates need the ASGI server (scripts/run starts it)."}, status=501
        )
    after = _last_event_id(request)
    response = StreamingHttpResponse(_stream(after), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response


async def _stream_user(request: HttpRequest) -> Any:
    """The API token's user when the request carries one (as the DRF APIs accept it), else the
    session's. The token lookup queries the database, so it runs in a thread."""
    by_token = await sync_to_async(BearerTokenAuthentication().authenticate)(request)
    if by_token is not None:
        return by_token[0]
    return await request.auser()


def _last_event_id(request: HttpRequest) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("after")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


async def _stream(after: int | None) -> AsyncIterator[str]:
    last_id = after if after is not None else await sync_to_async(worklist_event_last_id)()
    yield _message("ready", {"last_id": last_id})
    # Ids sent (or, at the start, already known to the client) within the late-commit window.
    sent: dict[int, dt.datetime] = await sync_to_async(_recent_ids)(last_id)
    idle = 0.0
    poll = settings.TRIAGE_EVENTS_POLL_SECONDS
    while True:
        fresh = await sync_to_async(_events_unsent)(last_id, set(sent))
        for event in fresh:
            sent[event.id] = event.created_at
            last_id = max(last_id, event.id)
            yield _message("worklist", _event_data(event), event_id=event.id)
        horizon = timezone.now() - dt.timedelta(seconds=LATE_COMMIT_SECONDS)
        sent = {key: at for key, at in sent.items() if at >= horizon}
        idle = 0.0 if fresh else idle + poll
        if idle >= settings.TRIAGE_EVENTS_KEEPALIVE_SECONDS:
            idle = 0.0
            yield ": keepalive\n\n"
        await asyncio.sleep(poll)


def _recent_ids(last_id: int) -> dict[int, dt.datetime]:
    window = timezone.now() - dt.timedelta(seconds=LATE_COMMIT_SECONDS)
    recent = WorklistEvent.objects.filter(created_at__gte=window, id__lte=last_id)
    return dict(recent.values_list("id", "created_at"))


def _events_unsent(last_id: int, sent: set[int]) -> list[WorklistEvent]:
    """Events after `last_id`, and late commits of lower ids within the window, by id."""
    window = timezone.now() - dt.timedelta(seconds=LATE_COMMIT_SECONDS)
    late = WorklistEvent.objects.filter(created_at__gte=window, id__lte=last_id).exclude(
        id__in=sent
    )
    newer = WorklistEvent.objects.filter(id__gt=last_id).order_by("id")[:MAX_BATCH]
    return sorted([*late, *newer], key=lambda event: event.id)


def _event_data(event: WorklistEvent) -> dict[str, object]:
    return {
        "id": event.id,
        "kind": event.kind,
        "study_instance_uid": event.study_instance_uid,
        "by": event.actor or None,
        "at": event.created_at.isoformat(),
    }


def _message(event: str, data: dict[str, object], *, event_id: int | None = None) -> str:
    lines = [f"id: {event_id}"] if event_id is not None else []
    lines += [f"event: {event}", f"data: {json.dumps(data)}"]
    return "\n".join(lines) + "\n\n"
