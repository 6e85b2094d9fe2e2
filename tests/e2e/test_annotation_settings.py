"""The admin's annotation settings in a real browser: a new label schema version with a box class
of its own colour, a duplicate hotkey refused in the server's words with nothing saved, the
queue's strategy and k changed, and an annotator turned away from the page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from ml.core.tasks import TASKS
from tests.e2e.conftest import launch_chromium, new_page, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

TASK = next(iter(TASKS))
SETTINGS = "/annotate/settings"


def test_an_admin_adds_a_box_class_after_a_duplicate_hotkey_is_refused(
    app_server: str, make_user: Callable[..., object]
) -> None:
    from annotations.models import LabelSchema

    make_user("admin")
    seeded = LabelSchema.objects.get(task=TASK, version=1)
    taken = seeded.box_classes[0]["hotkey"]

    with launch_chromium() as browser:
        page = new_page(browser)
        sign_in(page, app_server, "admin-user", next_path=SETTINGS)
        expect(page.get_by_test_id("schema-current")).to_have_attribute("data-version", "1")
        expect(page.get_by_test_id("schema-history").locator("tbody tr")).to_have_count(1)

        page.get_by_role("button", name="Add a box class").click()
        page.get_by_label("Name of box class 2", exact=True).fill("Nodule")
        page.get_by_label("Key of box class 2", exact=True).fill("nodule")
        page.get_by_label("Hotkey of box class 2", exact=True).fill(taken)
        page.get_by_label("Colour of box class 2", exact=True).fill("#00aa00")
        page.get_by_label("Note (why this version)").fill("nodules get boxes too")
        page.get_by_role("button", name="Save as a new version").click()

        refusal = page.get_by_test_id("schema-error-box_classes")
        expect(refusal).to_contain_text(f"Hotkey '{taken}'")
        expect(refusal).to_contain_text("already the hotkey")
        expect(page.get_by_test_id("schema-status")).to_have_text("Nothing was saved.")
        expect(page.get_by_test_id("schema-history").locator("tbody tr")).to_have_count(1)
        screenshot(page, "annotation-settings-refused")

        # The draft survives the refusal: only the hotkey needs changing.
        page.get_by_label("Hotkey of box class 2", exact=True).fill("n")
        page.get_by_role("button", name="Save as a new version").click()
        expect(page.get_by_test_id("schema-status")).to_have_text("Saved as version 2.")
        expect(page.get_by_test_id("schema-current")).to_have_attribute("data-version", "2")
        expect(page.get_by_test_id("current-box_classes")).to_contain_text("Nodule (nodule)")
        history = page.get_by_test_id("schema-history").locator("tbody tr")
        expect(history).to_have_count(2)
        expect(history.first).to_contain_text("admin-user")
        expect(history.first).to_contain_text("nodules get boxes too")

    versions = list(LabelSchema.objects.filter(task=TASK).order_by("version"))
    assert [schema.version for schema in versions] == [1, 2]
    added = versions[1]
    assert added.box_classes[1] == {
        "key": "nodule",
        "display_name": "Nodule",
        "colour": "#00aa00",
        "hotkey": "n",
    }
    assert added.classes == seeded.classes and added.mask_classes == seeded.mask_classes
    assert added.created_by is not None and added.created_by.username == "admin-user"
    assert added.note == "nodules get boxes too"


def test_an_admin_switches_the_strategy_to_entropy_with_three_annotators_per_case(
    app_server: str, make_user: Callable[..., object]
) -> None:
    from annotations.models import QueueSettings
    from ml.core.active_learning.registry import STRATEGIES

    make_user("admin")

    with launch_chromium() as browser:
        page = new_page(browser)
        sign_in(page, app_server, "admin-user", next_path=SETTINGS)
        form = page.get_by_test_id("queue-form")
        strategy = form.get_by_label("Strategy")
        expect(strategy).to_be_visible()
        strategy.select_option(label=STRATEGIES["entropy"].display_name)
        form.get_by_label("Annotators per case (k)").fill("3")
        form.get_by_label("Lock time").fill("0")
        form.get_by_role("button", name="Save queue settings").click()
        # A lock of 0 minutes is refused next to its field, and nothing changes.
        expect(page.get_by_test_id("queue-error-lock_minutes")).to_contain_text("10")
        expect(page.get_by_test_id("queue-status")).to_have_text("Nothing was saved.")

        form.get_by_label("Lock time").fill("20")
        form.get_by_role("button", name="Save queue settings").click()
        expect(page.get_by_test_id("queue-status")).to_contain_text("Saved.")
        expect(page.get_by_test_id("queue-error-lock_minutes")).to_be_hidden()
        screenshot(page, "annotation-settings-queue")

    row = QueueSettings.objects.get(task=TASK)
    assert (row.strategy, row.labels_required, row.lock_seconds) == ("entropy", 3, 1200)


def test_an_annotator_may_not_open_the_annotation_settings(
    app_server: str, make_user: Callable[..., object]
) -> None:
    make_user("annotator")

    with launch_chromium() as browser:
        page = new_page(browser)
        sign_in(page, app_server, "annotator-user", next_path=SETTINGS)
        expect(page.get_by_role("alert")).to_contain_text(
            "Your role may not change the annotation settings."
        )
        expect(page.get_by_test_id("annotation-settings")).to_have_count(0)
        expect(page.get_by_role("link", name="Annotation settings")).to_have_count(0)
