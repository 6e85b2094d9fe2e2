"""The archive browser in a real browser: sign in, list, search, open a study's series.

Drives Debian's chromium (apt-get install chromium) through Python Playwright against
pytest-django's live server; `playwright install` is never needed. Screenshots go to
test-artifacts/.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from tests.conftest import SHARED_DICOM
from tests.frontend import ensure_frontend_built

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CT_3_SLICES = sorted((SHARED_DICOM / "ct" / "dcmqi_ct_3slice").glob("*.dcm"))
OTHER_STUDIES = [
    SHARED_DICOM / "ct" / "pydicom_CT_small.dcm",
    SHARED_DICOM / "cr_dx" / "highdicom_dx_chest_veterinary.dcm",
]


@pytest.fixture(autouse=True)
def _chromium_installed() -> None:
    # A missing browser is a broken test machine, not a reason to pass: scripts/install adds it.
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.fail("needs Debian's chromium: apt-get install -y chromium (scripts/install dev)")


@pytest.fixture
def served_frontend(settings: Any) -> Path:
    """Build the front end and let the live server's static handler find it.

    STATICFILES_DIRS is computed when settings load, before a fresh build exists; the
    `settings` fixture's change also clears the static finders' cache.
    """
    dist = ensure_frontend_built()
    settings.STATICFILES_DIRS = [dist]
    return dist


@pytest.fixture
def archive(transactional_db: None, ingest_file: Callable[[Path], object]) -> None:
    for path in [*CT_3_SLICES, *OTHER_STUDIES]:
        ingest_file(path)


@contextmanager
def browser_page() -> Iterator[Page]:
    # Playwright's sync API runs an event loop; Django refuses ORM calls while one runs, so the
    # browser lives only inside test bodies, after every fixture has touched the database.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    expect(page).to_have_url(f"{base_url}/accounts/login/?next=/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/")


def test_a_radiologist_searches_the_archive_and_opens_a_study(
    live_server: LiveServer,
    served_frontend: Path,
    archive: None,
    make_user: Callable[..., object],
) -> None:
    make_user("radiologist")
    with browser_page() as page:
        sign_in(page, live_server.url, "radiologist-user")
        expect(page.get_by_test_id("current-user")).to_contain_text("radiologist-user")

        rows = page.locator("table.studies tbody tr")
        expect(rows).to_have_count(3)
        expect(page.locator(".pager-position")).to_have_text("Studies 1\u20133")

        # Arrow keys move between rows; Enter opens the focused one.
        rows.first.focus()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        expect(rows.nth(1)).to_have_attribute("aria-current", "true")
        expect(page.locator(".series-panel .series-item")).not_to_have_count(0)

        # The patient name search is a prefix search: a wildcard is appended.
        page.get_by_label("Patient name").fill("JANCT")
        page.get_by_role("button", name="Search").click()
        expect(rows).to_have_count(1)
        page.get_by_role("button", name="Clear").click()
        expect(rows).to_have_count(3)

        page.get_by_label("Patient ID").fill("99000")
        page.get_by_label("Patient ID").press("Enter")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("JANCT000")
        expect(rows.first).to_contain_text("2003-04-17")
        expect(rows.first).to_contain_text("1 / 3")

        # Keyboard: the first row takes focus, Enter opens it.
        rows.first.focus()
        page.keyboard.press("Enter")
        series = page.locator(".series-panel .series-item")
        expect(series).to_have_count(1)
        expect(series.first).to_contain_text("CT")
        expect(series.first).to_contain_text("3 instances")
        expect(rows.first).to_have_attribute("aria-current", "true")
        # A thumbnail, or the neutral placeholder while the server cannot render one.
        expect(series.first.locator(".thumb")).not_to_have_count(0)

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "archive-browser.png"), full_page=True)

        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(f"{live_server.url}/accounts/login/")


def test_a_role_without_archive_access_is_told_so(
    live_server: LiveServer,
    served_frontend: Path,
    archive: None,
    make_user: Callable[..., object],
) -> None:
    make_user("annotator")
    with browser_page() as page:
        sign_in(page, live_server.url, "annotator-user")
        expect(page.get_by_role("alert")).to_contain_text("Your role cannot read the archive.")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "archive-browser-forbidden.png"))
