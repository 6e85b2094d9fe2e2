"""The model's pre-annotation box in a real browser (issue 11, section 4): the box pool scoring
stored around the heatmap's hot region is drawn on the case with the suggested class chosen, and
submitting it unchanged stores the labels with provenance "kept"."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import launch_chromium, new_page, screenshot
from tests.e2e.test_annotate import TASK, open_workspace, saved_labels, scored_pool, wait_for_case

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_models_box_is_drawn_and_kept_when_submitted_unchanged(
    app_server: str, make_user: Callable[..., object]
) -> None:
    from annotations.models import ImageScore, Label
    from archive.models import Instance

    make_user("annotator")
    instances = scored_pool(2)
    # The first case the queue gives (entropy: the probability nearest 0.5) is the 0.5 one;
    # make both images confidently positive with a stored box each.
    boxes = {}
    for instance in instances:
        rows, columns = Instance.objects.values_list("rows", "columns").get(pk=instance.pk)
        boxes[instance.pk] = {
            "x": columns // 4,
            "y": rows // 5,
            "width": columns // 3,
            "height": rows // 3,
        }
        ImageScore.objects.filter(instance=instance).update(
            probability=0.9, hot_box=boxes[instance.pk]
        )

    with launch_chromium() as browser:
        page = new_page(browser)
        pseudonym = open_workspace(page, app_server, "annotator-user")
        drawn = page.get_by_test_id("drawn")
        expect(drawn).to_have_attribute("data-boxes", "1")
        expect(page.locator(".annotate-classes button[aria-pressed=true]")).to_have_count(1)
        expect(page.get_by_test_id("suggestion-outcome")).to_have_attribute("data-outcome", "kept")
        screenshot(page, "annotate-pre-annotation-box")

        page.keyboard.press("n")
        wait_for_case(page, after=pseudonym)
        labels = saved_labels(page, pseudonym)

    by_kind = {label["kind"]: label for label in labels}
    assert sorted(by_kind) == ["box", "class"], labels
    stored = Label.objects.get(pk=by_kind["box"]["id"])
    geometry = {key: stored.value[key] for key in ("x", "y", "width", "height")}
    assert geometry == boxes[stored.instance_id]
    assert stored.task == TASK
    assert {label.provenance["pre_annotation"] for label in Label.objects.all()} == {"kept"}
