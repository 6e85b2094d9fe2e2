"""The annotator's workspace in a real browser (issue 11, section 4): labelling cases by keyboard,
drawing a box and a mask that survive a reload, and two annotators given different cases.

The pool is real chest radiographs stored through ingest, with pool scores written as the
pool-scoring task would; the queue service chooses the batch on the first "next" request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import launch_chromium, new_page, screenshot
from tests.triage.studies import chest_images, dx_bytes, store

pytestmark = pytest.mark.django_db(transaction=True)

TASK = "chest_xray_pneumonia"


def scored_pool(n: int) -> list[Any]:
    """`n` stored radiographs, each with a pool score under a fresh active model version, in a
    queue that gives each case to one annotator (k = 1)."""
    from annotations.models import ImageScore, QueueSettings
    from archive.models import Instance
    from tests.annotations.test_queue import model_version

    version = model_version(threshold=0.5)
    instances = []
    for i in range(n):
        study = store(dx_bytes(chest_images()[i]))
        instance = Instance.objects.get(series__study=study)
        p = 0.3 + 0.4 * i / n
        ImageScore.objects.create(
            task=TASK,
            instance=instance,
            model_version=version,
            probability=p,
            entropy=float(-(p * np.log(p) + (1 - p) * np.log(1 - p))),
            margin=abs(2 * p - 1),
            mc_mean=p,
            mc_variance=0.01,
            bald=0.01,
            embedding=np.random.default_rng(i).normal(size=8).astype("<f4").tobytes(),
            embedding_dim=8,
        )
        instances.append(instance)
    row, _ = QueueSettings.objects.get_or_create(task=TASK)
    row.strategy, row.labels_required, row.batch_size = "entropy", 1, n
    row.save()
    return instances


def watch(page: Page) -> None:
    page.on("console", lambda message: print(f"console.{message.type}: {message.text}"))
    page.on("pageerror", lambda error: print(f"page error: {error}"))


def open_workspace(page: Page, base_url: str, username: str) -> str:
    """Sign in at "/" and wait for the case's image; the case's pseudonym from the address."""
    watch(page)
    page.goto(f"{base_url}/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Sign in").click()
    return wait_for_case(page)


def wait_for_case(page: Page, after: str | None = None) -> str:
    """Wait for a case's image (another case than `after`); its pseudonym."""
    if after is not None:
        expect(page).not_to_have_url(re.compile(rf"/annotate/{re.escape(after)}$"))
    expect(page).to_have_url(re.compile(r"/annotate/[^/]+$"))
    expect(page.locator("section.annotate")).to_have_attribute("data-ready", "true")
    return page.url.rsplit("/", 1)[1]


def drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A left-button drag across the viewport, in fractions of its size."""
    box = page.locator(".annotate-viewport").bounding_box()
    assert box is not None
    x0, y0 = box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1]
    x1, y1 = box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1]
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * step / 10, y0 + (y1 - y0) * step / 10)
    page.mouse.up()


def saved_labels(page: Page, pseudonym: str) -> list[dict[str, Any]]:
    base = page.url.split("/annotate/", 1)[0]
    response = page.request.get(f"{base}/api/annotate/cases/{pseudonym}")
    assert response.ok, response.text()
    return response.json()["labels"]


def test_an_annotator_labels_by_keyboard_draws_a_box_and_a_mask_and_finds_them_after_a_reload(
    app_server: str, make_user: Callable[..., object]
) -> None:
    make_user("annotator")
    make_user("annotator", "second-annotator")
    scored_pool(8)
    with launch_chromium() as browser:
        page = new_page(browser)
        first = open_workspace(page, app_server, "annotator-user")
        expect(page.get_by_test_id("annotate-progress")).to_have_text(
            re.compile(r"^1 of 8 in this batch")
        )
        # The model's class is chosen for the annotator; key 1 takes the first class instead.
        classes = page.locator(".annotate-classes button")
        expect(classes.locator("[aria-pressed=true]")).to_have_count(0)
        expect(page.locator(".annotate-classes button[aria-pressed=true]")).to_have_count(1)
        page.keyboard.press("1")
        expect(classes.first).to_have_attribute("aria-pressed", "true")

        # A box (key b), then a brush stroke of the mask class (key m).
        page.keyboard.press("b")
        drag(page, (0.35, 0.35), (0.6, 0.6))
        expect(page.get_by_test_id("drawn")).to_have_attribute("data-boxes", "1")
        page.keyboard.press("m")
        drag(page, (0.4, 0.7), (0.6, 0.72))
        drawn = page.get_by_test_id("drawn")
        expect(drawn).not_to_have_attribute("data-mask-pixels", "0")
        expect(page.get_by_test_id("save-state")).to_have_text("Saved")
        screenshot(page, "annotate-box-and-mask")

        # Undo takes the stroke back; redo brings it again.
        pixels = drawn.get_attribute("data-mask-pixels")
        page.keyboard.press("Control+z")
        expect(drawn).to_have_attribute("data-mask-pixels", "0")
        page.keyboard.press("Control+Shift+z")
        expect(drawn).to_have_attribute("data-mask-pixels", pixels or "")
        expect(page.get_by_test_id("save-state")).to_have_text("Saved")

        labels = saved_labels(page, first)
        kinds = sorted(label["kind"] for label in labels)
        assert kinds == ["box", "class", "mask"], labels
        mask = next(label["value"] for label in labels if label["kind"] == "mask")
        assert sum(mask["rle"][1::2]) == int(pixels or 0)
        assert sum(mask["rle"]) == mask["rows"] * mask["columns"]

        page.reload()
        assert wait_for_case(page) == first
        expect(page.locator(".annotate-classes button").first).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(drawn).to_have_attribute("data-boxes", "1")
        expect(drawn).to_have_attribute("data-mask-pixels", pixels or "")

        # N submits and opens the next case; two more by keyboard alone: each time a class key
        # other than the model's pre-selected class (pressing that one again would clear it).
        seen = [first]
        for _ in range(3):
            page.keyboard.press("n")
            seen.append(wait_for_case(page, after=seen[-1]))
            first_class = page.locator(".annotate-classes button").first
            key = "2" if first_class.get_attribute("aria-pressed") == "true" else "1"
            page.keyboard.press(key)
            expect(page.locator(".annotate-classes button[aria-pressed=true]")).to_have_count(1)
        page.keyboard.press("n")
        seen.append(wait_for_case(page, after=seen[-1]))
        assert len(set(seen)) == 5  # four submitted, the fifth open
        expect(page.get_by_test_id("annotate-progress")).to_have_text(
            re.compile(r"^5 of 8 in this batch")
        )

        # A second annotator is given none of the first one's cases (k = 1).
        other = new_page(browser)
        theirs = open_workspace(other, app_server, "second-annotator")
        assert theirs not in seen
        # Skip with a reason: the next case is another one again.
        other.keyboard.press("s")
        other.get_by_label("Why skip this case?").fill("Image cut off")
        other.get_by_role("button", name="Skip", exact=True).click()
        after_skip = wait_for_case(other, after=theirs)
        assert after_skip not in (*seen, theirs)

    from annotations.models import CaseSkip, CaseSlot

    submitted = CaseSlot.objects.filter(annotator__username="annotator-user", status="submitted")
    assert submitted.count() == 4
    assert all(slot.seconds_spent and slot.seconds_spent > 0 for slot in submitted)
    assert CaseSkip.objects.get(annotator__username="second-annotator").reason == "Image cut off"


def test_a_case_not_given_to_the_annotator_shows_the_servers_reason(
    app_server: str, make_user: Callable[..., object]
) -> None:
    make_user("annotator")
    scored_pool(2)
    with launch_chromium() as browser:
        page = new_page(browser)
        pseudonym = open_workspace(page, app_server, "annotator-user")
        # Someone else's case is not the annotator's: the server's words, not a blank page.
        page.goto(f"{app_server}/annotate/not-a-case-{pseudonym}")
        expect(page.get_by_test_id("annotate-empty")).to_contain_text(
            "Could not open this case: No such case among the cases given to you."
        )
