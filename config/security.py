"""What a browser session may last and what a browser may keep.

SessionLimitsMiddleware signs a browser session out after SESSION_IDLE_SECONDS without a request,
and SESSION_COOKIE_AGE after it signed in, however active (Django's own expiry slides forward at
every save, so it is no absolute limit). API tokens are not sessions: a request that presents
one (Bearer or Token) is left alone.

Activity is written to the session at most once every ACTIVITY_WRITE_SECONDS: an open viewer
sends dozens of frame requests a second, and writing the session row for each would make every
one of them a database write. The recorded time may therefore lag the last request by up to a
minute, so a session can end up to a minute before SESSION_IDLE_SECONDS of true inactivity, never
after it.

NoStoreMiddleware sends `Cache-Control: no-store` with every answer under /api/ and /dicomweb/,
errors included (a 404 says a study is not there, itself private): patient data must not stay
in a browser's or a proxy's cache after the session ends. Nothing under those prefixes is
exempt: there is no health check there, and static assets (/static/, served by WhiteNoise with
long cache lifetimes, no patient data) are outside them. DICOMweb's own `private, max-age`
(an instance never changes under its UID) is overridden here: the viewer keeps what it decoded
in its own memory cache, which goes with the page.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse

# Seconds since the epoch, kept in the session.
LAST_ACTIVITY_KEY = "_last_activity"
SIGNED_IN_KEY = "_signed_in_at"
ACTIVITY_WRITE_SECONDS = 60
# Answers here may carry patient data (or API results derived from it).
PRIVATE_PREFIXES = ("/api/", "/dicomweb/")
TOKEN_SCHEMES = ("bearer", "token")


def idle_message(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"You were signed out after {minutes} minutes without activity. Sign in again."


def age_message(seconds: float) -> str:
    hours = round(seconds / 3600, 1)
    shown = int(hours) if hours == int(hours) else hours
    return f"You were signed out: a session lasts at most {shown} hours. Sign in again."


def session_end_reason(session: object, now: float) -> str | None:
    """Why this signed-in session has ended, or None while it is still valid."""
    last = session.get(LAST_ACTIVITY_KEY)  # type: ignore[attr-defined]
    signed_in = session.get(SIGNED_IN_KEY)  # type: ignore[attr-defined]
    idle = settings.SESSION_IDLE_SECONDS
    if last is not None and now - last > idle:
        return idle_message(idle)
    if signed_in is not None and now - signed_in > settings.SESSION_COOKIE_AGE:
        return age_message(settings.SESSION_COOKIE_AGE)
    return None


class SessionLimitsMiddleware:
    """Sign out idle and over-age browser sessions: 401 for the API and DICOMweb, a redirect to
    the login page (which says why) for pages. Needs the session, auth and messages middleware
    before it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _presents_token(request):
            return self.get_response(request)  # a token: no session to time out
        session = request.session
        now = time.time()
        if SESSION_KEY in session:
            reason = session_end_reason(session, now)
            if reason is not None:
                return self._signed_out(request, reason)
            if SIGNED_IN_KEY not in session:
                session[SIGNED_IN_KEY] = now  # a session from before these limits
            last = session.get(LAST_ACTIVITY_KEY)
            if last is None or now - last >= ACTIVITY_WRITE_SECONDS:
                session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)

    def _signed_out(self, request: HttpRequest, reason: str) -> HttpResponse:
        logout(request)
        # Shown by the login page the user lands on (a cookie: the session is gone).
        messages.info(request, reason, fail_silently=True)
        if request.path_info.startswith(PRIVATE_PREFIXES):
            response = JsonResponse({"detail": reason, "code": "session_expired"}, status=401)
            response["WWW-Authenticate"] = 'Bearer realm="api"'
            return response
        return redirect_to_login(request.get_full_path())


def session_clocks_start(request: HttpRequest | None, **_: object) -> None:
    """On login (user_logged_in): both limits count from now, also for a user signing in again
    in a session that was already theirs (login() keeps its data then)."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SIGNED_IN_KEY] = now
        request.session[LAST_ACTIVITY_KEY] = now


def _presents_token(request: HttpRequest) -> bool:
    """A Bearer or Token credential (accounts.authentication), valid or not: a bad one is refused
    there. Any other Authorization header would fall through to the session cookie, so it does
    not exempt the request from the session's limits."""
    scheme = request.headers.get("Authorization", "").split(" ", 1)[0].lower()
    return scheme in TOKEN_SCHEMES


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer under /api/ and /dicomweb/."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(PRIVATE_PREFIXES):
            response["Cache-Control"] = "no-store"
        return response
