"""Window presets follow the image: a radiograph opens in its own window, is offered presets
derived from its own pixel range (never the CT ones), and no preset washes it out to flat white
or black; a CT keeps its Hounsfield presets.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.conftest import SHARED_DICOM
from tests.e2e.conftest import launch_chromium, new_page, screenshot
from tests.e2e.test_reading import canvas_stats, open_study
from tests.triage.studies import stable, store

pytestmark = pytest.mark.django_db(transaction=True)

CT_PRESETS = ["ct-lung", "ct-mediastinum", "ct-bone", "ct-brain"]
# A flat image (washed out, or all black) has no spread; a chest radiograph has plenty.
NOT_FLAT = 10


def stored_study(*paths: str) -> str:
    """Store the shared files as one study, stable and waiting on the worklist; its UID."""
    study = None
    for path in paths:
        study = store((SHARED_DICOM / path).read_bytes())
    assert study is not None
    return stable(study).study_instance_uid


@pytest.mark.parametrize(
    "path",
    [
        "cr_dx/wg04_RG1_chest_CR_uncompressed.dcm",  # CR, 15 bits, MONOCHROME1, W30000 L15000
        "cr_dx/highdicom_dx_chest_veterinary.dcm",  # DX, 8 bits, MONOCHROME1
    ],
    ids=["cr", "dx"],
)
def test_a_radiograph_gets_its_own_window_and_presets_that_keep_it_visible(
    app_server: str, make_user: Callable[..., object], path: str
) -> None:
    make_user("radiologist")
    uid = stored_study(path)

    with launch_chromium() as browser:
        page = new_page(browser)
        open_study(page, app_server, "radiologist-user", uid)
        first = canvas_stats(page)
        assert first["std"] > NOT_FLAT, f"the first image looks flat: {first}"
        window = page.get_by_test_id("window-level")
        original = window.inner_text()

        presets = page.locator('[role="group"][aria-label="Window"] [data-preset]')
        offered = presets.evaluate_all("buttons => buttons.map(b => b.dataset.preset)")
        assert offered[0] == "default"
        assert not set(offered) & set(CT_PRESETS), offered
        assert len(offered) >= 3, offered

        # Each preset by its key (1, 2, 3 in toolbar order) and by its button: never flat.
        for n, preset in enumerate(offered, start=1):
            page.keyboard.press(str(n))
            expect(presets.nth(n - 1)).to_have_attribute("aria-pressed", "true")
            shown = canvas_stats(page)
            assert shown["std"] > NOT_FLAT, f"preset {preset} (key {n}) looks flat: {shown}"
            screenshot(page, f"viewer-windowing-{path.split('/')[-1]}-{preset}")
        page.keyboard.press("1")
        expect(window).to_have_text(original)
        presets.nth(2).click()
        expect(window).not_to_have_text(original)
        assert canvas_stats(page)["std"] > NOT_FLAT
        page.keyboard.press("0")  # reset: back to the image's own window
        expect(window).to_have_text(original)


def test_a_ct_opens_in_its_own_window_and_offers_the_ct_presets(
    app_server: str, make_user: Callable[..., object]
) -> None:
    make_user("radiologist")
    uid = stored_study(*(f"ct/dcmqi_ct_3slice/0{n}.dcm" for n in (1, 2, 3)))

    with launch_chromium() as browser:
        page = new_page(browser)
        open_study(page, app_server, "radiologist-user", uid)
        window = page.get_by_test_id("window-level")
        expect(window).to_have_text("W 400 L 40")  # the images' own Window Width/Center
        presets = page.locator('[role="group"][aria-label="Window"] [data-preset]')
        offered = presets.evaluate_all("buttons => buttons.map(b => b.dataset.preset)")
        assert offered == CT_PRESETS
        page.keyboard.press("1")
        expect(window).to_have_text("W 1500 L -600")
        page.keyboard.press("3")
        expect(window).to_have_text("W 2000 L 300")
        page.keyboard.press("0")
        expect(window).to_have_text("W 400 L 40")
