"""The home page: the built browser front end (frontend/dist/index.html) for logged-in users."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

BUILD_COMMAND = "npm --prefix frontend ci && npm --prefix frontend run build"

MISSING_BUILD_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Front end not built</title>
<style>body{{font:14px system-ui,sans-serif;background:#0f1115;color:#e3e7ec;margin:3em}}
code{{background:#1d222a;padding:2px 6px;border-radius:3px}}</style></head>
<body><h1>The browser front end has not been built</h1>
<p>Build it once from the repository root, then reload this page:</p>
<p><code>{BUILD_COMMAND}</code></p></body></html>
"""


def frontend_index_path() -> Path:
    return Path(settings.BASE_DIR) / "frontend" / "dist" / "index.html"


@require_safe
@never_cache
@login_required
def home(request: HttpRequest, **_route: str) -> HttpResponse:
    """Serve the single-page app; 503 with the build command when frontend/dist is missing."""
    try:
        html = frontend_index_path().read_text(encoding="utf-8")
    except FileNotFoundError:
        return HttpResponse(MISSING_BUILD_PAGE, status=503)
    # Sets the csrftoken cookie, which the page's sign-out form (a POST) sends back.
    get_token(request)
    return HttpResponse(html)
