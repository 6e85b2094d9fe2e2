"""The turnaround dashboard in a real browser: after some reads, charts drawn with Chart.js and
tables with the same numbers, for a period chosen in the page and kept in the address."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e.conftest import launch_chromium, new_page, screenshot, sign_in
from tests.triage.studies import waiting_study

pytestmark = pytest.mark.django_db(transaction=True)

# The chart's colour for the median wait (turnaroundChart.ts): its bars must be on the canvas.
WAIT_MEDIAN_RGB = (90, 169, 255)


COUNT_PIXELS = """(canvas, [r, g, b]) => {
    const { width, height } = canvas;
    const { data } = canvas.getContext("2d").getImageData(0, 0, width, height);
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
        const same = data[i] === r && data[i + 1] === g && data[i + 2] === b;
        if (same && data[i + 3] === 255) count++;
    }
    return count;
}"""


def painted_pixels(page: Page, figure_test_id: str, rgb: tuple[int, int, int]) -> int:
    """How many pixels of the figure's canvas have exactly this colour."""
    canvas = page.get_by_test_id(figure_test_id).locator("canvas")
    return canvas.evaluate(COUNT_PIXELS, list(rgb))


def test_the_dashboard_charts_turnaround_after_reads(
    app_server: str, make_user: Callable[..., object]
) -> None:
    from triage.models import WorklistEntry
    from triage.services.reads import worklist_entry_read

    reader = make_user("radiologist")
    make_user("reviewer")
    stat = waiting_study(0, RequestedProcedurePriority="STAT")
    routine = waiting_study(1)
    waiting_study(2, minutes_ago=1)
    for study in (stat, routine):
        worklist_entry_read(entry=study.worklist_entry, user=reader, verdict=None)
    # Exact times (minutes ago) for exact figures: received, first opened, read.
    now = timezone.now()
    for study, (received, opened, read) in ((stat, (20, 10, 0)), (routine, (60, 5, 0))):
        WorklistEntry.objects.filter(study=study).update(
            received_at=now - dt.timedelta(minutes=received),
            first_opened_at=now - dt.timedelta(minutes=opened),
            read_at=now - dt.timedelta(minutes=read),
        )

    with launch_chromium() as browser:
        page = new_page(browser)
        sign_in(page, app_server, "reviewer-user", next_path="/dashboard")
        expect(page.get_by_role("heading", name="Turnaround")).to_be_visible()
        expect(page.get_by_test_id("studies-read")).to_have_text("2")
        expect(page.get_by_test_id("waiting-now")).to_have_text("1")

        by_priority = page.get_by_test_id("by-priority")
        expect(by_priority).to_have_attribute("data-rendered", "true")
        stat_row = by_priority.locator('tr[data-group="STAT"]')
        # Studies, then wait, read and turnaround (median, p90) in minutes: 10 + 10 = 20.
        expect(stat_row.locator("td")).to_have_text(
            ["1", "10.0", "10.0", "10.0", "10.0", "20.0", "20.0"]
        )
        expect(by_priority.locator('tr[data-group="ROUTINE"] td').nth(1)).to_have_text("55.0")
        expect(by_priority.locator('tr[data-group="ASAP"] td')).to_have_text(["0", *["\u2014"] * 6])
        by_ai = page.get_by_test_id("by-ai")
        expect(by_ai).to_have_attribute("data-rendered", "true")
        expect(by_ai.locator('tr[data-group="off"] td').first).to_have_text("2")

        # Chart.js drew the bars (software rendering in headless chromium).
        assert painted_pixels(page, "by-priority", WAIT_MEDIAN_RGB) > 100
        assert painted_pixels(page, "by-ai", WAIT_MEDIAN_RGB) > 100
        screenshot(page, "dashboard")

        page.get_by_label("last 90 days").check()
        expect(page).to_have_url(re.compile(r"/dashboard\?days=90$"))
        expect(page.get_by_test_id("studies-read")).to_have_text("2")
        page.reload()
        expect(page.get_by_label("last 90 days")).to_be_checked()


def test_a_role_without_the_worklist_is_told_so(
    app_server: str, make_user: Callable[..., object]
) -> None:
    make_user("annotator")
    with launch_chromium() as browser:
        page = new_page(browser)
        sign_in(page, app_server, "annotator-user", next_path="/dashboard")
        expect(page.get_by_role("alert")).to_have_text(
            re.compile("Your role may not see the turnaround dashboard.")
        )
        expect(page.get_by_role("link", name="Dashboard")).to_have_count(0)
