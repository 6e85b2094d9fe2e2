"""The worklist in a real browser: priority order with its reasons, server-side filters, sort,
search and paging kept in the address, live updates, the keyboard, claims between two readers,
and a changed shortcut.

Data is put in place before the browser opens (Django refuses ORM calls while Playwright's
event loop runs); during a test, studies arrive over HTTP (STOW-RS) as from a modality.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydicom
import pytest
import requests
from playwright.sync_api import Locator, Page, expect
from pydicom.uid import generate_uid

from tests.archive.stow_helpers import multipart_body
from tests.e2e.conftest import launch_chromium, new_page, screenshot, sign_in
from tests.triage.conftest import register
from tests.triage.studies import (
    chest_images,
    dx_bytes,
    image_with_label,
    score_now,
    stable,
    store,
    waiting_study,
)

pytestmark = pytest.mark.django_db(transaction=True)


def rows(page: Page) -> Locator:
    return page.locator("table.worklist tbody tr")


def row_of(page: Page, uid: str) -> Locator:
    return page.locator(f'table.worklist tbody tr[data-study-uid="{uid}"]')


def open_worklist(page: Page, base_url: str, username: str) -> None:
    sign_in(page, base_url, username, next_path="/worklist")
    expect(page.locator(".live-indicator")).to_have_text("Live")


def expect_first_rows(page: Page, *uids: str) -> None:
    for index, uid in enumerate(uids):
        expect(rows(page).nth(index)).to_have_attribute("data-study-uid", uid)


def numbered_study(n: int, *, minutes_ago: float, **attributes: Any):
    """A study of its own (fresh UIDs, patient E2E<n>, accession ACC<n>) from chest image n % 40."""
    image = chest_images()[n % len(chest_images())]
    data = dx_bytes(
        image,
        StudyInstanceUID=generate_uid(),
        SeriesInstanceUID=generate_uid(),
        SOPInstanceUID=generate_uid(),
        PatientID=f"E2E{n:04d}",
        AccessionNumber=f"ACC{n:04d}",
        **attributes,
    )
    return stable(store(data), received_minutes_ago=minutes_ago)


def threshold_between(weights: Path, *images: Any) -> float:
    """The midpoint of the model's own scores for two images: it flags one and not the other."""
    from ml.core.inference import ChestXrayInference, score_datasets
    from ml.core.spec import Calibration, InputSpec

    inference = ChestXrayInference.load(weights, spec=InputSpec(), calibration=Calibration())
    datasets = [pydicom.dcmread(io.BytesIO(dx_bytes(image))) for image in images]
    scores = [frames[0].calibrated for frames in score_datasets(datasets, inference=inference)]
    assert scores[0] != scores[1], "the two images score the same: pick others"
    return sum(scores) / 2


def test_the_worklist_is_in_priority_order_and_says_why(
    app_server: str, make_user: Callable[..., object], small_model_file: Path
) -> None:
    make_user("radiologist")
    pneumonia, normal = image_with_label(1), image_with_label(0)
    model = register(
        small_model_file, threshold=threshold_between(small_model_file, pneumonia, normal)
    )
    # STAT, waiting 13 of its 15 minutes (its AI score still pending); two routine studies just
    # in, one of which the model flags.
    stat = waiting_study(2, minutes_ago=13, RequestedProcedurePriority="STAT")
    scored = [score_now(stable(store(dx_bytes(image)))) for image in (pneumonia, normal)]
    entries = {study.worklist_entry.ai_status: study for study in scored}
    flagged, unflagged = entries["positive"], entries["negative"]

    with launch_chromium() as browser:
        page = new_page(browser)
        open_worklist(page, app_server, "radiologist-user")

        expect_first_rows(
            page, stat.study_instance_uid, flagged.study_instance_uid, unflagged.study_instance_uid
        )
        expect(rows(page).nth(0).locator(".badge")).to_have_text("STAT")
        expect(rows(page).nth(0).locator(".ai-flag")).to_have_text("pending")
        expect(rows(page).nth(1).locator(".ai-flag")).to_have_text(re.compile(r"^flagged 0\.\d\d$"))
        expect(rows(page).nth(2).locator(".ai-flag")).to_have_text(
            re.compile(r"^negative 0\.\d\d$")
        )
        expect(rows(page).nth(0).locator(".cell-due")).to_have_text(
            re.compile(r"^due in \d+ (s|min)$")
        )
        expect(page.locator(".pager-position")).to_have_text("Studies 1\u20133 of 3")
        expect(page.locator(".banner")).to_be_hidden()  # the model ranks: no FIFO banner

        # The first row is selected; the details panel gives the reasons for its place.
        expect(rows(page).nth(0)).to_have_attribute("aria-selected", "true")
        reasons = page.get_by_test_id("reasons")
        expect(reasons).to_contain_text("Requested Procedure Priority")
        rows(page).nth(1).click()
        expect(rows(page).nth(1)).to_have_attribute("aria-selected", "true")
        expect(reasons).to_contain_text(model.label)
        expect(page.locator(".details-panel")).to_contain_text("AI flags pneumonia")
        screenshot(page, "worklist")


def test_filters_sort_search_and_paging_run_on_the_server_and_stay_in_the_address(
    app_server: str, make_user: Callable[..., object]
) -> None:
    make_user("reviewer")
    # 51 routine studies (one more than a page) and two STAT ones; no model: first in, first out.
    studies = [numbered_study(n, minutes_ago=1 + n) for n in range(51)]
    for n in (51, 52):
        numbered_study(n, minutes_ago=2, RequestedProcedurePriority="STAT")
    oldest, newest = studies[-1], studies[0]

    with launch_chromium() as browser:
        page = new_page(browser)
        open_worklist(page, app_server, "reviewer-user")
        position = page.locator(".pager-position")
        expect(position).to_have_text("Studies 1\u201350 of 53")
        expect(rows(page)).to_have_count(50)
        expect(page.locator(".banner")).to_contain_text("first in, first out")

        # Pages turn with Page Down / Page Up; the page is in the address and survives a reload.
        page.keyboard.press("PageDown")
        expect(position).to_have_text("Studies 51\u201353 of 53")
        expect(page).to_have_url(re.compile(r"/worklist\?offset=50$"))
        page.reload()
        expect(position).to_have_text("Studies 51\u201353 of 53")
        expect(rows(page).first.locator("td").first).to_have_text("51")
        page.keyboard.press("PageUp")
        expect(position).to_have_text("Studies 1\u201350 of 53")

        page.get_by_label("Priority").select_option("STAT")
        expect(position).to_have_text("Studies 1\u20132 of 2")
        expect(page).to_have_url(re.compile(r"\?priority=STAT$"))
        page.get_by_role("button", name="Clear").click()
        expect(position).to_have_text("Studies 1\u201350 of 53")

        # "/" jumps to the search box; patient ID and accession match exactly.
        page.keyboard.press("/")
        expect(page.get_by_label("Search", exact=True)).to_be_focused()
        page.keyboard.type("E2E0007")
        expect(rows(page)).to_have_count(1)
        expect(rows(page).first).to_contain_text("ACC0007")
        page.get_by_label("Search", exact=True).fill("ACC0012")
        page.keyboard.press("Enter")
        expect(rows(page).first).to_contain_text("E2E0012")
        page.keyboard.press("Escape")
        expect(page.locator("table.worklist")).to_be_focused()
        page.get_by_role("button", name="Clear").click()

        # The waiting column sorts longest-waiting first, then the other way round.
        waiting = page.get_by_role("columnheader", name="Waiting")
        waiting.get_by_role("button").click()
        expect(waiting).to_have_attribute("aria-sort", "descending")
        expect(page).to_have_url(re.compile(r"\?sort=received$"))
        expect_first_rows(page, oldest.study_instance_uid)
        waiting.get_by_role("button").click()
        expect(waiting).to_have_attribute("aria-sort", "ascending")
        expect_first_rows(page, newest.study_instance_uid)

        # Another page and back: the list comes back as it was left.
        page.get_by_role("link", name="Archive").click()
        expect(page).to_have_url(f"{app_server}/archive")
        page.go_back()
        expect(page).to_have_url(re.compile(r"/worklist\?sort=-received$"))
        expect(waiting).to_have_attribute("aria-sort", "ascending")


def test_a_study_stored_while_the_page_is_open_appears_in_its_place(
    app_server: str, make_user: Callable[..., object], celery_worker: object
) -> None:
    from accounts.services import token_issue

    make_user("radiologist")
    make_user("modality", "ct-scanner")
    token = token_issue(username="ct-scanner")
    routine = [waiting_study(n, minutes_ago=minutes) for n, minutes in ((0, 10), (1, 5), (2, 1))]
    stat_bytes = dx_bytes(chest_images()[3], RequestedProcedurePriority="STAT")
    stat_uid = pydicom.dcmread(io.BytesIO(stat_bytes)).StudyInstanceUID
    body, content_type = multipart_body([stat_bytes])

    with launch_chromium() as browser:
        page = new_page(browser)
        open_worklist(page, app_server, "radiologist-user")
        expect_first_rows(page, *(study.study_instance_uid for study in routine))
        page.keyboard.press("ArrowDown")
        selected = routine[1].study_instance_uid
        expect(row_of(page, selected)).to_have_attribute("aria-selected", "true")

        started = time.monotonic()
        response = requests.post(
            f"{app_server}/dicomweb/studies",
            data=body,
            headers={"Content-Type": content_type, "Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text

        # A STAT request goes ahead of routine studies: first, flagged as new, without a reload.
        expect(rows(page).first).to_have_attribute("data-study-uid", stat_uid, timeout=10_000)
        shown_after = time.monotonic() - started
        expect(rows(page).first).to_have_attribute("data-moved", "appeared")
        expect(rows(page)).to_have_count(4)
        # The selection stayed on the same study, now one place lower.
        expect(row_of(page, selected)).to_have_attribute("aria-selected", "true")
        expect(rows(page).nth(2)).to_have_attribute("data-study-uid", selected)
        # Stored, then stable after ARCHIVE_STABILITY_SECONDS (1 s in tests), then on every list.
        assert shown_after < 6, f"shown {shown_after:.1f} s after it was stored"


def test_arrow_keys_and_enter_open_a_study(
    app_server: str, make_user: Callable[..., object]
) -> None:
    make_user("radiologist")
    first, second = (waiting_study(n, minutes_ago=10 - n) for n in range(2))

    with launch_chromium() as browser:
        page = new_page(browser)
        open_worklist(page, app_server, "radiologist-user")
        expect(rows(page)).to_have_count(2)
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")  # stays on the last row
        page.keyboard.press("ArrowUp")
        page.keyboard.press("ArrowDown")
        expect(row_of(page, second.study_instance_uid)).to_have_attribute("aria-selected", "true")
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{app_server}/read/{second.study_instance_uid}")
        expect(page.locator(".tabs a[aria-current='page']")).to_have_text("Worklist")

        page.go_back()
        expect(page).to_have_url(f"{app_server}/worklist")
        expect(row_of(page, first.study_instance_uid)).to_be_visible()


def test_n_opens_the_most_urgent_unclaimed_study_and_the_other_reader_sees_the_claim(
    app_server: str, make_user: Callable[..., object]
) -> None:
    make_user("radiologist", "dr-ada")
    make_user("radiologist", "dr-bo")
    stat = waiting_study(0, minutes_ago=1, RequestedProcedurePriority="STAT")
    oldest = waiting_study(1, minutes_ago=10)  # routine: due in 30 min, after the STAT's 14
    waiting_study(2, minutes_ago=2)

    with launch_chromium() as browser:
        ada, bo = new_page(browser), new_page(browser)
        open_worklist(ada, app_server, "dr-ada")
        open_worklist(bo, app_server, "dr-bo")
        expect_first_rows(bo, stat.study_instance_uid, oldest.study_instance_uid)

        ada.keyboard.press("n")
        expect(ada).to_have_url(f"{app_server}/read/{stat.study_instance_uid}")

        # Bo's list shows Ada's claim live; "n" skips the study she holds.
        claimed = row_of(bo, stat.study_instance_uid)
        expect(claimed.locator(".cell-claim")).to_have_text("dr-ada reading")
        expect(claimed).to_have_class(re.compile(r"is-claimed-by-other"))
        screenshot(bo, "worklist-claimed-by-another-reader")
        bo.keyboard.press("n")
        expect(bo).to_have_url(f"{app_server}/read/{oldest.study_instance_uid}")


def test_a_study_someone_else_reads_still_opens_and_n_says_when_none_is_left(
    app_server: str, make_user: Callable[..., object]
) -> None:
    from triage.services.claims import worklist_entry_claim

    make_user("radiologist")
    other = make_user("radiologist", "dr-other")
    make_user("reviewer")
    study = waiting_study(0, minutes_ago=3)
    worklist_entry_claim(entry=study.worklist_entry, user=other)

    with launch_chromium() as browser:
        page = new_page(browser)
        open_worklist(page, app_server, "radiologist-user")
        row = row_of(page, study.study_instance_uid)
        expect(row.locator(".cell-claim")).to_have_text("dr-other reading")
        expect(page.locator(".details-claim")).to_contain_text("dr-other is reading it")
        expect(page.locator(".details-open")).to_have_text("View")

        page.keyboard.press("n")
        expect(page.locator(".notice")).to_have_text("No unclaimed study is waiting.")
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{app_server}/read/{study.study_instance_uid}")

        # A reviewer sees the list without the reader's affordances.
        reviewer = new_page(browser)
        open_worklist(reviewer, app_server, "reviewer-user")
        expect(row_of(reviewer, study.study_instance_uid)).to_be_visible()
        expect(reviewer.get_by_role("button", name="Next urgent")).to_be_hidden()
        expect(reviewer.locator(".details-open")).to_have_text("View")


def test_a_changed_shortcut_is_saved_and_used(
    app_server: str, make_user: Callable[..., object]
) -> None:
    make_user("radiologist")
    study = waiting_study(0, minutes_ago=3)

    with launch_chromium() as browser:
        page = new_page(browser)
        sign_in(page, app_server, "radiologist-user", next_path="/settings/shortcuts")
        change = page.locator('.key-capture[data-action="worklist.nextUrgent"]')
        expect(change).to_have_text("n")

        # A key another worklist action has is refused.
        change.click()
        page.keyboard.press("/")
        expect(page.locator(".conflict-list")).to_contain_text('"/" is bound to both')
        expect(page.get_by_role("button", name="Save")).to_be_disabled()

        change.click()
        page.keyboard.press("j")
        expect(change).to_have_text("j")
        expect(page.locator(".conflict-list")).to_be_hidden()
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".settings-actions .status")).to_have_text(
            "Saved. The new keys apply now."
        )

        page.get_by_role("link", name="Worklist").click()
        expect(page.locator(".live-indicator")).to_have_text("Live")
        page.keyboard.press("?")
        help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
        expect(help_dialog.locator('tr[data-action="worklist.nextUrgent"] kbd')).to_have_text("j")
        page.keyboard.press("Escape")
        expect(help_dialog).to_be_hidden()

        page.keyboard.press("n")  # no longer bound
        expect(page).to_have_url(f"{app_server}/worklist")
        page.keyboard.press("j")
        expect(page).to_have_url(f"{app_server}/read/{study.study_instance_uid}")

        # Kept on the server: a new page load still has it.
        page.goto(f"{app_server}/settings/shortcuts")
        expect(change).to_have_text("j")
