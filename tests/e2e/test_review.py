"""Review in a real browser: a reviewer opens the queue, finds the disagreement first, sees each
annotator's labels beside the de-identified image, settles it by keyboard, and the adjudicated
label is stored; the agreement page then shows the figures with their counts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.annotations.test_review_fixtures import NEGATIVE, POSITIVE, TASK, labelled_case
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
