"""Login lockout (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one user name from
one address, both login forms refuse that pair for AXES_COOLOFF minutes, even the right password.

Counted per user name and address together, so one attacker cannot lock everybody out by name,
and a shared workstation's other users still sign in. The address is REMOTE_ADDR (what the server
or the reverse proxy in front of it connects from), never a header a client could set.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

MESSAGE = "Too many failed sign-ins for this user name from this computer."


class LoginLockoutBackend(AxesStandaloneBackend):
    """Axes' check before the password is looked at, for calls that come with a request.

    A call without one (Django's test client `login`, scripts) is no login form and has no
    address to count by; Axes would raise, this lets the next backend decide as before.
    """

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, *args: Any, **kwargs: Any
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """429 saying when to try again: a page for a browser, JSON for an API client."""
    cool_off: dt.timedelta = settings.AXES_COOLOFF_TIME
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60))
    until = timezone.now() + cool_off  # each refused try starts the wait again
    retry = f"Try again in {minutes} minutes, after {until:%H:%M} UTC."
    if "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse(
            {"detail": f"{MESSAGE} {retry}", "retry_after_seconds": int(cool_off.total_seconds())},
            status=429,
        )
    else:
        response = render(
            request,
            "registration/lockout.html",
            {"message": MESSAGE, "retry": retry, "login_url": settings.LOGIN_URL},
            status=429,
        )
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
