"""Browser tests: Debian's chromium driven by Python Playwright against the product's own web
server (gunicorn + uvicorn workers on the test database, `app_server` in tests/conftest.py).

`playwright install` is never needed. Chromium gets WebGL2 from SwiftShader (software), which
Cornerstone3D renders with. Screenshots go to test-artifacts/.

Playwright's sync API runs an event loop in the test's thread, and Django refuses ORM calls while
one runs: put data in place before opening the browser, and check the database after closing it
(or ask the HTTP API from the page's context, `page.request`).

Every page opened with `new_page` reports what the Content-Security-Policy refused (the
`securitypolicyviolation` event, and chromium's "Refused to …" console lines, which workers'
refusals show as); a test whose page reported one fails, so every page the browser tests visit is
shown to work under the policy.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

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


# What the pages of the running test reported; checked after each test.
_csp_violations: list[str] = []

CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline code"}` +
      ` (${event.sourceFile || document.location.href}:${event.lineNumber})`,
  );
});
"""


def watch_csp(context: BrowserContext) -> None:
    """Record the CSP violations of every page and worker of this browser context."""

    def violation(text: str) -> None:
        _csp_violations.append(text)

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            _csp_violations.append(message.text)

    context.expose_function("__cspViolation", violation)
    context.add_init_script(CSP_LISTENER)
    context.on("console", console)


@pytest.fixture(autouse=True)
def _no_csp_violations() -> Iterator[None]:
    """Fail a test whose pages reported that the Content-Security-Policy refused something."""
    _csp_violations.clear()
    yield
    reported = sorted(set(_csp_violations))
    _csp_violations.clear()
    assert not reported, "the Content-Security-Policy refused:\n" + "\n".join(reported)


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
    watch_csp(context)
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
