"""The archive browser in a real browser: sign in, list, search, open a study's series."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import SHARED_DICOM
from tests.e2e.conftest import launch_chromium, new_page, screenshot, sign_in

CT_3_SLICES = sorted((SHARED_DICOM / "ct" / "dcmqi_ct_3slice").glob("*.dcm"))
OTHER_STUDIES = [
    SHARED_DICOM / "ct" / "pydicom_CT_small.dcm",
    SHARED_DICOM / "cr_dx" / "highdicom_dx_chest_veterinary.dcm",
]


@pytest.fixture
def archive(transactional_db: None, ingest_file: Callable[[Path], object]) -> None:
    for path in [*CT_3_SLICES, *OTHER_STUDIES]:
        ingest_file(path)


def test_a_radiologist_searches_the_archive_and_opens_a_study(
    app_server: str,
    archive: None,
    make_user: Callable[..., object],
) -> None:
    make_user("radiologist")
    with launch_chromium() as browser:
        page = new_page(browser)
        sign_in(page, app_server, "radiologist-user", next_path="/archive")
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

        screenshot(page, "archive-browser")

        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(f"{app_server}/accounts/login/")


def test_a_role_without_archive_access_is_told_so(
    app_server: str,
    archive: None,
    make_user: Callable[..., object],
) -> None:
    make_user("annotator")
    with launch_chromium() as browser:
        page = new_page(browser)
        sign_in(page, app_server, "annotator-user")
        expect(page.get_by_role("alert")).to_contain_text("Your role cannot read the archive.")
        screenshot(page, "archive-browser-forbidden")
