"""Reviewers and admins open a study to look at it: they view it without claiming it, see that
they view only, and get no error about a claim or measurements their role cannot have.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Response, expect

from tests.e2e.conftest import launch_chromium, new_page, screenshot
from tests.e2e.test_reading import api_json, canvas_stats, open_study
from tests.e2e.test_viewer_windowing import stored_study

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_a_reviewer_or_admin_views_the_study_without_claiming_it_and_sees_no_error(
    app_server: str, make_user: Callable[..., object], role: str
) -> None:
    make_user(role)
    uid = stored_study("cr_dx/highdicom_dx_chest_veterinary.dcm")

    with launch_chromium() as browser:
        page = new_page(browser)
        refused: list[str] = []

        def note_refusal(response: Response) -> None:
            if response.status in (401, 403):
                refused.append(f"{response.request.method} {response.url}: {response.status}")

        page.on("response", note_refusal)
        open_study(page, app_server, f"{role}-user", uid)
        status = page.get_by_test_id("claim-status")
        expect(status).to_contain_text("View only.")
        expect(status).to_contain_text(role)
        expect(page.locator(".reading-read")).to_have_count(0)
        assert canvas_stats(page)["std"] > 10
        # Past the point where the measurements would have been loaded and reported.
        page.wait_for_timeout(1500)
        expect(page.get_by_role("alert")).to_be_hidden()
        page.keyboard.press("w")  # no read key for a viewer
        page.keyboard.press("n")  # nor "next study", which claims one
        page.wait_for_timeout(500)
        expect(page.get_by_role("alert")).to_be_hidden()
        screenshot(page, f"viewer-view-only-{role}")
        entry = api_json(page, f"{app_server}/api/worklist/{uid}")

    assert refused == []
    assert entry["claim"] is None
    assert entry["status"] == "waiting"
