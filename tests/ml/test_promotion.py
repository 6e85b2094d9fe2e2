"""Reviewing a candidate on the fixed test set: the paired comparison, the gate and what follows
(automatic promotion, shadow scoring, waiting for an admin), promotion, rejection, rollback,
and the training settings that steer it all; through the services and through the API.

The versions are one small trained model under different calibrations: identity ("good"), and
slope -1 ("inverted", each score mirrored, so its AUC is one minus the good one's)."""

from __future__ import annotations

import datetime as dt

import pytest

from config.errors import Conflict
from ml.evaluation_services import (
    candidate_review,
    model_version_promote,
    model_version_reject,
    model_version_rollback,
    training_settings_update,
)
from ml.models import ModelAuditEntry, ModelComparison, ModelEvaluation, ShadowDeployment
from ml.shadow import shadow_deployment_stop, shadow_sweep
from tests.triage.conftest import register, small_model_file  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

TASK = "chest_xray_pneumonia"
INVERTED = {"slope": -1.0, "intercept": 0.0}
METRIC_KEYS = {
    "auc",
    "auc_ci",
    "sensitivity",
    "specificity",
    "threshold",
    "ece",
    "brier",
    "n",
    "positives",
    "roc",
    "reliability",
}


@pytest.fixture
def inverted(small_model_file):  # noqa: F811
    """The active version: it ranks studies backwards and flags almost nothing."""
    return register(small_model_file, calibration=INVERTED, threshold=0.99)


@pytest.fixture
def good(small_model_file):  # noqa: F811
    return register(small_model_file, activate=False)


def notes(version, action) -> list[str]:
    return list(version.audit.filter(action=action).values_list("note", flat=True))


def test_a_better_candidate_is_promoted_automatically_with_its_reasons(inverted, good):
    comparison = candidate_review(candidate=good)

    assert comparison.baseline == inverted
    assert comparison.decision == ModelComparison.Decision.AUTO_PROMOTED
    assert comparison.gate["passed"] and comparison.gate["margin"] == 0.0
    good.refresh_from_db()
    inverted.refresh_from_db()
    assert good.is_active and not inverted.is_active
    ours = ModelEvaluation.objects.get(version=good)
    theirs = ModelEvaluation.objects.get(version=inverted)
    assert ours.test_set_sha256 == theirs.test_set_sha256 == comparison.test_set_sha256
    assert ours.size == theirs.size == len(ours.probabilities) > 100
    assert set(ours.metrics) >= METRIC_KEYS
    # Mirrored scores: the AUCs add up to one, and DeLong finds the difference certain.
    assert ours.metrics["auc"] + theirs.metrics["auc"] == pytest.approx(1.0, abs=1e-6)
    assert comparison.difference["auc"] == pytest.approx(
        ours.metrics["auc"] - theirs.metrics["auc"]
    )
    assert comparison.difference["method"] == "DeLong"
    assert comparison.difference["p_value"] < 1e-6
    lower, upper = comparison.difference["ci"]
    assert 0 < lower < comparison.difference["auc"] < upper
    [activation] = notes(good, ModelAuditEntry.Action.ACTIVATED)
    assert activation.startswith("promoted automatically: AUC")
    assert notes(good, ModelAuditEntry.Action.EVALUATED)[0].startswith("On the fixed test set")


def test_a_candidate_no_better_than_the_active_version_waits_and_says_why(
    small_model_file,  # noqa: F811
):
    active = register(small_model_file)
    twin = register(small_model_file, activate=False)

    comparison = candidate_review(candidate=twin)

    assert comparison.decision == ModelComparison.Decision.WAITING
    assert not comparison.gate["passed"]
    assert comparison.difference["auc"] == 0.0
    twin.refresh_from_db()
    active.refresh_from_db()
    assert active.is_active and not twin.is_active
    [waiting] = notes(twin, ModelAuditEntry.Action.PROMOTION_WAITING)
    assert "is not above the margin 0.000" in waiting


def test_a_worse_candidate_waits(inverted, small_model_file):  # noqa: F811
    model_version_promote(version=register(small_model_file, activate=False), actor=None)
    worse = register(small_model_file, calibration=INVERTED, threshold=0.99, activate=False)

    comparison = candidate_review(candidate=worse)

    assert comparison.decision == ModelComparison.Decision.WAITING
    assert comparison.difference["auc"] < 0
    assert any("is below the active version's" in r for r in comparison.gate["reasons"])


def test_with_automatic_promotion_off_a_passing_candidate_waits_for_an_admin(inverted, good):
    training_settings_update(task=TASK, actor=None, auto_promote=False)

    comparison = candidate_review(candidate=good)

    assert comparison.gate["passed"]
    assert comparison.decision == ModelComparison.Decision.WAITING
    good.refresh_from_db()
    assert not good.is_active
    [waiting] = notes(good, ModelAuditEntry.Action.PROMOTION_WAITING)
    assert "Automatic promotion is off" in waiting


def test_the_gate_applies_the_tasks_margin(inverted, good):
    training_settings_update(task=TASK, actor=None, promotion_margin=0.2)

    comparison = candidate_review(candidate=good)

    assert comparison.gate["margin"] == 0.2
    assert "above the margin 0.200" in comparison.gate["reasons"][0]
    # Reviewing the now active version compares it with its predecessor and changes nothing.
    again = candidate_review(candidate=good)
    assert again.baseline == inverted and again.decision == comparison.decision


def test_the_first_version_of_a_task_passes_without_a_baseline(good):
    comparison = candidate_review(candidate=good)

    assert comparison.baseline is None and comparison.difference == {}
    assert comparison.decision == ModelComparison.Decision.AUTO_PROMOTED
    good.refresh_from_db()
    assert good.is_active


def test_an_active_version_that_will_not_load_leaves_the_candidate_waiting(good, tmp_path):
    broken_file = tmp_path / "broken.keras"
    broken_file.write_bytes(b"not a model")
    broken = register(broken_file)

    comparison = candidate_review(candidate=good)

    assert comparison.baseline == broken
    assert comparison.decision == ModelComparison.Decision.WAITING
    [reason] = comparison.gate["reasons"]
    assert reason.startswith("The active version could not be evaluated")
    broken.refresh_from_db()
    assert broken.load_error  # triage pauses with it, as when a scoring worker fails to load it
    assert not ModelEvaluation.objects.filter(version=broken).exists()


def test_evaluations_are_kept_per_version_and_test_set(inverted, good):
    training_settings_update(task=TASK, actor=None, auto_promote=False)
    candidate_review(candidate=good)
    candidate_review(candidate=good)

    assert ModelEvaluation.objects.filter(version=good).count() == 1
    assert len(notes(good, ModelAuditEntry.Action.EVALUATED)) == 1
    assert ModelComparison.objects.filter(candidate=good).count() == 2


def test_with_shadow_hours_a_passing_candidate_shadows_then_waits_with_the_figures(inverted, good):
    training_settings_update(task=TASK, actor=None, shadow_hours=24)

    comparison = candidate_review(candidate=good)

    assert comparison.decision == ModelComparison.Decision.SHADOWING
    deployment = ShadowDeployment.objects.get(version=good)
    assert deployment.ends_at - deployment.started_at == dt.timedelta(hours=24)
    good.refresh_from_db()
    assert not good.is_active
    assert shadow_sweep() == 0  # not over yet

    assert shadow_sweep(now=deployment.ends_at + dt.timedelta(seconds=1)) == 1

    comparison.refresh_from_db()
    deployment.refresh_from_db()
    assert comparison.decision == ModelComparison.Decision.WAITING
    assert deployment.stopped_at == deployment.ends_at
    good.refresh_from_db()
    assert not good.is_active  # an admin decides
    [waiting] = notes(good, ModelAuditEntry.Action.PROMOTION_WAITING)
    assert waiting.startswith("Shadow scoring ended: no study was scored in shadow.")
    assert shadow_sweep(now=deployment.ends_at + dt.timedelta(seconds=2)) == 0


def test_stopping_the_shadow_early_leaves_the_candidate_waiting(inverted, good, make_user):
    admin = make_user("admin")
    training_settings_update(task=TASK, actor=None, shadow_hours=24)
    comparison = candidate_review(candidate=good)

    shadow_deployment_stop(version=good, actor=admin)

    comparison.refresh_from_db()
    assert comparison.decision == ModelComparison.Decision.WAITING
    assert ShadowDeployment.objects.get(version=good).stopped_at is not None
    stopped = good.audit.get(action=ModelAuditEntry.Action.SHADOW_STOPPED)
    assert stopped.actor == admin and stopped.note.startswith("stopped by an admin")
    assert good.audit.filter(action=ModelAuditEntry.Action.PROMOTION_WAITING).exists()
    with pytest.raises(Conflict):
        shadow_deployment_stop(version=good, actor=admin)


def test_promoting_marks_the_comparison_and_ends_the_shadow(inverted, good, make_user):
    admin = make_user("admin")
    training_settings_update(task=TASK, actor=None, shadow_hours=2)
    comparison = candidate_review(candidate=good)

    model_version_promote(version=good, actor=admin, note="looks right")

    comparison.refresh_from_db()
    assert comparison.decision == ModelComparison.Decision.PROMOTED
    assert ShadowDeployment.objects.get(version=good).stopped_at is not None
    activated = good.audit.get(action=ModelAuditEntry.Action.ACTIVATED)
    assert activated.actor == admin and activated.note == "looks right"


def test_rollback_returns_to_the_version_active_before_and_twice_comes_back(
    inverted, good, make_user
):
    admin = make_user("admin")
    model_version_promote(version=good, actor=admin)

    back = model_version_rollback(task=TASK, actor=admin, note="too many false alarms")

    assert back == inverted
    inverted.refresh_from_db()
    good.refresh_from_db()
    assert inverted.is_active and not good.is_active
    entry = inverted.audit.filter(action=ModelAuditEntry.Action.ACTIVATED).first()
    assert entry.actor == admin
    assert entry.note == f"rolled back from {good.label}: too many false alarms"
    # The version active before the current one is now the good one again.
    assert model_version_rollback(task=TASK, actor=admin) == good


def test_rollback_skips_a_rejected_version_and_refuses_when_none_is_left(inverted, good):
    model_version_promote(version=good, actor=None)
    model_version_rollback(task=TASK, actor=None)
    model_version_reject(version=good, actor=None, note="no")

    with pytest.raises(Conflict, match="No version of chest_xray_pneumonia was active before"):
        model_version_rollback(task=TASK, actor=None)


def test_rejecting_the_active_version_is_refused(inverted):
    with pytest.raises(Conflict):
        model_version_reject(version=inverted, actor=None)


# --- through the API --------------------------------------------------------------------------


def test_the_settings_are_read_and_changed_with_field_errors(client_for):
    admin = client_for("admin")
    url = f"/api/training/settings/{TASK}"

    assert admin.get(url).json() == {
        "task": TASK,
        "target_sensitivity": 0.95,
        "promotion_margin": 0.0,
        "auto_promote": True,
        "shadow_hours": 0.0,
        "default_mode": "fine_tune",
    }
    changed = admin.put(
        url, {"promotion_margin": 0.01, "shadow_hours": 12, "auto_promote": False}, format="json"
    )
    assert changed.status_code == 200
    assert admin.get(url).json()["shadow_hours"] == 12.0
    assert admin.get(url).json()["promotion_margin"] == 0.01

    bad = admin.put(
        url,
        {
            "target_sensitivity": 0,
            "promotion_margin": 0.5,
            "shadow_hours": 721,
            "default_mode": "x",
        },
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()) >= {
        "target_sensitivity",
        "promotion_margin",
        "shadow_hours",
        "default_mode",
    }
    assert admin.get("/api/training/settings/no_such_task").status_code == 404
    assert admin.put(url, "not json", content_type="application/json").status_code == 400


def test_the_comparison_is_computed_on_request_and_shown(client_for, inverted, good):
    admin = client_for("admin")
    url = f"/api/models/{good.pk}/comparison"

    missing = admin.get(url)
    assert missing.status_code == 404 and "detail" in missing.json()
    made = admin.post(url)
    assert made.status_code == 200
    body = admin.get(url).json()

    assert body == made.json()
    assert body["candidate"] == {"id": good.pk, "version": good.version, "is_active": True}
    assert body["baseline"] == {"id": inverted.pk, "version": inverted.version, "is_active": False}
    assert body["test_set"]["size"] > 100 and body["test_set"]["positives"] > 0
    assert set(body["candidate_metrics"]) >= METRIC_KEYS
    assert set(body["baseline_metrics"]) >= METRIC_KEYS
    assert body["candidate_metrics"]["roc"][0] == [0.0, 0.0]
    assert set(body["difference"]) >= {"auc", "ci", "p_value", "lower_bound_one_sided", "method"}
    assert body["gate"]["passed"] and body["decision"] == "auto_promoted"
    assert admin.get("/api/models/999999/comparison").status_code == 404


def test_rollback_and_reject_through_the_api(client_for, inverted, good):
    admin = client_for("admin")
    promoted = admin.post(f"/api/models/{good.pk}/activate", {"note": "v2"}, format="json")
    assert promoted.status_code == 200

    rolled = admin.post("/api/models/rollback", {"task": TASK, "note": "undo"}, format="json")
    assert rolled.status_code == 200 and rolled.json()["id"] == inverted.pk

    rejected = admin.post(f"/api/models/{good.pk}/reject", {"note": "worse"}, format="json")
    assert rejected.status_code == 200
    assert good.audit.filter(action=ModelAuditEntry.Action.REJECTED, note="worse").exists()
    refused = admin.post(f"/api/models/{inverted.pk}/reject", {}, format="json")
    assert refused.status_code == 409 and "active" in refused.json()["detail"]
    none_left = admin.post("/api/models/rollback", {"task": TASK}, format="json")
    assert none_left.status_code == 409 and none_left.json()["detail"]
    assert admin.post("/api/models/rollback", {}, format="json").status_code == 400
    assert admin.post("/api/models/999999/reject", {}, format="json").status_code == 404


def test_shadow_scoring_is_started_shown_and_stopped_through_the_api(client_for, inverted, good):
    admin = client_for("admin")
    url = f"/api/models/{good.pk}/shadow"

    assert admin.get(url).json()["deployment"] is None
    started = admin.post(url, {"hours": 2}, format="json")
    assert started.status_code == 201
    body = admin.get(url).json()
    assert body["deployment"]["stopped_at"] is None
    assert body["agreement"]["n"] == 0
    stopped = admin.post(f"{url}/stop")
    assert stopped.status_code == 200 and stopped.json()["deployment"]["stopped_at"]
    assert admin.post(f"{url}/stop").status_code == 409
    for hours in (0, -1, 721, "x", None):
        assert admin.post(url, {"hours": hours}, format="json").status_code == 400
    on_active = admin.post(f"/api/models/{inverted.pk}/shadow", {"hours": 1}, format="json")
    assert on_active.status_code == 409


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", f"/api/training/settings/{TASK}"),
        ("put", f"/api/training/settings/{TASK}"),
        ("get", "/api/models/{id}/comparison"),
        ("post", "/api/models/{id}/comparison"),
        ("post", "/api/models/rollback"),
        ("post", "/api/models/{id}/reject"),
        ("get", "/api/models/{id}/shadow"),
        ("post", "/api/models/{id}/shadow"),
        ("post", "/api/models/{id}/shadow/stop"),
    ],
)
def test_only_admins_manage_promotion(client_for, inverted, method, url):
    response = getattr(client_for("radiologist"), method)(
        url.format(id=inverted.pk), {"task": TASK, "hours": 1}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["detail"]
    inverted.refresh_from_db()
    assert inverted.is_active
    assert not ShadowDeployment.objects.exists()
