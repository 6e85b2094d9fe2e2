"""A CT study that also holds a DICOM SEG opens on the CT, not on the SEG, and shows the SEG as
a labelmap overlay on the CT series it references, which the reader switches on and off.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import launch_chromium, new_page, screenshot
from tests.e2e.test_reading import canvas_stats, open_study
from tests.e2e.test_viewer_windowing import stored_study

pytestmark = pytest.mark.django_db(transaction=True)

CT_SERIES = "1.2.392.200103.20080913.113635.1.2009.6.22.21.43.10.23430.1"
# The SEG (series number 1, before the CT's 2) segments the liver on all three CT slices.
FILES = [
    "multiframe/seg_liver_3f.dcm",
    *(f"ct/dcmqi_ct_3slice/0{n}.dcm" for n in (1, 2, 3)),
]

# Share of the canvas in colour (a grey image has r = g = b): the segmentation's paint.
COLOURED = """() => {
    const canvas = document.querySelector(".viewer-viewport canvas");
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let coloured = 0;
    for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
        if (Math.max(Math.abs(r - g), Math.abs(g - b), Math.abs(r - b)) > 24) coloured += 1;
    }
    return coloured / (data.length / 4);
}"""


def test_a_ct_with_a_seg_opens_on_the_ct_with_the_seg_as_an_overlay(
    app_server: str, make_user: Callable[..., object]
) -> None:
    make_user("radiologist")
    uid = stored_study(*FILES)

    with launch_chromium() as browser:
        page = new_page(browser)
        open_study(page, app_server, "radiologist-user", uid)
        # The CT is shown, and it is the only series to pick: the SEG is no image to read.
        series = page.locator(".viewer-series-item")
        expect(series).to_have_count(1)
        expect(series.first).to_have_attribute("data-series", CT_SERIES)
        expect(series.first).to_have_attribute("aria-current", "true")
        expect(page.get_by_test_id("image-position")).to_have_text("Image 1 / 3")
        shown = canvas_stats(page)
        assert shown["std"] > 10, f"the CT looks blank: {shown}"
        assert page.evaluate(COLOURED) < 0.001

        switch = page.get_by_role("checkbox", name="Segmentation")
        expect(switch).to_be_enabled()
        expect(page.get_by_test_id("segmentation-note")).to_contain_text("Liver")
        switch.check()
        page.wait_for_function(f"({COLOURED})() > 0.005")
        screenshot(page, "viewer-segmentation-on")
        page.keyboard.press("ArrowDown")  # the next slice has its own labelmap
        expect(page.get_by_test_id("image-position")).to_have_text("Image 2 / 3")
        page.wait_for_function(f"({COLOURED})() > 0.005")
        switch.uncheck()
        page.wait_for_function(f"({COLOURED})() < 0.001")
        assert canvas_stats(page)["std"] > 10
