"""The archive browser in a real browser: sign in, list with the total, search, open a study's
series, open it in the reading viewer; and every role's landing page and tabs, none refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response, expect

from tests.conftest import SHARED_DICOM
from tests.e2e.conftest import launch_chromium, new_page, screenshot, sign_in
from tests.triage.studies import stable

CT_3_SLICES = sorted((SHARED_DICOM / "ct" / "dcmqi_ct_3slice").glob("*.dcm"))
OTHER_STUDIES = [
    SHARED_DICOM / "ct" / "pydicom_CT_small.dcm",
    SHARED_DICOM / "cr_dx" / "highdicom_dx_chest_veterinary.dcm",
]


@pytest.fixture
def archive(transactional_db: None, ingest_file: Callable[[Path], object]) -> None:
    from archive.models import Study

    for path in [*CT_3_SLICES, *OTHER_STUDIES]:
        ingest_file(path)
    # Stable, so on the worklist as the archive's signal puts them: the viewer reads them there.
    for study in Study.objects.all():
        stable(study)


def refused_requests(page: Page) -> list[str]:
    """API and DICOMweb requests the server answers with an error, as the page makes them."""
    refused: list[str] = []

    def check(response: Response) -> None:
        path = response.url.split("//", 1)[-1].split("/", 1)[-1]
        if response.status >= 400 and path.startswith(("api/", "dicomweb/")):
            refused.append(f"{response.status} {response.request.method} /{path}")

    page.on("response", check)
    return refused


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
        expect(page.locator(".pager-position")).to_have_text("Studies 1\u20133 of 3")
        expect(page.get_by_role("button", name="Next")).to_be_disabled()

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

        # The open study goes to the reading viewer, as from the worklist.
        uid = rows.first.get_attribute("data-study-uid")
        viewer_link = page.locator(".series-panel").get_by_role("link", name="Open in viewer")
        expect(viewer_link).to_have_attribute("href", f"/read/{uid}")
        row_link = rows.first.get_by_role("link", name="Open JANCT000")
        expect(row_link).to_have_attribute("href", f"/read/{uid}")
        row_link.click()
        expect(page).to_have_url(f"{app_server}/read/{uid}")
        expect(page.locator(".reading-viewer")).to_have_attribute("data-ready", "true")
        expect(page.get_by_test_id("claim-status")).to_have_text("You are reading this study.")
        page.go_back()
        expect(page).to_have_url(f"{app_server}/archive?pid=99000")

        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(f"{app_server}/accounts/login/")


def test_an_annotator_lands_on_the_annotation_workspace_and_not_the_archive(
    app_server: str,
    archive: None,
    make_user: Callable[..., object],
) -> None:
    make_user("annotator")
    with launch_chromium() as browser:
        page = new_page(browser)
        refused = refused_requests(page)
        sign_in(page, app_server, "annotator-user")

        # No case is waiting for them here: the workspace says so instead of showing an image.
        expect(page.locator("#app")).to_have_attribute("data-page", "annotate")
        expect(page.get_by_test_id("annotate-empty")).to_contain_text(
            "Nothing is left for you to label"
        )
        tabs = page.get_by_role("navigation", name="Sections").get_by_role("link")
        expect(tabs).to_have_text(["Annotate", "Shortcuts"])
        expect(tabs.first).to_have_attribute("aria-current", "page")
        screenshot(page, "annotate-empty-annotator")

        # Typed in by hand, the archive says no without asking the server.
        page.goto(f"{app_server}/archive")
        expect(page.get_by_role("alert")).to_contain_text("Your role may not read the archive.")
        expect(page.locator("table.studies")).to_have_count(0)
        assert refused == []

        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(f"{app_server}/accounts/login/")


# Where "/" leads each role that uses the browser.
LANDING = {
    "radiologist": "worklist",
    "reviewer": "worklist",
    "admin": "worklist",
    "annotator": "annotate",
}


def test_no_role_meets_a_refused_request_on_its_landing_page_or_its_tabs(
    app_server: str,
    archive: None,
    make_user: Callable[..., object],
) -> None:
    for role in LANDING:
        make_user(role)
    with launch_chromium() as browser:
        for role, landing in LANDING.items():
            page = new_page(browser)
            refused = refused_requests(page)
            sign_in(page, app_server, f"{role}-user")
            expect(page.locator("#app")).to_have_attribute("data-page", landing)
            tabs = page.get_by_role("navigation", name="Sections").get_by_role("link")
            for name in tabs.all_inner_texts():
                tabs.filter(has_text=name).click()
                expect(tabs.filter(has_text=name)).to_have_attribute("aria-current", "page")
                page.wait_for_timeout(500)  # let the page's first requests answer
            assert refused == [], role
            page.context.close()
