"""Browser tests: Debian's chromium driven by Python Playwright against the product's own web
server (gunicorn + uvicorn workers on the test database, `app_server` in tests/conftest.py).

`playwright install` is never needed. Chromium gets WebGL2 from SwiftShader (software), which
Cornerstone3D renders with. Screenshots go to test-artifacts/.

Playwright's sync API runs an event loop in the test's thread, and Django refuses ORM calls while
one runs: put data in place before opening the browser, and check the database after closing it
(or ask the HTTP API from the page's context, `page.request`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.frontend import ensure_frontend_built

# Fixtures shared with the triage tests: a small model trained once per session.
from tests.triage.conftest import active_model, small_model_file  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "pw-for-tests"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
]


@pytest.fixture(autouse=True)
def _frontend_built() -> None:
    """The front end as the sources say: built now when frontend/dist is older than them."""
    ensure_frontend_built()


def chromium_path() -> str:
    found = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
    if found is None:
        # A missing browser is a broken test machine, not a reason to pass: scripts/install adds it.
        pytest.fail("needs Debian's chromium: apt-get install -y chromium (scripts/install dev)")
    return found


@contextmanager
def launch_chromium() -> Iterator[Browser]:
    """Headless chromium with software WebGL2; closed on exit."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Browser) -> Page:
    """A page in its own context (its own cookies: one signed-in user per context)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def sign_in(page: Page, base_url: str, username: str, *, next_path: str = "/") -> None:
    """Sign in through the login form and land on `next_path`."""
    page.goto(f"{base_url}{next_path}")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}{next_path}")


def screenshot(page: Page, name: str) -> Path:
    """Save a screenshot as a test artefact (test-artifacts/<name>.png)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
