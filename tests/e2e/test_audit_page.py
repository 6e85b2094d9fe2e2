"""The audit page in a real browser (issue 13's Tests line): a reviewer opens a study in the
viewer, then an admin finds that look on the audit page, filtered by the reviewer's name and then
by the study, downloads the same rows as CSV; a radiologist is refused the page.

Data is put in place before the browser opens (Django refuses ORM calls while Playwright's
event loop runs).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from archive.models import Study
from tests.e2e.conftest import launch_chromium, new_page, screenshot, sign_in
from tests.e2e.test_viewer_windowing import stored_study

pytestmark = pytest.mark.django_db(transaction=True)

AUDIT = "/audit"
REVIEWER = "reviewer-user"
VIEWER_READY_MS = 60_000


def reviewer_views(page: Page, base_url: str, uid: str) -> None:
    """The reviewer opens the study in the viewer and waits until every request has answered
    (each audited request's row is written before its response leaves the server)."""
    sign_in(page, base_url, REVIEWER, next_path=f"/read/{uid}")
    # Cornerstone3D's first image on a shared CPU with software WebGL can outlast 5 s.
    viewer = page.locator(".reading-viewer")
    expect(viewer).to_have_attribute("data-ready", "true", timeout=VIEWER_READY_MS)
    page.wait_for_load_state("networkidle")
    page.context.close()


def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def table_rows(page: Page) -> list[str]:
    """The audit table's rows as the admin reads them, all pages loaded."""
    more = page.get_by_role("button", name="Load more")
    while more.is_visible():
        more.click()
        expect(page.get_by_role("status")).not_to_have_text("Loading audit events…")
    return page.get_by_test_id("audit-events").locator("tbody tr").all_inner_texts()


def test_an_admin_finds_the_reviewers_look_at_a_study_and_downloads_it(
    app_server: str, make_user: Callable[..., object]
) -> None:
    make_user("reviewer")
    make_user("admin")
    uid = stored_study("cr_dx/highdicom_dx_chest_veterinary.dcm")
    patient = Study.objects.select_related("patient").get(study_instance_uid=uid).patient
    patient_id = patient.patient_id
    patient_shown = "Dog, AVeryGood"  # Dog^AVeryGood as the page writes a person's name
    assert patient.patient_name == "Dog^AVeryGood"

    with launch_chromium() as browser:
        reviewer_views(new_page(browser), app_server, uid)

        page = new_page(browser)
        page.on("pageerror", lambda error: print(f"page error: {error}"))
        sign_in(page, app_server, "admin-user", next_path=AUDIT)
        expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
        tab = page.get_by_role("link", name="Audit", exact=True)
        expect(tab).to_have_attribute("aria-current", "page")
        expect(page.get_by_text("Coded as DICOM PS3.15 Annex A.5")).to_be_visible()

        # Filter by the reviewer's name: the address bar keeps it, every row is the reviewer's.
        page.get_by_label("User", exact=True).fill(REVIEWER)
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_role("status")).to_contain_text("shown")
        assert query_of(page) == {"user": [REVIEWER]}
        table = page.get_by_test_id("audit-events")
        rows = table.locator("tbody tr")
        viewer_open = rows.filter(has_text=f"GET /read/{uid}")
        expect(viewer_open).to_have_count(1)
        expect(viewer_open).to_contain_text("DICOM Instances Accessed")
        expect(viewer_open).to_contain_text("Read")
        expect(viewer_open).to_contain_text("Success")
        expect(viewer_open).to_contain_text(f"Patient {patient_shown} ({patient_id})")
        expect(viewer_open).to_contain_text(f"Study {uid}")
        expect(rows.filter(has_text=f"/dicomweb/studies/{uid}/").first).to_be_visible()
        for text in table_rows(page):
            assert REVIEWER in text and "reviewer" in text
        screenshot(page, "audit-by-user")

        # A click on the study in the viewer-open row narrows to that study (and keeps the user).
        viewer_open.get_by_role("button", name=f"Study {uid}").click()
        expect(page.get_by_label("Study UID", exact=True)).to_have_value(uid)
        expect(page.get_by_label("Study UID", exact=True)).to_be_focused()
        expect(page).to_have_url(re.compile(rf"study={re.escape(uid)}"))
        assert query_of(page) == {"user": [REVIEWER], "study": [uid]}
        expect(rows.filter(has_text=f"GET /read/{uid}")).to_have_count(1)
        shown = table_rows(page)
        shown_ids = rows.evaluate_all("rows => rows.map((row) => row.dataset.eventId)")
        assert shown, "no event of the study is shown"
        # The viewer's DICOMweb reads of the study: its metadata and its pixels.
        assert any(f"GET /dicomweb/studies/{uid}/series/" in text for text in shown), shown
        assert any("/metadata" in text for text in shown), shown
        for text in shown:
            assert uid in text and patient_id in text and REVIEWER in text, text
        screenshot(page, "audit-by-study")

        # The bookmarked view: a reload opens the same filters and rows.
        page.reload()
        expect(page.get_by_label("User", exact=True)).to_have_value(REVIEWER)
        expect(page.get_by_label("Study UID", exact=True)).to_have_value(uid)
        expect(page.get_by_role("status")).to_contain_text("shown")
        assert table_rows(page) == shown

        # The CSV download holds the same rows, with the same filters.
        download_link = page.get_by_role("link", name="Download CSV")
        assert parse_qs(urlsplit(download_link.get_attribute("href") or "").query) == {
            "user": [REVIEWER],
            "study": [uid],
        }
        with page.expect_download() as download_info:
            download_link.click()
        download = download_info.value
        assert download.failure() is None
        with open(download.path(), encoding="utf-8", newline="") as file:
            records = list(csv.DictReader(io.StringIO(file.read())))

    # The same events in the same order (newest first), and what the table said of them.
    assert [record["id"] for record in records] == shown_ids
    assert all(record["username"] == REVIEWER for record in records)
    assert all(record["studies"] == uid for record in records)
    assert all(patient_id in record["patients"] for record in records)
    assert [record["path"] for record in records].count(f"/read/{uid}") == 1


def test_a_radiologist_is_refused_the_audit_page(
    app_server: str, make_user: Callable[..., object]
) -> None:
    make_user("radiologist")

    with launch_chromium() as browser:
        page = new_page(browser)
        sign_in(page, app_server, "radiologist-user", next_path=AUDIT)
        expect(page.get_by_role("alert")).to_have_text(
            re.compile("Your role may not see the audit log.")
        )
        expect(page.get_by_role("link", name="Audit", exact=True)).to_have_count(0)
        expect(page.get_by_test_id("audit")).to_have_count(0)
        # The server refuses the same person the events and their CSV.
        assert page.request.get(f"{app_server}/api/audit/events").status == 403
        assert page.request.get(f"{app_server}/api/audit/events.csv").status == 403


def test_older_events_load_on_demand_failures_stand_out_and_a_bad_filter_is_explained(
    app_server: str, make_user: Callable[..., object]
) -> None:
    from django.contrib.auth.models import User

    from audit.services import audit_record, patient, study

    make_user("admin")
    make_user("reviewer")
    reviewer = User.objects.get(username=REVIEWER)
    for n in range(60):
        audit_record(
            event="patient_record",
            action="R",
            user=reviewer,
            source="10.0.0.7",
            objects=[patient(f"P{n:03d}", "Doe^Jane"), study(f"1.2.826.0.1.3680043.9.{n}")],
        )
    audit_record(
        event="instances_accessed",
        action="R",
        outcome=4,
        user=reviewer,
        source="10.0.0.7",
        description="HTTP 403",
        objects=[study("1.2.826.0.1.3680043.9.999")],
    )

    with launch_chromium() as browser:
        page = new_page(browser)
        sign_in(page, app_server, "admin-user", next_path=f"{AUDIT}?user={REVIEWER}")
        rows = page.get_by_test_id("audit-events").locator("tbody tr")
        status = page.get_by_role("status")
        # A page of 50, newest first: the refused access on top, marked as a failure.
        expect(rows).to_have_count(50)
        expect(status).to_have_text("50 events shown; Load more for older ones.")
        expect(rows.first).to_contain_text("✗ Minor failure")
        expect(rows.first).to_contain_text("HTTP 403")
        expect(rows.first).to_have_class(re.compile("is-failure"))
        expect(rows.nth(1)).not_to_have_class(re.compile("is-failure"))
        page.get_by_role("button", name="Load more").click()
        expect(rows).to_have_count(61)
        expect(status).to_have_text("61 events shown, the oldest last.")
        expect(page.get_by_role("button", name="Load more")).to_be_hidden()
        expect(rows.last).to_contain_text("Patient Doe, Jane (P000)")

        # Only the failures: the outcome from the vocabulary's words.
        page.get_by_label("Outcome", exact=True).select_option(label="Minor failure")
        page.get_by_role("button", name="Filter").click()
        expect(rows).to_have_count(1)
        assert query_of(page) == {"user": [REVIEWER], "outcome": ["4"]}

        # A patient by name finds their events; one nobody has, an empty state in words.
        page.get_by_role("button", name="Clear").click()
        expect(rows).not_to_have_count(0)
        page.get_by_label("Patient (ID or name)", exact=True).fill("P007")
        page.keyboard.press("Enter")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("P007")
        page.get_by_label("Patient (ID or name)", exact=True).fill("nobody-has-this-id")
        page.keyboard.press("Enter")
        expect(page.get_by_text("No audit event matches these filters.")).to_be_visible()
        expect(page.get_by_test_id("audit-events")).to_be_hidden()

        # A time the server cannot read: its own words, not a blank page.
        page.goto(f"{app_server}{AUDIT}?since=yesterday")
        expect(page.get_by_role("alert")).to_contain_text("since")
        expect(page.get_by_label("From", exact=True)).to_have_value("")
