"""The admin's models page in a real browser (issue 12's done-when): an admin starts a retraining,
watches it progress, sees the comparison with the active version and promotes, then rolls back;
a real Celery worker on the training queue trains a small model on a few hundred seed images."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import launch_chromium, new_page, screenshot, sign_in
from tests.processes import celery_worker_args, product_env, running, wait_until
from tests.triage.conftest import register

pytestmark = pytest.mark.django_db(transaction=True)

MODELS = "/models"
TASK = "chest_xray_pneumonia"
EPOCHS = 8
# Enough images that an epoch outlasts the page's 2 s poll, few enough for a test.
SEED_LIMIT = 1500
TRAINING = 240_000  # ms: snapshot, eight epochs, registering and evaluating on a shared CPU

T = TypeVar("T")


@pytest.fixture
def training_worker(transactional_db: None) -> Iterator[object]:
    """A Celery worker on the training and inference queues, training EPOCHS epochs on
    SEED_LIMIT seed images per split."""
    from config.celery import app

    name = "training-e2e@%h"
    args = celery_worker_args(queues="training,inference", concurrency=2, name=name)
    env = {
        **product_env(),
        "TRAINING_EPOCHS": str(EPOCHS),
        "TRAINING_SEED_LIMIT": str(SEED_LIMIT),
    }
    with running(args, log_name="training-worker.log", env=env) as proc:
        wait_until(
            lambda: app.control.ping(timeout=0.5), what="the training worker's ping", process=proc
        )
        yield proc


def in_thread(read: Callable[[], T]) -> T:
    """Run an ORM read while Playwright's event loop holds this thread (Django refuses it here)."""
    from django.db import connection

    def call() -> T:
        try:
            return read()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def active_version_number() -> int:
    from ml.models import ModelVersion

    return ModelVersion.objects.get(task=TASK, is_active=True).version


def epoch_shown(page: Page) -> tuple[int, int]:
    text = page.get_by_test_id("run-progress").text_content() or ""
    match = re.search(r"Epoch (\d+) of (\d+)", text)
    assert match, f"no epoch in {text!r}"
    return int(match[1]), int(match[2])


def test_an_admin_retrains_watches_compares_promotes_and_rolls_back(
    app_server: str,
    make_user: Callable[..., object],
    small_model_file: Path,
    training_worker: object,
) -> None:
    from ml.evaluation_services import training_settings_update
    from ml.models import ModelVersion, TrainingRun

    make_user("admin")
    first = register(small_model_file)
    training_settings_update(task=TASK, actor=None, auto_promote=False)

    with launch_chromium() as browser:
        page = new_page(browser)
        sign_in(page, app_server, "admin-user", next_path=MODELS)
        active = page.get_by_test_id("active-version")
        expect(active).to_have_attribute("data-version", "1")
        expect(page.get_by_test_id("comparison-section")).to_contain_text("No candidate yet")

        page.get_by_test_id("retrain-form").get_by_label("Mode").select_option("fine_tune")
        page.get_by_role("button", name="Retrain now").click()
        expect(page.get_by_test_id("retrain-status")).to_have_text(
            re.compile(r"Queued|Collecting|Preparing|Starting|Epoch")
        )
        runs = page.get_by_test_id("runs").locator("li.run")
        run = runs.first
        expect(run).to_have_attribute("data-status", re.compile("queued|running"))

        # A second request waits its turn, says so, and is cancelled while it waits.
        page.get_by_role("button", name="Retrain now").click()
        expect(page.get_by_test_id("retrain-status")).to_have_text(
            re.compile(r"^Waiting for run \d+ to finish$")
        )
        expect(runs).to_have_count(2)
        second = runs.first
        expect(second).to_have_attribute("data-status", "queued")
        second.get_by_role("button", name="Cancel").click()
        expect(second).to_have_attribute("data-status", "cancelled")
        run = runs.last

        # The progress bar advances: an epoch before the last, then a later one.
        progress = page.get_by_test_id("run-progress")
        expect(progress).to_contain_text(re.compile(rf"Epoch \d+ of {EPOCHS}"), timeout=TRAINING)
        seen, epochs = epoch_shown(page)
        assert epochs == EPOCHS
        assert seen < EPOCHS, "the run's epochs pass faster than the page polls"
        bar = page.get_by_role("progressbar")
        before = float(bar.get_attribute("value") or 0)
        later = "|".join(str(epoch) for epoch in range(seen + 1, EPOCHS + 1))
        expect(progress).to_contain_text(
            re.compile(rf"Epoch ({later}) of {EPOCHS}"), timeout=TRAINING
        )
        expect(progress).to_contain_text("loss")
        expect(progress).to_contain_text("val AUC")
        assert float(bar.get_attribute("value") or 0) > before
        expect(page.get_by_test_id("history-plot").locator("path").first).to_have_attribute(
            "d", re.compile(r"^M[\d.]+ [\d.]+ L")
        )
        screenshot(page, "models-training")

        # The run ends and its candidate is shown against the active version.
        expect(run).to_have_attribute("data-status", "succeeded", timeout=TRAINING)
        run.get_by_text("Log", exact=True).click()
        expect(run.get_by_test_id("run-log")).to_contain_text(f"epoch {EPOCHS}/{EPOCHS}: loss")
        expect(run.get_by_test_id("run-log")).to_contain_text("registered")
        comparison = page.get_by_test_id("comparison")
        expect(comparison).to_have_attribute("data-candidate", "2")
        expect(comparison).to_have_attribute("data-decision", "waiting")
        for curve in ("roc-candidate", "roc-baseline"):
            expect(comparison.get_by_test_id(curve)).to_have_attribute(
                "d", re.compile(r"^M28 272 (L[\d.]+ [\d.]+ ?)+$")
            )
        expect(comparison.get_by_test_id("roc-plot")).to_contain_text("v1 (active)")
        # Waiting, in the gate's words: it passed with auto-promotion off, or it did not pass.
        expect(comparison.get_by_test_id("gate-verdict")).to_contain_text(
            re.compile(r"^Waiting for you: AUC 0\.\d{3} vs 0\.\d{3}: ")
        )
        table = comparison.get_by_test_id("comparison-table")
        expect(table.locator("thead th")).to_have_text(["", "Version 2", "Version 1 (active then)"])
        expect(table.locator("tbody tr").first).to_contain_text(
            re.compile(r"AUC\s*0\.\d{3}\s*0\.\d{3}")
        )
        expect(comparison.get_by_test_id("auc-difference")).to_contain_text("DeLong")
        comparison.get_by_test_id("reliability-plot").scroll_into_view_if_needed()
        screenshot(page, "models-comparison")

        comparison.get_by_role("button", name="Promote").click()
        expect(active).to_have_attribute("data-version", "2")
        expect(page.locator("[data-testid='versions'] tr[data-active='true']")).to_have_attribute(
            "data-version", "2"
        )
        expect(comparison).to_contain_text("Version 2 is the active version.")
        assert in_thread(active_version_number) == 2

        page.once("dialog", lambda dialog: dialog.accept())
        active.get_by_role("button", name="Roll back").click()
        expect(active).to_have_attribute("data-version", "1")
        expect(page.locator("[data-testid='versions'] tr[data-active='true']")).to_have_attribute(
            "data-version", "1"
        )
        screenshot(page, "models-rolled-back")

    versions = {v.version: v for v in ModelVersion.objects.filter(task=TASK)}
    assert set(versions) == {1, 2}
    assert versions[1].pk == first.pk and versions[1].is_active
    assert not versions[2].is_active and versions[2].parent_id == first.pk
    finished, cancelled = TrainingRun.objects.order_by("requested_at")
    assert cancelled.status == TrainingRun.Status.CANCELLED and cancelled.candidate is None
    assert finished.status == TrainingRun.Status.SUCCEEDED
    assert finished.candidate_id == versions[2].pk
    assert finished.requested_by is not None and finished.requested_by.username == "admin-user"
    assert [entry["epoch"] for entry in finished.history] == list(range(1, EPOCHS + 1))


def test_a_radiologist_is_turned_away_from_the_models_page(
    app_server: str, make_user: Callable[..., object]
) -> None:
    make_user("radiologist")

    with launch_chromium() as browser:
        page = new_page(browser)
        sign_in(page, app_server, "radiologist-user", next_path=MODELS)
        expect(page.get_by_role("alert")).to_have_text(
            re.compile("Your role may not manage models.")
        )
        expect(page.get_by_role("link", name="Models")).to_have_count(0)
        expect(page.get_by_test_id("models")).to_have_count(0)


def test_an_admin_sets_the_margin_after_a_refusal_and_keeps_a_nightly_schedule(
    app_server: str, make_user: Callable[..., object]
) -> None:
    from ml.models import RetrainSchedule, TrainingSettings

    make_user("admin")

    with launch_chromium() as browser:
        page = new_page(browser)
        sign_in(page, app_server, "admin-user", next_path=MODELS)
        settings = page.get_by_test_id("training-settings")
        margin = settings.get_by_label("Promotion margin", exact=False)
        margin.fill("0.5")
        settings.get_by_role("button", name="Save settings").click()
        expect(settings.get_by_test_id("settings-error-promotion_margin")).to_contain_text("0.2")
        expect(settings.get_by_test_id("settings-status")).to_have_text("Nothing was saved.")

        margin.fill("0.01")
        settings.get_by_label("Promote automatically when the gate passes").uncheck()
        settings.get_by_role("button", name="Save settings").click()
        expect(settings.get_by_test_id("settings-status")).to_have_text("Saved.")
        expect(settings.get_by_test_id("settings-error-promotion_margin")).to_be_hidden()

        form = page.get_by_test_id("schedule-form")
        form.get_by_label("At (time of day)").fill("03:30")
        form.get_by_role("button", name="Add schedule").click()
        form.get_by_label("Retrain").select_option("labels")
        form.get_by_label("New labels (N)").fill("0")
        form.get_by_role("button", name="Add schedule").click()
        expect(form.get_by_test_id("schedule-error-min_new_labels")).to_be_visible()
        form.get_by_label("New labels (N)").fill("50")
        form.get_by_role("button", name="Add schedule").click()

        schedules = page.get_by_test_id("schedules").locator("li")
        expect(schedules).to_have_text(
            [
                re.compile(r"Nightly at 03:30 \(fine-tune\)"),
                re.compile(r"When 50 new labels \(checked every 30 min, fine-tune\)"),
            ]
        )
        schedules.first.get_by_role("checkbox").uncheck()
        expect(schedules.first.get_by_role("checkbox")).not_to_be_checked()
        page.once("dialog", lambda dialog: dialog.accept())
        schedules.nth(1).get_by_role("button", name="Delete").click()
        expect(schedules).to_have_count(1)

    stored = TrainingSettings.objects.get(task=TASK)
    assert stored.promotion_margin == 0.01 and stored.auto_promote is False
    kept = RetrainSchedule.objects.get(task=TASK)
    assert (kept.kind, kept.hour, kept.minute, kept.enabled) == ("nightly", 3, 30, False)
