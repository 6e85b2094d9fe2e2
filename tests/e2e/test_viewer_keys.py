"""Keys on the reading page: "?" opens the shortcut help, and Esc asks before it leaves the
study and gives its claim back; cancelling keeps the study open and the claim held.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import launch_chromium, new_page, screenshot
from tests.e2e.test_reading import api_json, open_study
from tests.e2e.test_viewer_windowing import stored_study

pytestmark = pytest.mark.django_db(transaction=True)

CHEST_CR = "cr_dx/highdicom_dx_chest_veterinary.dcm"


def test_question_mark_opens_the_shortcut_help_in_the_viewer(
    app_server: str, make_user: Callable[..., object]
) -> None:
    make_user("radiologist")
    uid = stored_study(CHEST_CR)

    with launch_chromium() as browser:
        page = new_page(browser)
        open_study(page, app_server, "radiologist-user", uid)
        page.keyboard.press("?")
        help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
        expect(help_dialog).to_be_visible()
        # The reading keys come first, with this reader's keys.
        expect(help_dialog.locator("caption").first).to_have_text("Reading a study")
        expect(help_dialog.locator('tr[data-action="viewer.invert"] kbd')).to_have_text("i")
        screenshot(page, "viewer-shortcut-help")
        # Esc closes the help, and only the help: the study stays open and claimed.
        page.keyboard.press("Escape")
        expect(help_dialog).to_have_count(0)
        expect(page.get_by_role("dialog")).to_have_count(0)
        expect(page).to_have_url(f"{app_server}/read/{uid}")
        expect(page.get_by_test_id("claim-status")).to_have_text("You are reading this study.")


def test_escape_asks_before_leaving_and_cancel_keeps_the_claim(
    app_server: str, make_user: Callable[..., object]
) -> None:
    make_user("radiologist")
    uid = stored_study(CHEST_CR)
    entry_url = f"{app_server}/api/worklist/{uid}"

    with launch_chromium() as browser:
        page = new_page(browser)
        open_study(page, app_server, "radiologist-user", uid)
        expect(page.get_by_test_id("claim-status")).to_have_text("You are reading this study.")

        page.keyboard.press("Escape")
        confirm = page.get_by_role("dialog", name="Leave this study?")
        expect(confirm).to_be_visible()
        screenshot(page, "viewer-leave-confirm")
        confirm.get_by_role("button", name="Stay").click()
        expect(confirm).to_have_count(0)
        expect(page).to_have_url(f"{app_server}/read/{uid}")
        expect(page.get_by_test_id("claim-status")).to_have_text("You are reading this study.")
        assert api_json(page, entry_url)["claim"]["by"] == "radiologist-user"

        # Esc in the question cancels it too.
        page.keyboard.press("Escape")
        expect(confirm).to_be_visible()
        page.keyboard.press("Escape")
        expect(confirm).to_have_count(0)
        expect(page).to_have_url(f"{app_server}/read/{uid}")
        assert api_json(page, entry_url)["claim"]["by"] == "radiologist-user"

        page.keyboard.press("Escape")
        confirm.get_by_role("button", name="Leave").click()
        expect(page).to_have_url(f"{app_server}/worklist")
        page.wait_for_function(
            f"fetch('{entry_url}').then(r => r.json()).then(e => e.claim === null)"
        )
