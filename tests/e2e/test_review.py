"""Review in a real browser: a reviewer opens the queue, finds the disagreement first, sees each
annotator's labels beside the de-identified image, settles it by keyboard, and the adjudicated
label is stored; the agreement page then shows the figures with their counts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.annotations.test_review_fixtures import (
    NEGATIVE,
    POSITIVE,
    TASK,
    box,
    labelled_case,
)
from tests.e2e.conftest import launch_chromium, new_page, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reviewer_adjudicates_a_disagreement_by_keyboard(
    app_server: str, make_user: Callable[..., object]
) -> None:
    from annotations.models import AnnotationCase, Label, LabelSchema, ReviewDecision

    make_user("reviewer")
    agreed = labelled_case(0, [NEGATIVE, NEGATIVE])
    disputed = labelled_case(1, [NEGATIVE, POSITIVE])
    schema = LabelSchema.objects.get(task=TASK, version=1)
    positive_key = next(c["hotkey"] for c in schema.classes if c["key"] == POSITIVE)

    with launch_chromium() as browser:
        page = new_page(browser)
        sign_in(page, app_server, "reviewer-user", next_path="/review")
        rows = page.get_by_test_id("review-queue").locator("tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.first).to_have_attribute("data-case", disputed.pseudonym)
        expect(rows.first).to_contain_text("no majority")

        rows.first.get_by_role("link").click()
        case = page.get_by_test_id("review-case")
        expect(case).to_have_attribute("data-case", disputed.pseudonym)
        annotations = page.get_by_test_id("review-annotations").locator("tbody tr")
        expect(annotations).to_have_count(2)
        expect(annotations.nth(1)).to_have_attribute("data-annotator", "annotator-1")
        # The de-identified frame is drawn (the viewer hides its loading line when it is).
        expect(case.locator(".viewer-status")).to_be_hidden(timeout=30_000)

        page.keyboard.press("a")  # no majority: accepting needs a chosen class
        expect(page.get_by_test_id("review-message")).to_contain_text("no majority")
        page.keyboard.press(positive_key)
        chosen = case.get_by_role("group", name="Class for the truth").locator(
            f'[data-class="{POSITIVE}"]'
        )
        expect(chosen).to_have_attribute("aria-pressed", "true")
        page.keyboard.press("e")
        expect(page).to_have_url(f"{app_server}/review/{agreed.pseudonym}", timeout=15_000)
        expect(page.get_by_test_id("review-queue").locator("tbody tr")).to_have_count(1)
        screenshot(page, "review-after-decision")

        page.goto(f"{app_server}/review/agreement")
        people = page.get_by_test_id("agreement-annotators")
        # A fresh page load of the whole bundle: slow on a loaded machine.
        expect(people.locator("tbody tr")).to_have_count(2, timeout=30_000)
        expect(people).to_contain_text("annotator-1: ")
        expect(page.get_by_test_id("agreement-overall")).to_contain_text("2 cases with 2+")

    truth = Label.objects.get(source=Label.Source.ADJUDICATED)
    assert (truth.value, truth.case_id, truth.kind) == (POSITIVE, disputed.pk, "class")
    assert truth.provenance["decision"] == "edit"
    assert ReviewDecision.objects.get().case_id == disputed.pk
    assert AnnotationCase.objects.get(pk=disputed.pk).status == AnnotationCase.Status.ADJUDICATED


def drag(page: Page, area: Locator, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A mouse drag across `area`, in fractions of its size, in small steps as a hand moves."""
    bounds = area.bounding_box()
    assert bounds is not None
    x0, y0 = bounds["x"] + bounds["width"] * start[0], bounds["y"] + bounds["height"] * start[1]
    x1, y1 = bounds["x"] + bounds["width"] * end[0], bounds["y"] + bounds["height"] * end[1]
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * step / 10, y0 + (y1 - y0) * step / 10)
    page.mouse.up()


def image_point(area: Locator, rows: int, columns: int, x: float, y: float) -> tuple[float, float]:
    """Where image pixel (x, y) is on the page: the viewer fits the whole frame in its viewport,
    centred, with square pixels (as Cornerstone's stack viewport does before any zoom)."""
    bounds = area.bounding_box()
    assert bounds is not None
    scale = min(bounds["width"] / columns, bounds["height"] / rows)
    left = bounds["x"] + (bounds["width"] - columns * scale) / 2
    top = bounds["y"] + (bounds["height"] - rows * scale) / 2
    return left + x * scale, top + y * scale


def test_a_reviewer_redraws_an_annotators_regions_and_the_edit_stores_them(
    app_server: str, make_user: Callable[..., object]
) -> None:
    from annotations.models import Label

    make_user("reviewer")
    taken = box(40, 40, 60, 60)
    disputed = labelled_case(1, [NEGATIVE, POSITIVE], regions={1: [taken]})
    rows, columns = disputed.instance.rows, disputed.instance.columns

    with launch_chromium() as browser:
        page = new_page(browser)
        sign_in(page, app_server, "reviewer-user", next_path=f"/review/{disputed.pseudonym}")
        case = page.get_by_test_id("review-case")
        expect(case.locator(".viewer-status")).to_be_hidden(timeout=30_000)
        drawn = case.get_by_test_id("review-drawn")

        # Start from annotator-1's labels: their class and their box on the image.
        annotator = case.locator('[data-annotator="annotator-1"]')
        annotator.get_by_role("button", name="Take these").click()
        expect(case.locator(".review-image")).to_have_attribute("data-ready", "true")
        expect(drawn).to_have_attribute("data-boxes", "1")
        expect(drawn).to_have_attribute("data-edited", "false")

        # The workspace's box tool (key b): the box's lower right corner dragged 20 px right and
        # 10 px down, so the box is edited, not a second one drawn.
        viewport = case.locator(".annotate-viewport")
        page.keyboard.press("b")
        page.mouse.move(*image_point(viewport, rows, columns, 100, 100))
        page.mouse.down()
        for step in range(1, 11):
            page.mouse.move(*image_point(viewport, rows, columns, 100 + 2 * step, 100 + step))
        page.mouse.up()
        expect(drawn).to_have_attribute("data-edited", "true")
        expect(drawn).to_have_attribute("data-boxes", "1")

        # A brush stroke (the Brush button); undo takes it back, redo brings it again.
        case.get_by_role("group", name="Drawing tools").locator('[data-tool="brush"]').click()
        drag(page, viewport, (0.45, 0.7), (0.55, 0.72))
        expect(drawn).not_to_have_attribute("data-mask-pixels", "0")
        pixels = drawn.get_attribute("data-mask-pixels") or ""
        page.keyboard.press("Control+z")
        expect(drawn).to_have_attribute("data-mask-pixels", "0")
        page.keyboard.press("Control+Shift+z")
        expect(drawn).to_have_attribute("data-mask-pixels", pixels)
        screenshot(page, "review-edit-drawn")

        page.keyboard.press("e")
        expect(page).to_have_url(f"{app_server}/review", timeout=15_000)

    truth = list(Label.objects.filter(source=Label.Source.ADJUDICATED, case=disputed))
    assert sorted(label.kind for label in truth) == ["box", "class", "mask"], truth
    assert next(label.value for label in truth if label.kind == "class") == POSITIVE
    edited = next(label.value for label in truth if label.kind == "box")
    assert edited["class"] == taken["value"]["class"]
    assert (edited["x"], edited["y"]) == pytest.approx((40, 40), abs=1.5)
    assert (edited["width"], edited["height"]) == pytest.approx((80, 70), abs=3)
    mask = next(label.value for label in truth if label.kind == "mask")
    assert (mask["rows"], mask["columns"]) == (rows, columns)
    assert sum(mask["rle"][1::2]) == int(pixels) > 0
    assert all(label.provenance["decision"] == "edit" for label in truth)
