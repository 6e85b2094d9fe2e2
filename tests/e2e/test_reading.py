"""The reading page in a real browser: Cornerstone3D draws the study from our DICOMweb, window
presets and the mouse change it, the AI heatmap toggles, a read with "AI wrong" stores the read
and its label, a length measurement survives a reload, and a second reader sees the first one's
claim and gets no read buttons.

Data is put in place before the browser opens (Django refuses ORM calls while Playwright's
event loop runs); what the page stored is checked over the HTTP API from the page's context.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from archive.models import Study
from tests.e2e.conftest import launch_chromium, new_page, screenshot, sign_in
from tests.triage.studies import dx_bytes, image_with_label, score_now, stable, store

pytestmark = pytest.mark.django_db(transaction=True)

# Statistics of the Cornerstone canvas's middle: its pixels as the reader sees them.
CANVAS_STATS = """() => {
    const canvas = document.querySelector(".viewer-viewport canvas");
    const { width, height } = canvas;
    const x = Math.floor(width / 4), y = Math.floor(height / 4);
    const data = canvas.getContext("2d").getImageData(x, y, width / 2, height / 2).data;
    let sum = 0, squares = 0, n = 0;
    for (let i = 0; i < data.length; i += 4) {
        const grey = (data[i] + data[i + 1] + data[i + 2]) / 3;
        sum += grey; squares += grey * grey; n += 1;
    }
    const mean = sum / n;
    return { mean, std: Math.sqrt(squares / n - mean * mean) };
}"""

# What the viewer tells tests and benchmarks (window.__viewer).
VIEWER_PROBE = """() => ({
    first: window.__viewer.firstImageRenderedAt,
    count: window.__viewer.imageCount,
    cached: window.__viewer.cacheBytes,
})"""

# How much of the heatmap overlay is painted (pixels with any opacity).
HEATMAP_COVERAGE = """() => {
    const canvas = document.querySelector('[data-testid="heatmap-overlay"]');
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted += 1;
    return painted / (data.length / 4);
}"""


def scored_study(label: int, nth: int = 0) -> Study:
    """A chest radiograph of the given PneumoniaMNIST label, stored, stable and scored."""
    return score_now(stable(store(dx_bytes(image_with_label(label, nth)))))


def open_study(page: Page, base_url: str, username: str, uid: str) -> None:
    # The browser's console goes to the captured output, which pytest shows when a test fails.
    page.on("console", lambda message: print(f"console.{message.type}: {message.text}"))
    page.on("pageerror", lambda error: print(f"page error: {error}"))
    sign_in(page, base_url, username, next_path=f"/read/{uid}")
    expect(page.locator(".reading-viewer")).to_have_attribute("data-ready", "true")


def canvas_stats(page: Page) -> dict[str, float]:
    stats: dict[str, float] = page.evaluate(CANVAS_STATS)
    return stats


def api_json(page: Page, url: str) -> Any:
    """GET a JSON resource as the page's signed-in user."""
    response = page.request.get(url)
    assert response.ok, f"{url}: HTTP {response.status}"
    return response.json()


def saved_measurements(page: Page, url: str) -> list[dict[str, Any]]:
    """The reader's measurements once one is saved (saving waits for the drawing to settle)."""
    for _ in range(50):
        results: list[dict[str, Any]] = api_json(page, url)["results"]
        if results:
            return results
        page.wait_for_timeout(100)
    raise AssertionError("no measurement was saved")


def test_the_study_renders_windows_and_shows_the_heatmap(
    app_server: str, make_user: Callable[..., object], active_model: object
) -> None:
    make_user("radiologist")
    study = scored_study(label=1)

    with launch_chromium() as browser:
        page = new_page(browser)
        open_study(page, app_server, "radiologist-user", study.study_instance_uid)
        viewer = page.evaluate(VIEWER_PROBE)
        assert viewer["first"] > 0 and viewer["count"] == 1 and viewer["cached"] > 0
        shown = canvas_stats(page)
        assert shown["std"] > 10, f"the image looks blank: {shown}"
        expect(page.get_by_test_id("image-position")).to_have_text("Image 1 / 1")
        expect(page.get_by_test_id("image-score")).to_contain_text("AI ")
        screenshot(page, "reading-first-image")

        # A window preset and a left-button drag (window/level) each change the pixels.
        window = page.get_by_test_id("window-level")
        original_window = window.inner_text()
        page.keyboard.press("3")  # a radiograph's third preset: bone contrast, from its pixels
        expect(page.locator('[data-preset="xray-bone"]')).to_have_attribute("aria-pressed", "true")
        expect(window).not_to_have_text(original_window)
        assert canvas_stats(page)["mean"] != pytest.approx(shown["mean"], abs=2)
        page.keyboard.press("0")  # reset
        expect(window).to_have_text(original_window)
        box = page.locator(".viewer-viewport").bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 120, y + 80, steps=8)
        page.mouse.up()
        expect(window).not_to_have_text(original_window)
        assert canvas_stats(page)["mean"] != pytest.approx(shown["mean"], abs=2)

        # The heatmap overlay: on with "h" (painted over the image), off again.
        overlay = page.get_by_test_id("heatmap-overlay")
        expect(overlay).to_be_hidden()
        page.keyboard.press("h")
        expect(overlay).to_be_visible()
        assert page.evaluate(HEATMAP_COVERAGE) > 0.01
        expect(page.get_by_role("checkbox", name="Heatmap")).to_be_checked()
        screenshot(page, "reading-heatmap")
        page.keyboard.press("h")
        expect(overlay).to_be_hidden()
        page.get_by_role("checkbox", name="Heatmap").check()
        expect(overlay).to_be_visible()


def test_reading_with_ai_wrong_stores_the_read_and_its_label(
    app_server: str, make_user: Callable[..., object], active_model: object
) -> None:
    make_user("radiologist")
    study = scored_study(label=1)
    uid = study.study_instance_uid
    ai_said = "pneumonia" if study.worklist_entry.ai_status == "positive" else "normal"
    reader_says = "normal" if ai_said == "pneumonia" else "pneumonia"

    with launch_chromium() as browser:
        page = new_page(browser)
        open_study(page, app_server, "radiologist-user", uid)
        expect(page.get_by_role("button", name="AI right")).to_be_visible()
        page.keyboard.press("w")
        expect(page.get_by_role("status").filter(has_text="Saved")).to_have_text(
            f"Saved: {reader_says} (your read)"
        )
        # No other study waits: back to the worklist.
        expect(page).to_have_url(f"{app_server}/worklist")
        entry = api_json(page, f"{app_server}/api/worklist/{uid}")

    assert entry["status"] == "read"
    assert entry["read"]["verdict"] == "ai_wrong"
    assert entry["read"]["reader"] == "radiologist-user"
    assert entry["read"]["label"]["value"] == reader_says


def test_a_length_measurement_survives_a_reload(
    app_server: str, make_user: Callable[..., object], active_model: object
) -> None:
    make_user("radiologist")
    uid = scored_study(label=0).study_instance_uid

    with launch_chromium() as browser:
        page = new_page(browser)
        open_study(page, app_server, "radiologist-user", uid)
        page.keyboard.press("l")
        expect(page.locator('[data-action="viewer.toolLength"]')).to_have_attribute(
            "aria-pressed", "true"
        )
        box = page.locator(".viewer-viewport").bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x - 100, y)
        page.mouse.down()
        page.mouse.move(x + 100, y, steps=10)
        page.mouse.up()
        items = page.locator(".viewer-measurement-list li")
        expect(items).to_have_count(1)
        shown = items.first.locator(".viewer-measurement-summary")
        expect(shown).to_have_text(re.compile(r"^\d+(\.\d+)? mm"))
        saved = saved_measurements(page, f"{app_server}/api/studies/{uid}/measurements")
        expect(shown).to_have_text(saved[0]["summary"])
        screenshot(page, "reading-length")

        page.reload()
        expect(page.locator(".reading-viewer")).to_have_attribute("data-ready", "true")
        expect(items).to_have_count(1)
        expect(shown).to_have_text(saved[0]["summary"])
        # Drawn again on its image, not only listed.
        expect(page.locator(".viewer-viewport svg line").first).to_be_attached()
        # Past the save delay: a measurement put back unchanged is not saved again.
        page.wait_for_timeout(800)
        reloaded = saved_measurements(page, f"{app_server}/api/studies/{uid}/measurements")

    assert reloaded == saved
    assert saved[0]["tool"] == "Length"
    assert len(saved[0]["data"]["handles"]["points"]) == 2


def test_a_second_reader_sees_the_claim_and_gets_no_read_buttons(
    app_server: str, make_user: Callable[..., object], active_model: object
) -> None:
    make_user("radiologist", "dr-ada")
    make_user("radiologist", "dr-bo")
    uid = scored_study(label=1).study_instance_uid

    with launch_chromium() as browser:
        ada, bo = new_page(browser), new_page(browser)
        open_study(ada, app_server, "dr-ada", uid)
        expect(ada.get_by_test_id("claim-status")).to_have_text("You are reading this study.")

        open_study(bo, app_server, "dr-bo", uid)
        expect(bo.get_by_test_id("claim-status")).to_contain_text("View only.")
        expect(bo.get_by_test_id("claim-status")).to_contain_text("dr-ada")
        expect(bo.locator(".reading-read")).to_have_count(0)
        bo.keyboard.press("w")  # the read key does nothing for a viewer
        screenshot(bo, "reading-claimed-by-another-reader")
        entry = api_json(bo, f"{app_server}/api/worklist/{uid}")

    assert entry["status"] == "waiting"
    assert entry["claim"]["by"] == "dr-ada"
